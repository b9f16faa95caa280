package pii

import (
	"strings"
	"unicode/utf8"
)

// group is one run of digits inside a number, e.g. "1234" in "138-1234-5678".
type group struct {
	start, end int    // byte offsets of the digits in the text
	open       bool   // preceded by "(" (part of the written number)
	spaced     bool   // separated from the previous group by white space only
	d          string // the digits, ASCII, full-width digits folded
}

// numRun is a maximal written number: digit groups joined by phone-style
// separators (space, - . / parentheses), optionally after a "+".
type numRun struct {
	start, end int // byte offsets, including a leading "+" or "("
	plus       bool
	amount     bool // "1,299" or "10:30": an amount or a time, never PII
	x          bool // a trailing X (PRC resident id check character)
	groups     []group
}

// digitAt returns the ASCII digit at text[i] (ASCII or full-width) and its
// width in bytes, or 0, 0.
func digitAt(text string, i int) (byte, int) {
	if i >= len(text) {
		return 0, 0
	}
	c := text[i]
	if c >= '0' && c <= '9' {
		return c, 1
	}
	// U+FF10..U+FF19 FULLWIDTH DIGIT ZERO..NINE: EF BC 90..99
	if c == 0xEF && i+2 < len(text) && text[i+1] == 0xBC && text[i+2] >= 0x90 && text[i+2] <= 0x99 {
		return '0' + (text[i+2] - 0x90), 3
	}
	return 0, 0
}

// sepAt returns the width of a number separator at text[i], or 0.
func sepAt(text string, i int) int {
	switch c := text[i]; c {
	case ' ', '-', '.', '/', '(', ')':
		return 1
	case 0xC2: // U+00A0 NO-BREAK SPACE
		if i+1 < len(text) && text[i+1] == 0xA0 {
			return 2
		}
	case 0xE2: // U+2010 HYPHEN, U+2011 NON-BREAKING HYPHEN, U+2012 FIGURE DASH, U+2013 EN DASH, U+2212 MINUS SIGN (Japanese and Korean IMEs type it between full-width digits)
		if i+2 < len(text) && (text[i+1] == 0x80 && text[i+2] >= 0x90 && text[i+2] <= 0x93 || text[i+1] == 0x88 && text[i+2] == 0x92) {
			return 3
		}
	case 0xE3: // U+3000 IDEOGRAPHIC SPACE, U+30FC KATAKANA PROLONGED SOUND MARK (typed as a dash: 090ー1234ー5678)
		if i+2 < len(text) && (text[i+1] == 0x80 && text[i+2] == 0x80 || text[i+1] == 0x83 && text[i+2] == 0xBC) {
			return 3
		}
	case 0xEF: // U+FF0D FULLWIDTH HYPHEN-MINUS
		if i+2 < len(text) && text[i+1] == 0xBC && text[i+2] == 0x8D {
			return 3
		}
	}
	return 0
}

// maxGroups bounds the groups of one run; longer runs are split.
const maxGroups = 12

// readRun reads the number starting at text[i] (a digit, "+" or "("); its
// groups are appended to buf[:0] (a caller's array of maxGroups: no
// allocation).
func readRun(text string, i int, buf []group) numRun {
	r := numRun{start: i}
	if text[i] == '+' {
		r.plus = true
		i++
	}
	open, spaced := false, false
	if i < len(text) && text[i] == '(' {
		open = true
		i++
	}
	r.groups = buf[:0]
	for len(r.groups) < maxGroups {
		g := group{start: i, open: open, spaced: spaced}
		// ASCII digits are their own text (no copy); full-width ones are
		// folded into a new string
		ascii := true
		for {
			_, w := digitAt(text, i)
			if w == 0 {
				break
			}
			ascii = ascii && w == 1
			i += w
		}
		g.end, g.d = i, text[g.start:i]
		if !ascii {
			b := make([]byte, 0, i-g.start)
			for k := g.start; k < i; {
				c, w := digitAt(text, k)
				b = append(b, c)
				k += w
			}
			g.d = string(b)
		}
		r.groups = append(r.groups, g)
		r.end = i
		if i >= len(text) {
			break
		}
		// "1,299" thousands or "10:30" time: mark and keep reading.
		if c := text[i]; c == ',' || c == ':' {
			k := i + 1
			n := 0
			for {
				if _, w := digitAt(text, k); w == 0 {
					break
				} else {
					k += w
					n++
				}
			}
			if n > 0 && (c == ':' || n == 3) {
				r.amount = true
				i++
				open = false
				continue
			}
			break
		}
		// separators, at most 3 characters, then a digit
		k, seps := i, 0
		open = false
		for k < len(text) && seps < 3 {
			w := sepAt(text, k)
			if w == 0 {
				break
			}
			if text[k] == '(' {
				open = true
			}
			k += w
			seps++
		}
		if seps == 0 {
			break
		}
		if _, w := digitAt(text, k); w == 0 {
			break
		}
		spaced = strings.TrimLeft(text[i:k], " \u00a0\u3000") == ""
		i = k
	}
	if i < len(text) && (text[i] == 'X' || text[i] == 'x') && r.digitCount() == 17 {
		r.x = true
		r.end = i + 1
		r.groups[len(r.groups)-1].end = i + 1
		r.groups[len(r.groups)-1].d += "X"
	}
	return r
}

// digitCount returns the number of digits of the run.
func (r *numRun) digitCount() int {
	n := 0
	for _, g := range r.groups {
		n += len(g.d)
	}
	return n
}

// gluedLeft reports whether the number at text[i] continues a word or code
// ("SF1234…", "ORD-2024…", "x.com/123…"), so it is not a number of its own.
func gluedLeft(text string, i int) bool {
	if i == 0 {
		return false
	}
	p, w := utf8.DecodeLastRuneInString(text[:i])
	if p < utf8.RuneSelf && isASCIIAlnum(byte(p)) || p == '_' {
		return true
	}
	if isWordRune(p) && p >= 0x80 && p < 0x2E80 { // Latin/Cyrillic letters glued on
		return true
	}
	if strings.ContainsRune("-/=.,_", p) && i-w > 0 {
		q, _ := utf8.DecodeLastRuneInString(text[:i-w])
		if q < utf8.RuneSelf && isASCIIAlnum(byte(q)) {
			return true
		}
	}
	return false
}

// brazilCarrier reports whether text[i:] is "0xx" (or "0XX") before a digit.
func brazilCarrier(text string, i int) bool {
	if i < 0 || i+3 >= len(text) || text[i] != '0' || text[i+1]|0x20 != 'x' || text[i+2]|0x20 != 'x' {
		return false
	}
	if i > 0 && isASCIIAlnum(text[i-1]) {
		return false
	}
	_, w := digitAt(text, i+3)
	return w > 0
}

// gluedRight reports whether text[i] continues a word or code after a number.
func gluedRight(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r)) || r == '_' || r == '@'
	}
	return isWordRune(r) && r < 0x2E80
}

// scanNumbers finds phones, cards and identity numbers among the written
// numbers of text and appends them to c.
func scanNumbers(text string, o *Options, c []Span) []Span {
	if !o.wants(Phone) && !o.wants(Card) && !o.wants(ID) {
		return c
	}
	prevEnd := 0
	var groups [maxGroups]group // each run's groups (readRun)
	for i := 0; i < len(text); {
		start := i
		ch := text[i]
		_, w := digitAt(text, i)
		ok := w > 0
		if !ok && (ch == '+' || ch == '(') && i+1 < len(text) {
			_, w2 := digitAt(text, i+1)
			if w2 == 0 && ch == '+' && i+2 < len(text) && text[i+1] == '(' {
				_, w2 = digitAt(text, i+2)
			}
			ok = w2 > 0
		}
		if !ok {
			_, size := utf8.DecodeRuneInString(text[i:])
			i += size
			continue
		}
		if brazilCarrier(text, start) {
			// "0xx11 97755-1203": Brazil's written placeholder for the
			// long-distance carrier code; the number starts after it
			i = start + 3
			prevEnd = start
			continue
		}
		r := readRun(text, start, groups[:])
		i = max(r.end, start+1)
		if gluedLeft(text, start) && !brazilCarrier(text, start-3) {
			// skip the rest of the code this number is glued into
			for i < len(text) && (isASCIIAlnum(text[i]) || text[i] == '-' || text[i] == '_') {
				i++
			}
			prevEnd = i
			continue
		}
		if r.amount {
			prevEnd = r.end
			continue
		}
		if gluedRight(text, r.end) {
			if sp, ok := dniAt(text, &r, o); ok {
				c = append(c, sp)
			}
			for i < len(text) && (isASCIIAlnum(text[i]) || text[i] == '-' || text[i] == '_') {
				i++
			}
			prevEnd = i
			continue
		}
		if !r.plus && afterCode(text, start) {
			prevEnd = r.end // "8L 01234 56789 0", "1Z 12A 34B 56 7890 1234": the rest of a parcel code
			continue
		}
		cu, _ := cueBefore(text, start, prevEnd)
		if cu == cueOrder && productCode(&r) {
			prevEnd = r.end // an EAN written in groups after "article", "réf.": one code
			continue
		}
		if cardLike(&r) {
			// 4-digit blocks: one card number (valid or not), never split
			if t, ok := classify(&r, 0, len(r.groups), cu, o); ok {
				c = append(c, Span{Type: t, Start: r.start, End: r.end})
			}
		} else {
			c = splitRun(text, &r, 0, len(r.groups), cu, o, c)
		}
		prevEnd = r.end
	}
	return c
}

// splitRun classifies groups [lo,hi) of r, trying the longest sub-runs
// first, so "订单 12345 13812345678" still yields the phone. Only a sub-run
// starting at the first group sees the context word before the run.
func splitRun(text string, r *numRun, lo, hi int, cu cue, o *Options, c []Span) []Span {
	for n := hi - lo; n >= 1; n-- {
		for a := lo; a+n <= hi; a++ {
			// a sub-run is cut only at white space: "229-0035212-8286453"
			// is one token
			if a > 0 && !r.groups[a].spaced || a+n < len(r.groups) && !r.groups[a+n].spaced {
				continue
			}
			ctx := cueNone
			if a == 0 {
				ctx = cu
			}
			if t, ok := classify(r, a, a+n, ctx, o); ok {
				s := r.groups[a].start
				if r.groups[a].open {
					s--
				}
				if a == 0 {
					s = r.start
				}
				c = append(c, Span{Type: t, Start: s, End: r.groups[a+n-1].end})
				c = splitRun(text, r, lo, a, cu, o, c)
				return splitRun(text, r, a+n, hi, cueNone, o, c)
			}
		}
	}
	return c
}

// classify decides what groups [a,b) of r are, if anything personal.
func classify(r *numRun, a, b int, cu cue, o *Options) (Type, bool) {
	gs := r.groups[a:b]
	d := ""
	if len(gs) == 1 {
		d = gs[0].d // one group: its digits as they are (no copy)
	} else {
		// joined on the stack: d does not outlive classify
		var buf [32]byte
		jb := buf[:0]
		for _, g := range gs {
			jb = append(jb, g.d...)
		}
		d = string(jb)
	}
	n := len(d)
	plus := r.plus && a == 0
	if n == 0 {
		return "", false
	}
	// ---- identity numbers
	if o.wants(ID) && cu != cueOrder && cu != cuePhone {
		if n == 18 && o.locale("zh") && prcID(d) {
			return ID, true
		}
		if !strings.HasSuffix(d, "X") {
			if n == 11 && o.locale("pt") && cpf(d) && (cu == cueID || shape(gs, 3, 3, 3, 2)) {
				return ID, true
			}
			if n == 13 && o.locale("ko") && (shape(gs, 6, 7) || cu == cueID) && koreanRRN(d) {
				return ID, true
			}
			if n == 9 && o.locale("en") && shape(gs, 3, 2, 4) && ssn(d) {
				return ID, true
			}
			if cu == cueID && n >= 8 && n <= 18 && !plus {
				return ID, true
			}
		}
	}
	if strings.HasSuffix(d, "X") {
		return "", false
	}
	// ---- payment cards
	if o.wants(Card) && n >= 13 && n <= 19 && !plus && cu != cueOrder && luhn(d) && (cu == cueCard || issuer(d)) {
		return Card, true
	}
	// ---- phones
	if !o.wants(Phone) {
		return "", false
	}
	if plus {
		return Phone, n >= 8 && n <= 15
	}
	if cu == cueOrder || cu == cueID || cu == cuePassport || cu == cueCard || n < 7 || n > 15 {
		return "", false
	}
	if dateLike(r, a, b) {
		return "", false
	}
	if o.locale("zh") && cnMobile(d) {
		return Phone, true
	}
	// mainland China 400/800 numbers are companies' service lines
	// (客服热线 400-820-8820), never a person's
	if o.locale("zh") && n == 10 && (strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800")) {
		return "", false
	}
	if cu == cuePhone {
		return Phone, true
	}
	if n >= 11 && strings.HasPrefix(d, "00") && d[2] != '0' {
		return Phone, true // international call prefix
	}
	multi := len(gs) > 1
	if d[0] == '0' && d[1] != '0' && (multi && n >= 9 && n <= 12 || !multi && n >= 10 && n <= 12) {
		return Phone, true // trunk prefix 0: CN landline, UK, DE, FR, IT, JP, KR, TW, AR…
	}
	if o.locale("en") && n == 10 && d[0] >= '2' && d[3] >= '2' && (shape(gs, 3, 3, 4) || gs[0].open && len(gs[0].d) == 3) {
		return Phone, true // NANP (415) 555-2671
	}
	if o.locale("en") && n == 11 && d[0] == '1' && d[1] >= '2' && shape(gs, 1, 3, 3, 4) {
		return Phone, true
	}
	// Spain: mobiles 612 345 678 / 612 34 56 78, landlines 91 234 56 78
	if o.locale("es") && n == 9 && strings.IndexByte("6789", d[0]) >= 0 && (shape(gs, 3, 3, 3) || shape(gs, 3, 2, 2, 2) || shape(gs, 2, 3, 2, 2)) {
		return Phone, true
	}
	if o.locale("it") && n == 10 && d[0] == '3' && (shape(gs, 3, 3, 4) || shape(gs, 3, 7) || shape(gs, 3, 4, 3)) {
		return Phone, true
	}
	if o.locale("ru") && n == 11 && d[0] == '8' && (multi || d[1] == '9') {
		return Phone, true // 8 (912) 345-67-89
	}
	if o.locale("pt") && (n == 10 || n == 11) && multi && gs[0].open && len(gs[0].d) == 2 {
		return Phone, true // (11) 91234-5678
	}
	// Brazil without parentheses: area code, then 9xxxx-xxxx mobiles or
	// xxxx-xxxx landlines (21 98765-4321, 11 9 8765-4321, 11 3456-7890);
	// Mexico and Argentina write 10 digits as 2-4-4 (55 1234 5678, 11 4567-8901)
	if (o.locale("pt") || o.locale("es")) && d[0] != '0' && d[1] != '0' &&
		(n == 11 && d[2] == '9' && (shape(gs, 2, 5, 4) || shape(gs, 2, 1, 4, 4)) || n == 10 && shape(gs, 2, 4, 4)) {
		return Phone, true
	}
	// Portugal 912 345 678 and landlines 21 123 4567; Chile 9 8765 4321; Colombia 300 123 4567
	if (o.locale("pt") || o.locale("es")) && n == 9 && d[0] == '9' && (shape(gs, 3, 3, 3) || shape(gs, 1, 4, 4)) ||
		o.locale("pt") && n == 9 && d[0] == '2' && shape(gs, 2, 3, 4) ||
		o.locale("es") && n == 10 && d[0] == '3' && (shape(gs, 3, 3, 4) || shape(gs, 3, 7)) {
		return Phone, true
	}
	// Russia without the trunk 8: 912 345-67-89
	if o.locale("ru") && n == 10 && d[0] == '9' && shape(gs, 3, 3, 2, 2) {
		return Phone, true
	}
	// Poland: mobiles 512 345 678 (45, 5, 6, 7, 8), landlines 22 123 45 67
	if o.locale("pl") && n == 9 && (strings.IndexByte("45678", d[0]) >= 0 && shape(gs, 3, 3, 3) || d[0] != '0' && shape(gs, 2, 3, 2, 2)) {
		return Phone, true
	}
	// India: 98765 43210
	if o.locale("en") && n == 10 && d[0] >= '6' && shape(gs, 5, 5) {
		return Phone, true
	}
	return "", false
}

// afterCode reports whether the number at text[i] follows, after one
// space, a short code of letters and digits that starts a parcel number
// ("8L", "1Z", "34B"): the number continues that code.
func afterCode(text string, i int) bool {
	if i < 3 || text[i-1] != ' ' {
		return false
	}
	k := i - 1
	letter, digit := false, false
	for k > 0 && isASCIIAlnum(text[k-1]) {
		k--
		if isDigit(text[k]) {
			digit = true
		} else {
			letter = true
		}
	}
	n := i - 1 - k
	return n >= 2 && n <= 3 && letter && digit && isDigit(text[k]) && (k == 0 || text[k-1] == ' ')
}

// productCode reports whether r is written as a product code is (EAN-13,
// UPC, GTIN-14: one leading digit, then groups: "3 660 542 118 873",
// "4 006381 333931"), a shape no phone number has without a "+".
func productCode(r *numRun) bool {
	if r.plus || len(r.groups) < 3 || len(r.groups[0].d) != 1 {
		return false
	}
	n := r.digitCount()
	return n >= 12 && n <= 14
}

// cardLike reports whether r is written in blocks of four digits, as card
// numbers are (the last block may be shorter).
func cardLike(r *numRun) bool {
	if len(r.groups) < 4 || r.plus {
		return false
	}
	for i, g := range r.groups {
		if len(g.d) != 4 && (i < len(r.groups)-1 || len(g.d) > 4) {
			return false
		}
	}
	return true
}

// shape reports whether the groups have exactly these lengths.
func shape(gs []group, lens ...int) bool {
	if len(gs) != len(lens) {
		return false
	}
	for i, g := range gs {
		if len(g.d) != lens[i] {
			return false
		}
	}
	return true
}

// cnMobile reports whether d is a mainland China mobile number, with or
// without the country code 86.
func cnMobile(d string) bool {
	d = strings.TrimPrefix(d, "0086")
	if len(d) == 13 && strings.HasPrefix(d, "86") {
		d = d[2:]
	}
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// issuer reports whether d starts with a payment card issuer prefix of the
// right length: Visa, Mastercard, Amex, UnionPay, JCB, Discover, Diners, Maestro, Mir.
func issuer(d string) bool {
	n := len(d)
	p2, p4 := atoi(d[:2]), atoi(d[:4])
	switch {
	case d[0] == '4':
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return n == 16
	case p2 == 34 || p2 == 37:
		return n == 15
	case p2 == 62:
		return n >= 16 && n <= 19
	case p4 >= 3528 && p4 <= 3589:
		return n >= 16 && n <= 19
	case p4 == 6011 || p2 == 65 || p4 >= 6440 && p4 <= 6499:
		return n >= 16 && n <= 19
	case p2 == 36 || p4 >= 3000 && p4 <= 3059 || p2 == 38 || p2 == 39:
		return n >= 14 && n <= 19
	case p4 >= 2200 && p4 <= 2204:
		return n >= 16 && n <= 19
	case p2 == 50 || p2 >= 56 && p2 <= 69:
		return n >= 12 && n <= 19
	}
	return false
}

// dateLike reports whether groups [a,b) of r read as a date or date-time
// (2024-11-25, 25.11.2024, 2024/11/25 10…).
func dateLike(r *numRun, a, b int) bool {
	gs := r.groups[a:b]
	if len(gs) == 1 && len(gs[0].d) == 8 {
		d := gs[0].d
		return validDate(atoi(d[:4]), atoi(d[4:6]), atoi(d[6:8])) && d[0] <= '2' && d[0] >= '1'
	}
	if len(gs) < 3 {
		return false
	}
	y, m, dd := -1, -1, -1
	switch {
	case len(gs[0].d) == 4:
		y, m, dd = atoi(gs[0].d), atoi(gs[1].d), atoi(gs[2].d)
	case len(gs[2].d) == 4 || len(gs[2].d) == 2 && len(gs) == 3:
		y, m, dd = atoi(gs[2].d), atoi(gs[1].d), atoi(gs[0].d)
		if y < 100 {
			y += 2000
		}
		if !validDate(y, m, dd) {
			m, dd = dd, m // US order
		}
	}
	return y >= 1900 && y <= 2099 && validDate(y, m, dd) && len(gs[1].d) <= 2
}

// koreanRRN reports whether d (13 digits) is a Korean resident registration
// number: a birth date YYMMDD and a gender/century digit 1-8.
func koreanRRN(d string) bool {
	if len(d) != 13 {
		return false
	}
	g := d[6]
	if g < '1' || g > '8' {
		return false
	}
	y := atoi(d[:2]) + 1900
	if g == '3' || g == '4' || g == '7' || g == '8' {
		y += 100
	}
	return validDate(y, atoi(d[2:4]), atoi(d[4:6]))
}

// ssn reports whether d (9 digits, 3-2-4) is a plausible US social security
// number (area not 000, 666 or 9xx; group and serial not zero).
func ssn(d string) bool {
	area, grp, ser := atoi(d[:3]), atoi(d[3:5]), atoi(d[5:])
	return area != 0 && area != 666 && area < 900 && grp != 0 && ser != 0
}

// dniAt recognises a Spanish DNI (8 digits and a control letter) or NIE
// (X/Y/Z, 7 digits, letter) right at r, which gluedRight stopped.
func dniAt(text string, r *numRun, o *Options) (Span, bool) {
	if !o.wants(ID) || !o.locale("es") || len(r.groups) != 1 || r.plus {
		return Span{}, false
	}
	d := r.groups[0].d
	if len(d) != 8 || r.end >= len(text) {
		return Span{}, false
	}
	l := text[r.end]
	if l >= 'a' && l <= 'z' {
		l -= 'a' - 'A'
	}
	if l != dniLetter(atoi(d)) || gluedRight(text, r.end+1) {
		return Span{}, false
	}
	start := r.start
	// NIE: X/Y/Z glued in front; handled by the letter scan in ids.go
	return Span{Type: ID, Start: start, End: r.end + 1}, true
}
