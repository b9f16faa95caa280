package pii

import (
	"unicode"
	"unicode/utf8"
)

// folded is a view of a text that the detectors scan instead of the text
// itself: format characters (Unicode category Cf: zero-width space U+200B,
// word joiner U+2060, soft hyphen U+00AD, bidi controls, BOM…) are left
// out, every space separator (no-break space U+00A0, narrow no-break space
// U+202F, figure space U+2007, ideographic space…) reads as an ASCII space
// and full-width forms (０-９, Ａ-Ｚ, ＠, ＋…) and the decimal digits of
// other scripts (Arabic-Indic, Persian, Devanagari, Bengali, Thai) read as
// their ASCII counterparts. A shopper (or a phone's number formatting)
// cannot hide a value from detection with them.
//
// start[i] and end[i] are the byte offsets in the original text of the
// character that byte i of the view came from, so that a span found in the
// view masks exactly the original characters (the masked text keeps the
// original text's shape around the placeholders).
type folded struct {
	text       string
	start, end []int
}

// fold returns the view of s, or ok false when the view would be s itself
// (nothing to fold: the common case costs one pass over the bytes).
func fold(s string) (f folded, ok bool) {
	if !needsFold(s) {
		return folded{}, false
	}
	b := make([]byte, 0, len(s))
	f.start = make([]int, 0, len(s)+1)
	f.end = make([]int, 0, len(s)+1)
	var tmp [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 { // invalid byte: kept as it is
			b = append(b, s[i])
			f.start, f.end = append(f.start, i), append(f.end, i+1)
			i++
			continue
		}
		out, keep := foldRune(r)
		if keep {
			n := utf8.EncodeRune(tmp[:], out)
			for k := 0; k < n; k++ {
				b = append(b, tmp[k])
				f.start, f.end = append(f.start, i), append(f.end, i+size)
			}
		}
		i += size
	}
	f.text = string(b)
	return f, true
}

// needsFold reports whether s holds a character that fold changes.
func needsFold(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < utf8.RuneSelf {
			continue
		}
		for _, r := range s[i:] {
			if out, keep := foldRune(r); !keep || out != r {
				return true
			}
		}
		return false
	}
	return false
}

// digitZeros are the zero digits of the scripts whose digits fold to ASCII
// (each block holds 0-9 in order).
var digitZeros = [...]rune{0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0xFF10}

// foldRune maps one character of the original text to the view: keep false
// leaves it out.
func foldRune(r rune) (out rune, keep bool) {
	switch {
	case r < utf8.RuneSelf:
		return r, true
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII forms
		return r - 0xFEE0, true
	case unicode.Is(unicode.Zs, r):
		return ' ', true
	case unicode.Is(unicode.Cf, r):
		return 0, false
	}
	for _, z := range digitZeros {
		if r >= z && r <= z+9 {
			return '0' + (r - z), true
		}
	}
	return r, true
}

// spans maps spans found in the view back to the original text.
func (f *folded) spans(orig string, c []Span) []Span {
	for i := range c {
		s, e := c[i].Start, c[i].End
		if s < 0 || e > len(f.start) || s >= e {
			continue
		}
		c[i].Start, c[i].End = f.start[s], f.end[e-1]
		c[i].Value = orig[c[i].Start:c[i].End]
	}
	return c
}
