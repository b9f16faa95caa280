package pii

// scanIBANs appends every mod-97-valid IBAN in text to c. An IBAN is written
// as one word or in groups of four separated by single spaces, in upper or
// lower case ("DE89 3704 0044 0532 0130 00").
func scanIBANs(text string, c []Span) []Span {
	for i := 0; i+4 <= len(text); i++ {
		if !isASCIILetter(text[i]) || !isASCIILetter(text[i+1]) || !isDigit(text[i+2]) || !isDigit(text[i+3]) {
			continue
		}
		if i > 0 && (isASCIIAlnum(text[i-1]) || text[i-1] == '_') {
			continue
		}
		var buf [34]byte
		n := 0
		ends := [35]int{}
		k := i
		for k < len(text) && n < 34 {
			ch := text[k]
			if ch == ' ' && k+1 < len(text) && isASCIIAlnum(text[k+1]) && n >= 4 {
				k++
				continue
			}
			if !isASCIIAlnum(ch) {
				break
			}
			if ch >= 'a' && ch <= 'z' {
				ch -= 'a' - 'A'
			}
			buf[n] = ch
			n++
			k++
			ends[n] = k
		}
		want, ok := ibanLengths[upper2(text[i], text[i+1])]
		if !ok || n < want {
			continue
		}
		end := ends[want]
		if end < len(text) && isASCIIAlnum(text[end]) {
			continue // glued to more letters or digits: not an IBAN of its own
		}
		if ibanValid(string(buf[:want])) {
			c = append(c, Span{Type: IBAN, Start: i, End: end})
			i = end - 1
		}
	}
	return c
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func upper2(a, b byte) string {
	if a >= 'a' {
		a -= 'a' - 'A'
	}
	if b >= 'a' {
		b -= 'a' - 'A'
	}
	return string([]byte{a, b})
}
