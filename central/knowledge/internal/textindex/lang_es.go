// Code adapted from bleve analysis/lang/es (github.com/blevesearch/bleve/v2 v2.6.3),
// Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0); itself a port of Apache
// Lucene's analysis module. Changed: the bleve registry glue is removed,
// functions take and return strings or rune slices.

package textindex

func esNormalize(input string) string {
	runes := []rune(input)
	for i := 0; i < len(runes); i++ {
		switch runes[i] {
		case 'à', 'á', 'â', 'ä':
			runes[i] = 'a'
		case 'ò', 'ó', 'ô', 'ö':
			runes[i] = 'o'
		case 'è', 'é', 'ê', 'ë':
			runes[i] = 'e'
		case 'ù', 'ú', 'û', 'ü':
			runes[i] = 'u'
		case 'ì', 'í', 'î', 'ï':
			runes[i] = 'i'
		}
	}

	return string(runes)
}

func esStem(input []rune) []rune {
	l := len(input)
	if l < 5 {
		return input
	}

	switch input[l-1] {
	case 'o', 'a', 'e':
		return input[:l-1]
	case 's':
		if input[l-2] == 'e' && input[l-3] == 's' && input[l-4] == 'e' {
			return input[:l-2]
		}
		if input[l-2] == 'e' && input[l-3] == 'c' {
			input[l-3] = 'z'
			return input[:l-2]
		}
		if input[l-2] == 'o' || input[l-2] == 'a' || input[l-2] == 'e' {
			return input[:l-2]
		}
	}

	return input
}
