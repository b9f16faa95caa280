// Code adapted from bleve analysis/lang/de (github.com/blevesearch/bleve/v2 v2.6.3),
// Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0); itself a port of Apache
// Lucene's analysis module. Changed: the bleve registry glue is removed,
// functions take and return strings or rune slices.

package textindex

const (
	deN = 0 /* ordinary state */
	deV = 1 /* stops 'u' from entering umlaut state */
	deU = 2 /* umlaut state, allows e-deletion */
)

func deNormalize(input string) string {
	state := deN
	runes := []rune(input)
	for i := 0; i < len(runes); i++ {
		switch runes[i] {
		case 'a', 'o':
			state = deU
		case 'u':
			if state == deN {
				state = deU
			} else {
				state = deV
			}
		case 'e':
			if state == deU {
				runes = deleteRune(runes, i)
				i--
			}
			state = deV
		case 'i', 'q', 'y':
			state = deV
		case 'ä':
			runes[i] = 'a'
			state = deV
		case 'ö':
			runes[i] = 'o'
			state = deV
		case 'ü':
			runes[i] = 'u'
			state = deV
		case 'ß':
			runes[i] = 's'
			i++
			runes = insertRune(runes, i, 's')
			state = deN
		default:
			state = deN
		}
	}
	return string(runes)
}

func deStem(input []rune) []rune {

	for i, r := range input {
		switch r {
		case 'ä', 'à', 'á', 'â':
			input[i] = 'a'
		case 'ö', 'ò', 'ó', 'ô':
			input[i] = 'o'
		case 'ï', 'ì', 'í', 'î':
			input[i] = 'i'
		case 'ü', 'ù', 'ú', 'û':
			input[i] = 'u'
		}
	}

	input = deStep1(input)
	return deStep2(input)
}

func deStEnding(ch rune) bool {
	switch ch {
	case 'b', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 't':
		return true
	}
	return false
}

func deStep1(s []rune) []rune {
	l := len(s)
	if l > 5 && s[l-3] == 'e' && s[l-2] == 'r' && s[l-1] == 'n' {
		return s[:l-3]
	}

	if l > 4 && s[l-2] == 'e' {
		switch s[l-1] {
		case 'm', 'n', 'r', 's':
			return s[:l-2]
		}
	}

	if l > 3 && s[l-1] == 'e' {
		return s[:l-1]
	}

	if l > 3 && s[l-1] == 's' && deStEnding(s[l-2]) {
		return s[:l-1]
	}

	return s
}

func deStep2(s []rune) []rune {
	l := len(s)
	if l > 5 && s[l-3] == 'e' && s[l-2] == 's' && s[l-1] == 't' {
		return s[:l-3]
	}

	if l > 4 && s[l-2] == 'e' && (s[l-1] == 'r' || s[l-1] == 'n') {
		return s[:l-2]
	}

	if l > 4 && s[l-2] == 's' && s[l-1] == 't' && deStEnding(s[l-3]) {
		return s[:l-2]
	}

	return s
}
