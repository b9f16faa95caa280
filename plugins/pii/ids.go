package pii

import "strings"

// scanPassports appends document numbers written as one ASCII word of
// letters and digits: passport numbers after a passport keyword in any
// language ("护照号 E12345678", "Reisepass C01X00T47", "паспорт 45 06 123456"),
// Taiwan national ids (A123456789, checksum) and Spanish NIE (X1234567L,
// control letter).
func scanPassports(text string, o *Options, c []Span) []Span {
	prevEnd := 0
	for i := 0; i < len(text); {
		if !isASCIIAlnum(text[i]) || i > 0 && (isASCIIAlnum(text[i-1]) || text[i-1] == '_' || text[i-1] == '-' || text[i-1] == '@' || text[i-1] == '.') {
			i++
			continue
		}
		start := i
		digits, letters, spaced := 0, 0, false
		for i < len(text) {
			ch := text[i]
			if ch == ' ' && i+1 < len(text) && isDigit(text[i+1]) && i > start && isDigit(text[i-1]) && letters == 0 {
				i++ // "45 06 123456": spaces between digit groups
				spaced = true
				continue
			}
			if !isASCIIAlnum(ch) {
				break
			}
			if isDigit(ch) {
				digits++
			} else {
				letters++
			}
			i++
		}
		end := i
		if end < len(text) && (text[end] == '@' || text[end] == '_' || text[end] == '-' && end+1 < len(text) && isASCIIAlnum(text[end+1])) {
			continue
		}
		tok := text[start:end]
		if spaced {
			tok = strings.ReplaceAll(tok, " ", "")
		}
		switch {
		case o.wants(ID) && o.locale("zh") && len(tok) == 10 && letters == 1 && taiwanID(tok):
			c = append(c, Span{Type: ID, Start: start, End: end})
		case o.wants(ID) && o.locale("es") && nie(tok):
			c = append(c, Span{Type: ID, Start: start, End: end})
		case o.wants(Passport) && len(tok) >= 6 && len(tok) <= 12 && digits >= 3:
			if cu, dist := cueBefore(text, start, prevEnd); cu == cuePassport && dist <= 40 {
				c = append(c, Span{Type: Passport, Start: start, End: end})
			}
		}
		if digits > 0 {
			prevEnd = end
		}
	}
	return c
}

// nie reports whether s is a Spanish foreigner id: X, Y or Z, 7 digits and
// the DNI control letter of the number with X=0, Y=1, Z=2.
func nie(s string) bool {
	if len(s) != 9 {
		return false
	}
	p := upper(s[0])
	if p < 'X' || p > 'Z' {
		return false
	}
	n := atoi(s[1:8])
	if n < 0 {
		return false
	}
	n += int(p-'X') * 10000000
	return upper(s[8]) == dniLetter(n)
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}
