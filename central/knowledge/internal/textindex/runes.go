// Code adapted from bleve analysis/util.go (github.com/blevesearch/bleve/v2
// v2.6.3), Copyright (c) 2014 Couchbase, Inc., Apache License 2.0
// (http://www.apache.org/licenses/LICENSE-2.0).

package textindex

func deleteRune(in []rune, pos int) []rune {
	if pos >= len(in) {
		return in
	}
	copy(in[pos:], in[pos+1:])
	return in[:len(in)-1]
}

func insertRune(in []rune, pos int, r rune) []rune {
	rv := make([]rune, len(in)+1)
	copy(rv[0:pos], in[0:pos])
	rv[pos] = r
	copy(rv[pos+1:], in[pos:])
	return rv
}

func runesEndsWith(input []rune, suffix string) bool {
	inputLen := len(input)
	suffixRunes := []rune(suffix)
	suffixLen := len(suffixRunes)
	if suffixLen > inputLen {
		return false
	}
	for i := suffixLen - 1; i >= 0; i-- {
		if input[inputLen-(suffixLen-i)] != suffixRunes[i] {
			return false
		}
	}
	return true
}
