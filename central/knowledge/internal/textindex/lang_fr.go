// Code adapted from bleve analysis/lang/fr (github.com/blevesearch/bleve/v2 v2.6.3),
// Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0); itself a port of Apache
// Lucene's analysis module. Changed: the bleve registry glue is removed,
// functions take and return strings or rune slices.

package textindex

import "unicode"

func frStem(input []rune) []rune {

	inputLen := len(input)

	if inputLen > 5 && input[inputLen-1] == 'x' {
		if input[inputLen-3] == 'a' && input[inputLen-2] == 'u' && input[inputLen-4] != 'e' {
			input[inputLen-2] = 'l'
		}
		input = input[0 : inputLen-1]
		inputLen = len(input)
	}

	if inputLen > 3 && input[inputLen-1] == 'x' {
		input = input[0 : inputLen-1]
		inputLen = len(input)
	}

	if inputLen > 3 && input[inputLen-1] == 's' {
		input = input[0 : inputLen-1]
		inputLen = len(input)
	}

	if inputLen > 9 && runesEndsWith(input, "issement") {
		input = input[0 : inputLen-6]
		inputLen = len(input)
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 8 && runesEndsWith(input, "issant") {
		input = input[0 : inputLen-4]
		inputLen = len(input)
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 6 && runesEndsWith(input, "ement") {
		input = input[0 : inputLen-4]
		inputLen = len(input)
		if inputLen > 3 && runesEndsWith(input, "ive") {
			input = input[0 : inputLen-1]
			inputLen = len(input)
			input[inputLen-1] = 'f'
		}
		return frNorm(input)
	}

	if inputLen > 11 && runesEndsWith(input, "ficatrice") {
		input = input[0 : inputLen-5]
		inputLen = len(input)
		input[inputLen-2] = 'e'
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 10 && runesEndsWith(input, "ficateur") {
		input = input[0 : inputLen-4]
		inputLen = len(input)
		input[inputLen-2] = 'e'
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 9 && runesEndsWith(input, "catrice") {
		input = input[0 : inputLen-3]
		inputLen = len(input)
		input[inputLen-4] = 'q'
		input[inputLen-3] = 'u'
		input[inputLen-2] = 'e'
		//s[len-1] = 'r' <-- unnecessary, already 'r'.
		return frNorm(input)
	}

	if inputLen > 8 && runesEndsWith(input, "cateur") {
		input = input[0 : inputLen-2]
		inputLen = len(input)
		input[inputLen-4] = 'q'
		input[inputLen-3] = 'u'
		input[inputLen-2] = 'e'
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 8 && runesEndsWith(input, "atrice") {
		input = input[0 : inputLen-4]
		inputLen = len(input)
		input[inputLen-2] = 'e'
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 7 && runesEndsWith(input, "ateur") {
		input = input[0 : inputLen-3]
		inputLen = len(input)
		input[inputLen-2] = 'e'
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 6 && runesEndsWith(input, "trice") {
		input = input[0 : inputLen-1]
		inputLen = len(input)
		input[inputLen-3] = 'e'
		input[inputLen-2] = 'u'
		input[inputLen-1] = 'r'
	}

	if inputLen > 5 && runesEndsWith(input, "ième") {
		return frNorm(input[0 : inputLen-4])
	}

	if inputLen > 7 && runesEndsWith(input, "teuse") {
		input = input[0 : inputLen-2]
		inputLen = len(input)
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 6 && runesEndsWith(input, "teur") {
		input = input[0 : inputLen-1]
		inputLen = len(input)
		input[inputLen-1] = 'r'
		return frNorm(input)
	}

	if inputLen > 5 && runesEndsWith(input, "euse") {
		return frNorm(input[0 : inputLen-2])
	}

	if inputLen > 8 && runesEndsWith(input, "ère") {
		input = input[0 : inputLen-1]
		inputLen = len(input)
		input[inputLen-2] = 'e'
		return frNorm(input)
	}

	if inputLen > 7 && runesEndsWith(input, "ive") {
		input = input[0 : inputLen-1]
		inputLen = len(input)
		input[inputLen-1] = 'f'
		return frNorm(input)
	}

	if inputLen > 4 &&
		(runesEndsWith(input, "folle") ||
			runesEndsWith(input, "molle")) {
		input = input[0 : inputLen-2]
		inputLen = len(input)
		input[inputLen-1] = 'u'
		return frNorm(input)
	}

	if inputLen > 9 && runesEndsWith(input, "nnelle") {
		return frNorm(input[0 : inputLen-5])
	}

	if inputLen > 9 && runesEndsWith(input, "nnel") {
		return frNorm(input[0 : inputLen-3])
	}

	if inputLen > 4 && runesEndsWith(input, "ète") {
		input = input[0 : inputLen-1]
		inputLen = len(input)
		input[inputLen-2] = 'e'
	}

	if inputLen > 8 && runesEndsWith(input, "ique") {
		input = input[0 : inputLen-4]
		inputLen = len(input)
	}

	if inputLen > 8 && runesEndsWith(input, "esse") {
		return frNorm(input[0 : inputLen-3])
	}

	if inputLen > 7 && runesEndsWith(input, "inage") {
		return frNorm(input[0 : inputLen-3])
	}

	if inputLen > 9 && runesEndsWith(input, "isation") {
		input = input[0 : inputLen-7]
		inputLen = len(input)
		if inputLen > 5 && runesEndsWith(input, "ual") {
			input[inputLen-2] = 'e'
		}
		return frNorm(input)
	}

	if inputLen > 9 && runesEndsWith(input, "isateur") {
		return frNorm(input[0 : inputLen-7])
	}

	if inputLen > 8 && runesEndsWith(input, "ation") {
		return frNorm(input[0 : inputLen-5])
	}

	if inputLen > 8 && runesEndsWith(input, "ition") {
		return frNorm(input[0 : inputLen-5])
	}

	return frNorm(input)

}

func frNorm(input []rune) []rune {

	if len(input) > 4 {
		for i := 0; i < len(input); i++ {
			switch input[i] {
			case 'à', 'á', 'â':
				input[i] = 'a'
			case 'ô':
				input[i] = 'o'
			case 'è', 'é', 'ê':
				input[i] = 'e'
			case 'ù', 'û':
				input[i] = 'u'
			case 'î':
				input[i] = 'i'
			case 'ç':
				input[i] = 'c'
			}

			ch := input[0]
			for i := 1; i < len(input); i++ {
				if input[i] == ch && unicode.IsLetter(ch) {
					input = deleteRune(input, i)
					i -= 1
				} else {
					ch = input[i]
				}
			}
		}
	}

	if len(input) > 4 && runesEndsWith(input, "ie") {
		input = input[0 : len(input)-2]
	}

	if len(input) > 4 {
		if input[len(input)-1] == 'r' {
			input = input[0 : len(input)-1]
		}
		if input[len(input)-1] == 'e' {
			input = input[0 : len(input)-1]
		}
		if input[len(input)-1] == 'e' {
			input = input[0 : len(input)-1]
		}
		if input[len(input)-1] == input[len(input)-2] && unicode.IsLetter(input[len(input)-1]) {
			input = input[0 : len(input)-1]
		}
	}

	return input
}
