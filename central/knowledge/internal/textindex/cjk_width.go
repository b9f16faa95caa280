// Code adapted from bleve analysis/lang/cjk/cjk_width.go (github.com/blevesearch/bleve/v2
// v2.6.3), Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0); itself a port of Apache
// Lucene's CJKWidthFilter. Changed: a function over a string.

package textindex

// foldWidth folds full-width ASCII to ASCII and half-width Katakana to
// full-width, combining a half-width (semi-)voiced sound mark with the
// Katakana before it.
func foldWidth(t string) string {
	runes := []rune(t)
	changed := false
	for i := 0; i < len(runes); i++ {
		ch := runes[i]
		if ch >= 0xFF01 && ch <= 0xFF5E {
			// fullwidth ASCII variants
			runes[i] -= 0xFEE0
			changed = true
		} else if ch >= 0xFF65 && ch <= 0xFF9F {
			// halfwidth Katakana variants
			changed = true
			if (ch == 0xFF9E || ch == 0xFF9F) && i > 0 && combine(runes, i, ch) {
				runes = deleteRune(runes, i)
				i--
			} else {
				runes[i] = kanaNorm[ch-0xFF65]
			}
		}
	}
	if !changed {
		return t
	}
	return string(runes)
}

var kanaNorm = []rune{
	0x30fb, 0x30f2, 0x30a1, 0x30a3, 0x30a5, 0x30a7, 0x30a9, 0x30e3, 0x30e5,
	0x30e7, 0x30c3, 0x30fc, 0x30a2, 0x30a4, 0x30a6, 0x30a8, 0x30aa, 0x30ab,
	0x30ad, 0x30af, 0x30b1, 0x30b3, 0x30b5, 0x30b7, 0x30b9, 0x30bb, 0x30bd,
	0x30bf, 0x30c1, 0x30c4, 0x30c6, 0x30c8, 0x30ca, 0x30cb, 0x30cc, 0x30cd,
	0x30ce, 0x30cf, 0x30d2, 0x30d5, 0x30d8, 0x30db, 0x30de, 0x30df, 0x30e0,
	0x30e1, 0x30e2, 0x30e4, 0x30e6, 0x30e8, 0x30e9, 0x30ea, 0x30eb, 0x30ec,
	0x30ed, 0x30ef, 0x30f3, 0x3099, 0x309A,
}

var kanaCombineVoiced = []rune{
	78, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
	0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1,
	0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
}
var kanaCombineHalfVoiced = []rune{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 2, 0, 0, 2,
	0, 0, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
}

func combine(text []rune, pos int, r rune) bool {
	prev := text[pos-1]
	if prev >= 0x30A6 && prev <= 0x30FD {
		if r == 0xFF9F {
			text[pos-1] += kanaCombineHalfVoiced[prev-0x30A6]
		} else {
			text[pos-1] += kanaCombineVoiced[prev-0x30A6]
		}
		return text[pos-1] != prev
	}
	return false
}
