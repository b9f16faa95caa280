// Code adapted from bleve analysis/lang/it (github.com/blevesearch/bleve/v2 v2.6.3),
// Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0); itself a port of Apache
// Lucene's analysis module. Changed: the bleve registry glue is removed,
// functions take and return strings or rune slices.

package textindex

func itStem(input []rune) []rune {

	inputLen := len(input)

	if inputLen < 6 {
		return input
	}

	for i := 0; i < inputLen; i++ {
		switch input[i] {
		case 'à', 'á', 'â', 'ä':
			input[i] = 'a'
		case 'ò', 'ó', 'ô', 'ö':
			input[i] = 'o'
		case 'è', 'é', 'ê', 'ë':
			input[i] = 'e'
		case 'ù', 'ú', 'û', 'ü':
			input[i] = 'u'
		case 'ì', 'í', 'î', 'ï':
			input[i] = 'i'
		}
	}

	switch input[inputLen-1] {
	case 'e':
		if input[inputLen-2] == 'i' || input[inputLen-2] == 'h' {
			return input[0 : inputLen-2]
		} else {
			return input[0 : inputLen-1]
		}
	case 'i':
		if input[inputLen-2] == 'h' || input[inputLen-2] == 'i' {
			return input[0 : inputLen-2]
		} else {
			return input[0 : inputLen-1]
		}
	case 'a':
		if input[inputLen-2] == 'i' {
			return input[0 : inputLen-2]
		} else {
			return input[0 : inputLen-1]
		}
	case 'o':
		if input[inputLen-2] == 'i' {
			return input[0 : inputLen-2]
		} else {
			return input[0 : inputLen-1]
		}
	}

	return input
}
