package pii

import "strings"

// scanPassports appends document numbers written as one ASCII word of
// letters and digits: passport numbers after a passport keyword in any
// language ("护照号 E12345678", "Reisepass C01X00T47", "паспорт 45 06 123456"),
// Taiwan national ids (A123456789, checksum) and Spanish NIE (X1234567L,
// control letter).
func scanPassports(text string, o *Options, c []Span) []Span {
	prevEnd := 0
	passportWord := 0 // whether text holds a passport keyword: 0 not looked yet, 1 yes, -1 no
	for i := 0; i < len(text); {
		if !isASCIIAlnum(text[i]) || i > 0 && (isASCIIAlnum(text[i-1]) || text[i-1] == '_' || text[i-1] == '-' || text[i-1] == '@' || text[i-1] == '.') {
			i++
			continue
		}
		start := i
		digits, letters, spaces := 0, 0, 0
		for i < len(text) {
			ch := text[i]
			if ch == ' ' && i+1 < len(text) && isDigit(text[i+1]) && i > start && isDigit(text[i-1]) && letters == 0 {
				i++ // "45 06 123456": spaces between digit groups
				spaces++
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
		// n is the token's length without the spaces; the token itself is
		// joined only when it has letters (every id checked below does:
		// a token of digits alone can only be a passport number, for
		// which the length is enough)
		n, tok := end-start-spaces, text[start:end]
		if spaces > 0 && letters > 0 {
			tok = strings.ReplaceAll(tok, " ", "")
		}
		switch {
		case o.wants(ID) && o.locale("zh") && n == 10 && letters == 1 && taiwanID(tok),
			o.wants(ID) && o.locale("es") && nie(tok):
			// one letter and digits is also how order and reference
			// numbers look (Order W123456789): an order word before it wins
			if cu, _ := cueBefore(text, start, prevEnd); cu != cueOrder {
				c = append(c, Span{Type: ID, Start: start, End: end})
			}
		case o.wants(ID) && o.locale("it") && n == 16 && codiceFiscale(tok):
			c = append(c, Span{Type: ID, Start: start, End: end})
		case o.wants(Passport) && n >= 6 && n <= 12 && digits >= 3:
			if passportWord == 0 {
				// most texts name no passport: then no window can either
				// (cueBefore's context search, the costliest step here)
				passportWord = -1
				if mayCue(text, cuePassport) {
					passportWord = 1
				}
			}
			if passportWord < 0 {
				break
			}
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

// cfOdd is the value of a character in an odd position (1st, 3rd…) of an
// Italian codice fiscale, for 0-9 then A-Z.
var cfOdd = [36]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

// codiceFiscale reports whether s is an Italian tax code: six letters,
// year, month letter, day, place code, and the check letter computed
// over the first 15 characters (RSSMRA85T10A562S).
func codiceFiscale(s string) bool {
	if len(s) != 16 {
		return false
	}
	sum := 0
	for i := 0; i < 15; i++ {
		c := upper(s[i])
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c - 'A')
		default:
			return false
		}
		// shape: letters at 0-5, 8, 11; digits (or their omocodia letters) elsewhere
		isLetter := c >= 'A' && c <= 'Z'
		if (i < 6 || i == 8 || i == 11) != isLetter && !(isLetter && strings.IndexByte("LMNPQRSTUV", c) >= 0) {
			return false
		}
		if i%2 == 0 { // 1st, 3rd… (1-based odd)
			if isLetter {
				v = cfOdd[10+int(c-'A')]
			} else {
				v = cfOdd[int(c-'0')]
			}
		}
		sum += v
	}
	if strings.IndexByte("ABCDEHLMPRST", upper(s[8])) < 0 {
		return false
	}
	return upper(s[15]) == byte('A'+sum%26)
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
