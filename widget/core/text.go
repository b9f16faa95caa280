package core

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kefu-io/kefu/internal/keysort"
)

// Feature kinds, mixed into the hash so that a word and an n-gram with the
// same bytes never collide on purpose.
const (
	kindUni  = 'u' // one CJK rune
	kindBi   = 'b' // two adjacent CJK runes
	kindWord = 'w' // a whole non-CJK word
	kindTri  = 't' // a boundary-padded trigram of a non-CJK word
)

// Weights of each feature kind before IDF.
const (
	weightUni  = 0.6
	weightBi   = 1.0
	weightWord = 1.0
	weightTri  = 0.35
	// weightStop scales function words (the stop words of lang.go, CJK
	// particles, hiragana) so that "What is your…" does not decide a match.
	weightStop = 0.2
)

// cjkStop are Chinese function characters.
const cjkStop = "的吗呢吧了是么啊你们我有在"

// vector is a sparse feature vector sorted by key.
type vector struct {
	keys []uint32
	vals []float32
}

// isCJK reports whether r is written without spaces between words: Han,
// kana and Hangul. Every rune below U+1100 (Hangul Jamo, the first of
// them) is answered without a table look-up: most shopper text is Latin.
func isCJK(r rune) bool {
	if r < 0x1100 {
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// fold maps full-width ASCII to ASCII and lowers the case.
func fold(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	return unicode.ToLower(r)
}

// hasher is FNV-1a, 32 bits, written out so the package needs no hash/fnv.
type hasher uint32

func newHasher(kind byte) hasher { return (hasher(2166136261) ^ hasher(kind)) * 16777619 }

func (h hasher) rune(r rune) hasher {
	if uint32(r) < utf8.RuneSelf {
		return (h ^ hasher(r)) * 16777619
	}
	var buf [4]byte
	n := utf8.EncodeRune(buf[:], r)
	for i := 0; i < n; i++ {
		h = (h ^ hasher(buf[i])) * 16777619
	}
	return h
}

// termCounts accumulates weighted feature counts for one text.
type termCounts map[uint32]float32

// term is one occurrence of a feature in a text: its key and weight.
type term struct {
	key uint32
	w   float32
}

// featurizer splits texts into weighted n-gram features; its slices are
// reused from one text to the next (a question's features allocate
// nothing once they have grown).
type featurizer struct {
	terms []term // the last text's features, in text order (a key may repeat)
	word  []rune // the word being read
	wb    []byte // its UTF-8, for the stop-word look-up
}

// features returns the weighted n-gram features of text as counts.
func features(text string) termCounts {
	var f featurizer
	f.run(text)
	tc := make(termCounts, len(f.terms))
	for _, t := range f.terms {
		tc[t.key] += t.w
	}
	return tc
}

// run splits text into its features, f.terms in text order: summed per
// key in that order they are the counts of features.
func (f *featurizer) run(text string) {
	f.terms = f.terms[:0]
	f.word = f.word[:0]
	var prevCJK rune = -1
	for _, r := range text {
		r = fold(r)
		switch {
		case isCJK(r):
			f.flushWord()
			w := float32(weightUni)
			if unicode.Is(unicode.Hiragana, r) || strings.ContainsRune(cjkStop, r) {
				w *= weightStop
			}
			f.terms = append(f.terms, term{uint32(newHasher(kindUni).rune(r)), w})
			if prevCJK >= 0 {
				f.terms = append(f.terms, term{uint32(newHasher(kindBi).rune(prevCJK).rune(r)), weightBi})
			}
			prevCJK = r
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r >= 0x300 && unicode.Is(unicode.Mn, r):
			prevCJK = -1
			f.word = append(f.word, r)
		default:
			f.flushWord()
			prevCJK = -1
		}
	}
	f.flushWord()
}

// flushWord adds the word read so far: the whole word, then its boundary
// trigrams (^wo wor ord rd$).
func (f *featurizer) flushWord() {
	word := f.word
	if len(word) == 0 {
		return
	}
	h := newHasher(kindWord)
	f.wb = f.wb[:0]
	for _, r := range word {
		h = h.rune(r)
		f.wb = utf8.AppendRune(f.wb, r)
	}
	scale := float32(1)
	if _, ok := stopIndex[string(f.wb)]; ok {
		scale = weightStop
	}
	f.terms = append(f.terms, term{uint32(h), weightWord * scale})
	for i := 0; i+3 <= len(word)+2; i++ {
		t := newHasher(kindTri).rune(padded(word, i)).rune(padded(word, i+1)).rune(padded(word, i+2))
		f.terms = append(f.terms, term{uint32(t), weightTri * scale})
	}
	f.word = word[:0]
}

// padded is rune i of "^" + word + "$".
func padded(word []rune, i int) rune {
	switch {
	case i == 0:
		return '^'
	case i > len(word):
		return '$'
	}
	return word[i-1]
}

// tf is the sub-linear term frequency of a weighted count: repeating a word
// does not make it count double; stop words (count < 1) keep their weight.
func tf(n float32) float32 {
	if n < 1 {
		return n
	}
	return float32(1 + math.Log(float64(n)))
}

// weigh turns counts into an L2-normalised TF-IDF vector sorted by key. idf
// returns the weight of a key.
func weigh(tc termCounts, idf func(uint32) float32) vector {
	v := vector{keys: make([]uint32, 0, len(tc)), vals: make([]float32, 0, len(tc))}
	for k := range tc {
		v.keys = append(v.keys, k)
	}
	keysort.Sort(v.keys)
	var norm float64
	for _, k := range v.keys {
		w := tf(tc[k]) * idf(k)
		v.vals = append(v.vals, w)
		norm += float64(w) * float64(w)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range v.vals {
			v.vals[i] *= inv
		}
	}
	return v
}
