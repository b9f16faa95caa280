// Code adapted from bleve analysis/lang/ar (github.com/blevesearch/bleve/v2 v2.6.3),
// Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0); itself a port of Apache
// Lucene's analysis module. Changed: the bleve registry glue is removed,
// functions take and return strings or rune slices.

package textindex

const (
	arAlef           = '\u0627'
	arAlefMadda      = '\u0622'
	arAlefHamzaAbove = '\u0623'
	arAlefHamzaBelow = '\u0625'
	arYeh            = '\u064A'
	arDotlessYeh     = '\u0649'
	arTehMarbuta     = '\u0629'
	arHeh            = '\u0647'
	arTatweel        = '\u0640'
	arFathatan       = '\u064B'
	arDammatan       = '\u064C'
	arKasratan       = '\u064D'
	arFatha          = '\u064E'
	arDamma          = '\u064F'
	arKasra          = '\u0650'
	arShadda         = '\u0651'
	arSukun          = '\u0652'
)

func arNormalize(input string) string {
	runes := []rune(input)
	for i := 0; i < len(runes); i++ {
		switch runes[i] {
		case arAlefMadda, arAlefHamzaAbove, arAlefHamzaBelow:
			runes[i] = arAlef
		case arDotlessYeh:
			runes[i] = arYeh
		case arTehMarbuta:
			runes[i] = arHeh
		case arTatweel, arKasratan, arDammatan, arFathatan, arFatha, arDamma, arKasra, arShadda, arSukun:
			runes = deleteRune(runes, i)
			i--
		}
	}
	return string(runes)
}

// These were obtained from org.apache.lucene.analysis.ar.ArabicStemmer
var arPrefixes = [][]rune{
	[]rune("ال"),
	[]rune("وال"),
	[]rune("بال"),
	[]rune("كال"),
	[]rune("فال"),
	[]rune("لل"),
	[]rune("و"),
}
var arSuffixes = [][]rune{
	[]rune("ها"),
	[]rune("ان"),
	[]rune("ات"),
	[]rune("ون"),
	[]rune("ين"),
	[]rune("يه"),
	[]rune("ية"),
	[]rune("ه"),
	[]rune("ة"),
	[]rune("ي"),
}

func arCanStemPrefix(input, prefix []rune) bool {
	// Wa- prefix requires at least 3 characters.
	if len(prefix) == 1 && len(input) < 4 {
		return false
	}
	// Other arPrefixes require only 2.
	if len(input)-len(prefix) < 2 {
		return false
	}
	for i := range prefix {
		if prefix[i] != input[i] {
			return false
		}
	}
	return true
}

func arCanStemSuffix(input, suffix []rune) bool {
	// All arSuffixes require at least 2 characters after stemming.
	if len(input)-len(suffix) < 2 {
		return false
	}
	stemEnd := len(input) - len(suffix)
	for i := range suffix {
		if suffix[i] != input[stemEnd+i] {
			return false
		}
	}
	return true
}

func arStem(input string) string {
	runes := []rune(input)
	// Strip a single prefix.
	for _, p := range arPrefixes {
		if arCanStemPrefix(runes, p) {
			runes = runes[len(p):]
			break
		}
	}
	// Strip off multiple arSuffixes, in their order in the arSuffixes array.
	for _, s := range arSuffixes {
		if arCanStemSuffix(runes, s) {
			runes = runes[:len(runes)-len(s)]
		}
	}
	return string(runes)
}
