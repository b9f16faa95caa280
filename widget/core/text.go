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
// kana and Hangul.
func isCJK(r rune) bool {
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
	var buf [4]byte
	n := utf8.EncodeRune(buf[:], r)
	for i := 0; i < n; i++ {
		h = (h ^ hasher(buf[i])) * 16777619
	}
	return h
}

// termCounts accumulates weighted feature counts for one text.
type termCounts map[uint32]float32

// features splits text into weighted n-gram features. The runes slice is
// reused scratch space.
func features(text string) termCounts {
	tc := make(termCounts, 2*len(text)/3+4)
	var word []rune
	var prevCJK rune = -1
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		h := newHasher(kindWord)
		for _, r := range word {
			h = h.rune(r)
		}
		scale := float32(1)
		if _, ok := stopIndex[string(word)]; ok {
			scale = weightStop
		}
		tc[uint32(h)] += weightWord * scale
		// Boundary trigrams: ^wo wor ord rd$.
		padded := make([]rune, 0, len(word)+2)
		padded = append(padded, '^')
		padded = append(padded, word...)
		padded = append(padded, '$')
		for i := 0; i+3 <= len(padded); i++ {
			t := newHasher(kindTri).rune(padded[i]).rune(padded[i+1]).rune(padded[i+2])
			tc[uint32(t)] += weightTri * scale
		}
		word = word[:0]
	}
	for _, r := range text {
		r = fold(r)
		switch {
		case isCJK(r):
			flushWord()
			w := float32(weightUni)
			if unicode.Is(unicode.Hiragana, r) || strings.ContainsRune(cjkStop, r) {
				w *= weightStop
			}
			tc[uint32(newHasher(kindUni).rune(r))] += w
			if prevCJK >= 0 {
				tc[uint32(newHasher(kindBi).rune(prevCJK).rune(r))] += weightBi
			}
			prevCJK = r
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			prevCJK = -1
			word = append(word, r)
		default:
			flushWord()
			prevCJK = -1
		}
	}
	flushWord()
	return tc
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
