// Code adapted from bleve analysis/lang/pt (github.com/blevesearch/bleve/v2 v2.6.3),
// Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0); itself a port of Apache
// Lucene's analysis module. Changed: the bleve registry glue is removed,
// functions take and return strings or rune slices.

package textindex

func ptStem(input []rune) []rune {

	inputLen := len(input)

	if inputLen < 4 {
		return input
	}

	input = ptRemoveSuffix(input)
	inputLen = len(input)

	if inputLen > 3 && input[inputLen-1] == 'a' {
		input = ptNormFeminine(input)
		inputLen = len(input)
	}

	if inputLen > 4 {
		switch input[inputLen-1] {
		case 'e', 'a', 'o':
			input = input[0 : inputLen-1]
			inputLen = len(input)
		}
	}

	for i := 0; i < inputLen; i++ {
		switch input[i] {
		case 'à', 'á', 'â', 'ä', 'ã':
			input[i] = 'a'
		case 'ò', 'ó', 'ô', 'ö', 'õ':
			input[i] = 'o'
		case 'è', 'é', 'ê', 'ë':
			input[i] = 'e'
		case 'ù', 'ú', 'û', 'ü':
			input[i] = 'u'
		case 'ì', 'í', 'î', 'ï':
			input[i] = 'i'
		case 'ç':
			input[i] = 'c'
		}
	}

	return input
}

func ptRemoveSuffix(input []rune) []rune {

	inputLen := len(input)

	if inputLen > 4 && runesEndsWith(input, "es") {
		switch input[inputLen-3] {
		case 'r', 's', 'l', 'z':
			return input[0 : inputLen-2]
		}
	}

	if inputLen > 3 && runesEndsWith(input, "ns") {
		input[inputLen-2] = 'm'
		return input[0 : inputLen-1]
	}

	if inputLen > 4 && (runesEndsWith(input, "eis") || runesEndsWith(input, "éis")) {
		input[inputLen-3] = 'e'
		input[inputLen-2] = 'l'
		return input[0 : inputLen-1]
	}

	if inputLen > 4 && runesEndsWith(input, "ais") {
		input[inputLen-2] = 'l'
		return input[0 : inputLen-1]
	}

	if inputLen > 4 && runesEndsWith(input, "óis") {
		input[inputLen-3] = 'o'
		input[inputLen-2] = 'l'
		return input[0 : inputLen-1]
	}

	if inputLen > 4 && runesEndsWith(input, "is") {
		input[inputLen-1] = 'l'
		return input
	}

	if inputLen > 3 &&
		(runesEndsWith(input, "ões") ||
			runesEndsWith(input, "ães")) {
		input = input[0 : inputLen-1]
		inputLen = len(input)
		input[inputLen-2] = 'ã'
		input[inputLen-1] = 'o'
		return input
	}

	if inputLen > 6 && runesEndsWith(input, "mente") {
		return input[0 : inputLen-5]
	}

	if inputLen > 3 && input[inputLen-1] == 's' {
		return input[0 : inputLen-1]
	}
	return input
}

func ptNormFeminine(input []rune) []rune {
	inputLen := len(input)

	if inputLen > 7 &&
		(runesEndsWith(input, "inha") ||
			runesEndsWith(input, "iaca") ||
			runesEndsWith(input, "eira")) {
		input[inputLen-1] = 'o'
		return input
	}

	if inputLen > 6 {
		if runesEndsWith(input, "osa") ||
			runesEndsWith(input, "ica") ||
			runesEndsWith(input, "ida") ||
			runesEndsWith(input, "ada") ||
			runesEndsWith(input, "iva") ||
			runesEndsWith(input, "ama") {
			input[inputLen-1] = 'o'
			return input
		}

		if runesEndsWith(input, "ona") {
			input[inputLen-3] = 'ã'
			input[inputLen-2] = 'o'
			return input[0 : inputLen-1]
		}

		if runesEndsWith(input, "ora") {
			return input[0 : inputLen-1]
		}

		if runesEndsWith(input, "esa") {
			input[inputLen-3] = 'ê'
			return input[0 : inputLen-1]
		}

		if runesEndsWith(input, "na") {
			input[inputLen-1] = 'o'
			return input
		}
	}
	return input
}
