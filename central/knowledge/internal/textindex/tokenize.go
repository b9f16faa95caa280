package textindex

import (
	"unicode"
	"unicode/utf8"
)

// Kind is what a token is made of.
type Kind uint8

// Token kinds.
const (
	// Letters is a word of letters (possibly with digits: "5kg", "v2").
	Letters Kind = iota
	// Number is a token of digits ("2026", "3.5", "1,000").
	Number
	// Ideographic is one Han or Hiragana character, or a run of Katakana:
	// what the CJK analyzer turns into bigrams.
	Ideographic
)

// Token is one word of a text.
type Token struct {
	Term string
	// Start and End are byte offsets of the token in the text.
	Start, End int
	Kind       Kind
}

// class is a rune's word-break class, after Unicode's UAX #29 (the subset
// that matters for the languages the analyzers know).
type class uint8

const (
	clsOther class = iota
	clsLetter
	clsNumeric
	clsKatakana
	clsHan      // one token per character
	clsHiragana // one token per character
	clsMidLetter
	clsMidNumLet // . ’ and the like: inside words and numbers
	clsMidNum
	clsExtendNumLet // _ joins anything
	clsExtend       // combining marks, format characters: stay with the rune before
)

func classOf(r rune) class {
	switch {
	case r < 0x80:
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return clsLetter
		case '0' <= r && r <= '9':
			return clsNumeric
		case r == '.' || r == '\'':
			return clsMidNumLet
		case r == ':':
			return clsMidLetter
		case r == ',' || r == ';':
			return clsMidNum
		case r == '_':
			return clsExtendNumLet
		}
		return clsOther
	case unicode.Is(unicode.Han, r) || r == 0x3006 || r == 0x3007 || (0x3021 <= r && r <= 0x3029) || (0x3038 <= r && r <= 0x303A):
		return clsHan
	case r == 0x309B || r == 0x309C || r == 0x30A0 || r == 0x30FC || (0x3031 <= r && r <= 0x3035) || r == 0xFF70:
		return clsKatakana
	case unicode.Is(unicode.Hiragana, r):
		return clsHiragana
	case unicode.Is(unicode.Katakana, r):
		return clsKatakana
	case r == 0x200D || r == 0xFF9E || r == 0xFF9F || unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cf):
		return clsExtend
	case unicode.IsLetter(r):
		if unicode.In(r, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) {
			return clsOther // complex-context scripts are not words for UAX #29
		}
		return clsLetter
	case unicode.Is(unicode.Nd, r) && !(0xFF10 <= r && r <= 0xFF19):
		return clsNumeric
	}
	switch r {
	case 0x00B7, 0x0387, 0x05F4, 0x2027, 0xFE13, 0xFE55, 0xFF1A:
		return clsMidLetter
	case 0x2018, 0x2019, 0x2024, 0xFE52, 0xFF07, 0xFF0E:
		return clsMidNumLet
	case 0x037E, 0x0589, 0x060C, 0x060D, 0x066C, 0x07F8, 0x2044, 0xFE10, 0xFE14, 0xFE50, 0xFE54, 0xFF0C, 0xFF1B:
		return clsMidNum
	case 0x202F, 0x203F, 0x2040, 0x2054, 0xFE33, 0xFE34, 0xFE4D, 0xFE4E, 0xFE4F, 0xFF3F:
		return clsExtendNumLet
	}
	return clsOther
}

// Tokenize splits text into words by Unicode's word boundaries (UAX #29),
// keeping only words, numbers and ideographs: letters and digits join
// ("5kg"), an apostrophe or a period between letters stays inside a word
// ("what's", "e.g"), a period or comma between digits inside a number
// ("3.5", "1,000"), a run of Katakana is one token, and every Han or
// Hiragana character is a token of its own. Punctuation, spaces, symbols
// and emoji separate tokens and are dropped.
func Tokenize(text string) []Token {
	var out []Token
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		c := classOf(r)
		switch c {
		case clsHan, clsHiragana:
			end := skipExtend(text, i+size)
			out = append(out, Token{Term: text[i:end], Start: i, End: end, Kind: Ideographic})
			i = end
		case clsLetter, clsNumeric, clsKatakana, clsExtendNumLet:
			end, kind := scanWord(text, i)
			out = append(out, Token{Term: text[i:end], Start: i, End: end, Kind: kind})
			i = end
		default:
			i = skipExtend(text, i+size)
		}
	}
	return out
}

// skipExtend returns the offset after the combining and format runes at i.
func skipExtend(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if classOf(r) != clsExtend {
			break
		}
		i += size
	}
	return i
}

// next returns the class of the rune at i and the offset after it and its
// combining runes; clsOther at the end of text.
func next(text string, i int) (class, int) {
	if i >= len(text) {
		return clsOther, i
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	return classOf(r), skipExtend(text, i+size)
}

// scanWord scans the word starting at i (WB5–WB13b) and returns its end
// and kind.
func scanWord(text string, i int) (int, Kind) {
	prev, end := next(text, i)
	letters, digits, kata, enl := prev == clsLetter, prev == clsNumeric, prev == clsKatakana, prev == clsExtendNumLet
	for end < len(text) {
		c, after := next(text, end)
		join := false
		switch c {
		case clsLetter:
			join = prev == clsLetter || prev == clsNumeric || prev == clsExtendNumLet
		case clsNumeric:
			join = prev == clsNumeric || prev == clsLetter || prev == clsExtendNumLet
		case clsKatakana:
			join = prev == clsKatakana || prev == clsExtendNumLet
		case clsExtendNumLet:
			join = prev != clsOther
		case clsMidLetter, clsMidNumLet, clsMidNum:
			// A separator joins only between two letters or two digits.
			n, after2 := next(text, after)
			if (prev == clsLetter && n == clsLetter && c != clsMidNum) ||
				(prev == clsNumeric && n == clsNumeric && c != clsMidLetter) {
				letters, digits = letters || n == clsLetter, digits || n == clsNumeric
				prev, end = n, after2
				continue
			}
		}
		if !join {
			break
		}
		letters, digits, kata, enl = letters || c == clsLetter, digits || c == clsNumeric, kata || c == clsKatakana, enl || c == clsExtendNumLet
		prev, end = c, after
	}
	switch {
	case kata && !letters && !digits && !enl:
		return end, Ideographic
	case digits && !letters && !kata:
		return end, Number
	}
	// As in bleve's segmenter, a run of connector punctuation ("_") is a word too.
	return end, Letters
}
