package pii

import "strings"

// isLocalByte reports whether c may appear in the local part of an address.
func isLocalByte(c byte) bool {
	return isASCIIAlnum(c) || strings.IndexByte("._%+-'", c) >= 0
}

// isDomainByte reports whether c may appear in a domain name.
func isDomainByte(c byte) bool { return isASCIIAlnum(c) || c == '.' || c == '-' }

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// scanEmails appends every local@domain.tld in text to c. Full-width ＠ is
// accepted too (Chinese and Japanese keyboards produce it).
func scanEmails(text string, c []Span) []Span {
	for i := 0; i < len(text); i++ {
		at, atLen := -1, 0
		switch {
		case text[i] == '@':
			at, atLen = i, 1
		case strings.HasPrefix(text[i:], "＠"):
			at, atLen = i, len("＠")
		default:
			continue
		}
		s := at
		for s > 0 && isLocalByte(text[s-1]) {
			s--
		}
		for s < at && (text[s] == '.' || text[s] == '\'' || text[s] == '-') { // no leading dot, quote, dash
			s++
		}
		if s == at {
			i = at + atLen - 1
			continue
		}
		e := at + atLen
		for e < len(text) && isDomainByte(text[e]) {
			e++
		}
		for e > at+atLen && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		dom := text[at+atLen : e]
		dot := strings.LastIndexByte(dom, '.')
		if dot <= 0 || len(dom)-dot-1 < 2 || strings.Contains(dom, "..") || dom[0] == '-' || dom[0] == '.' {
			i = at + atLen - 1
			continue
		}
		tld := dom[dot+1:]
		ok := true
		for j := 0; j < len(tld); j++ {
			if !isASCIILetter(tld[j]) {
				ok = false
				break
			}
		}
		if !ok {
			i = at + atLen - 1
			continue
		}
		c = append(c, Span{Type: Email, Start: s, End: e})
		i = e - 1
	}
	return c
}
