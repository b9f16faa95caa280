// Package features turns a chat message into hashed feature ids for the text
// models. The same code runs at training time (models/train) and at inference
// time (models/textmodel, inside the browser widget), so it is pure Go with no
// dependencies beyond the standard library's unicode tables.
//
// Spaced scripts (Latin, Cyrillic, Arabic, Hangul, Greek, …) give one feature
// per word, optional word bigrams and fastText-style sub-word character
// n-grams of "<word>". Scripts written without spaces (Han, Hiragana,
// Katakana, Thai, Lao, Khmer, Myanmar) give character n-grams over each run.
// Punctuation, symbols and emoji give one feature each. Every feature is
// hashed (FNV-1a, seeded) into [0, Buckets).
package features

import (
	"errors"
	"unicode"
	"unicode/utf8"
)

// Version identifies the feature algorithm. A model records it and refuses to
// load under a different one, because changing the algorithm silently changes
// every id.
const Version = 1

// maxWordRunes bounds how many runes of one word are looked at; longer words
// are cut (deterministically) so that extraction never allocates per word.
const maxWordRunes = 40

// ErrConfig reports a Config that cannot be used.
var ErrConfig = errors.New("features: invalid config")

// Config selects which features are produced. The zero value is not valid;
// start from a preset such as Intent or LangID.
type Config struct {
	// Buckets is the size of the hashed feature space (ids are < Buckets).
	Buckets uint32
	// WordNgrams is 1 for word unigrams only, 2 to add word bigrams; 0 turns
	// whole-word features off (sub-words only).
	WordNgrams uint8
	// MinN and MaxN bound the character n-grams taken from "<word>" for
	// spaced scripts; MaxN 0 turns sub-words off.
	MinN, MaxN uint8
	// CJKMaxN is the longest character n-gram taken over runs of unspaced
	// scripts (1 = single characters).
	CJKMaxN uint8
	// Seed changes every hash; models trained with different seeds are
	// incompatible.
	Seed uint32
}

// Validate reports whether c can be used.
func (c Config) Validate() error {
	switch {
	case c.Buckets < 2:
		return errors.Join(ErrConfig, errors.New("features: buckets must be at least 2"))
	case c.WordNgrams > 2:
		return errors.Join(ErrConfig, errors.New("features: word n-grams must be 0, 1 or 2"))
	case c.MaxN > 0 && (c.MinN < 1 || c.MinN > c.MaxN || c.MaxN > 8):
		return errors.Join(ErrConfig, errors.New("features: need 1 <= min n <= max n <= 8"))
	case c.CJKMaxN < 1 || c.CJKMaxN > 4:
		return errors.Join(ErrConfig, errors.New("features: CJK max n must be 1..4"))
	}
	return nil
}

// feature kinds, mixed into the hash so that, e.g., the word "a" and the
// sub-word "a" differ.
const (
	kindWord byte = iota + 1
	kindBigram
	kindSub
	kindCJK
	kindSym
)

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

type hasher uint32

func (h hasher) byte(b byte) hasher { return (h ^ hasher(b)) * fnvPrime }

func (h hasher) rune(r rune) hasher {
	if r < utf8.RuneSelf && r >= 0 {
		return h.byte(byte(r))
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for i := 0; i < n; i++ {
		h = h.byte(buf[i])
	}
	return h
}

func (h hasher) u32(v uint32) hasher {
	return h.byte(byte(v)).byte(byte(v >> 8)).byte(byte(v >> 16)).byte(byte(v >> 24))
}

// seeded is the hash every feature starts from: each then hashes its kind
// (seeded().byte(kind)), then its text.
func (c Config) seeded() hasher { return hasher(fnvOffset).u32(c.Seed) }

func (c Config) id(h hasher) uint32 {
	// final avalanche (murmur3 fmix32) so that the modulo uses every bit
	x := uint32(h)
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return x % c.Buckets
}

// Normalize maps one rune to its canonical form: full-width ASCII to ASCII,
// the ideographic space to a space, letters to lower case and every decimal
// digit to '0' (order numbers and prices then share features).
func Normalize(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		return ' '
	}
	if r >= '0' && r <= '9' {
		return '0'
	}
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if isHan(r) {
		return r // neither a digit nor cased
	}
	if unicode.IsDigit(r) {
		return '0'
	}
	return unicode.ToLower(r)
}

// isHan reports whether r is in the CJK Unified Ideographs block, every
// code point of which is a Han letter (TestFastPathsAgree).
func isHan(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF }

type class uint8

const (
	classSpace class = iota
	classWord        // letters and digits of spaced scripts
	classCJK         // scripts written without spaces
	classSym         // punctuation, symbols, emoji
	classJoin        // combining marks and joiners: stay with the word or run
)

func classify(r rune) class {
	if r < utf8.RuneSelf {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v':
			return classSpace
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return classWord
		case r < ' ' || r == 0x7f:
			return classSpace
		}
		return classSym
	}
	switch {
	case isHan(r), r >= 0x3041 && r <= 0x3096, r >= 0x30A1 && r <= 0x30FA:
		return classCJK // the common Han, Hiragana and Katakana blocks
	case r >= 0xAC00 && r <= 0xD7A3:
		return classWord // Hangul syllables
	case unicode.IsSpace(r):
		return classSpace
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r),
		r == 0x30FC, // katakana-hiragana prolonged sound mark (script Common)
		unicode.Is(unicode.Thai, r), unicode.Is(unicode.Lao, r), unicode.Is(unicode.Khmer, r),
		unicode.Is(unicode.Myanmar, r):
		return classCJK
	case unicode.IsLetter(r), unicode.IsDigit(r):
		return classWord
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r), r == 0x200C, r == 0x200D:
		return classJoin
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r):
		return classSpace
	}
	return classSym
}

// Append appends the feature ids of text to dst and returns the extended
// slice. It is deterministic, safe for concurrent use and does not allocate
// beyond growing dst.
func (c Config) Append(dst []uint32, text string) []uint32 {
	var (
		word     [maxWordRunes]rune
		nword    int
		cjk      [4]rune // last CJKMaxN runes of the current run
		ncjk     int     // runes seen in the current run
		prevWord hasher  // hash of the previous spaced token, for bigrams
		havePrev bool
		cur      class = classSpace
		seed           = c.seeded()
	)
	flushWord := func() {
		if nword == 0 {
			return
		}
		w := word[:nword]
		nword = 0
		if c.WordNgrams > 0 {
			h := seed.byte(kindWord)
			for _, r := range w {
				h = h.rune(r)
			}
			dst = append(dst, c.id(h))
			if c.WordNgrams > 1 && havePrev {
				dst = append(dst, c.id(seed.byte(kindBigram).u32(uint32(prevWord)).u32(uint32(h))))
			}
			prevWord, havePrev = h, true
		}
		if c.MaxN == 0 {
			return
		}
		// sub-words of "<w>": positions -1 and len(w) are the markers.
		n := len(w) + 2
		at := func(i int) rune {
			switch i {
			case 0:
				return '<'
			case n - 1:
				return '>'
			}
			return w[i-1]
		}
		for size := int(c.MinN); size <= int(c.MaxN); size++ {
			if size > n {
				break
			}
			for i := 0; i+size <= n; i++ {
				if size == 1 && (i == 0 || i == n-1) {
					continue // a lone marker says nothing
				}
				h := seed.byte(kindSub)
				for j := i; j < i+size; j++ {
					h = h.rune(at(j))
				}
				dst = append(dst, c.id(h))
			}
		}
	}
	endRun := func() { ncjk = 0 }
	pushCJK := func(r rune) {
		maxN := int(c.CJKMaxN)
		copy(cjk[1:maxN], cjk[:maxN-1])
		cjk[0] = r // cjk[0] is the newest rune
		ncjk++
		for size := 1; size <= maxN && size <= ncjk; size++ {
			h := seed.byte(kindCJK)
			for j := size - 1; j >= 0; j-- {
				h = h.rune(cjk[j])
			}
			dst = append(dst, c.id(h))
		}
	}
	for _, raw := range text {
		r := Normalize(raw)
		k := classify(r)
		if k == classJoin {
			switch cur {
			case classWord:
				if nword < maxWordRunes {
					word[nword] = r
					nword++
				}
				continue
			case classCJK:
				continue // variation selectors and the like inside a run
			}
			k = classSym
		}
		if k != classWord {
			flushWord()
		}
		if k != classCJK {
			endRun()
		}
		switch k {
		case classWord:
			if nword < maxWordRunes {
				word[nword] = r
				nword++
			}
		case classCJK:
			havePrev = false
			pushCJK(r)
		case classSym:
			h := seed.byte(kindSym).rune(r)
			dst = append(dst, c.id(h))
			// a symbol is a token for bigrams too ("?" after "where")
			if c.WordNgrams > 1 {
				if havePrev {
					dst = append(dst, c.id(seed.byte(kindBigram).u32(uint32(prevWord)).u32(uint32(h))))
				}
				prevWord, havePrev = h, true
			}
		}
		cur = k
	}
	flushWord()
	return dst
}
