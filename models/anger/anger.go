// Package anger scores how angry a shopper's message is, in [0,1], for the
// router in central (angry conversations jump the human queue). The score
// combines the sentiment model's probability that the message is negative
// with intensity cues the sentiment model does not see well: exclamation
// marks, repeated characters, SHOUTING, angry emoji, and profanity and
// complaint lexicons in twelve languages (zh, en, de, fr, es, ja, ko, ar,
// ru, pt, it and Traditional Chinese forms).
//
// It is pure Go without fmt so the widget can run it too.
package anger

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cues are the intensity signals found in a message.
type Cues struct {
	Exclamations int // '!' and '！'
	Repeats      int // runs of 3+ identical letters or punctuation ("sooo", "???")
	ShoutWords   int // words of 3+ letters written in capitals
	AngryEmoji   int
	Profanity    int // lexicon hits
	Complaint    int // lexicon hits (refund now, scam, 投诉, 差评…)
}

// NumInputs is the number of inputs of the logistic combination.
const NumInputs = 7

// Weights of the logistic combination: Bias plus one weight per input of
// Inputs. The shipped values (weights.go) are fitted on the product's anger
// training set by `kefu model train anger`; the test set is never used.
type Weights struct {
	Bias float64
	W    [NumInputs]float64
}

// Inputs returns the inputs of the combination for text: the negative
// probability and the capped cue counts.
func Inputs(text string, negative float32) [NumInputs]float64 {
	c := Find(text)
	neg := float64(negative)
	if math.IsNaN(neg) {
		neg = 0.5
	}
	neg = math.Max(0, math.Min(1, neg))
	capAt := func(n, c int) float64 { return float64(min(n, c)) }
	return [NumInputs]float64{
		neg,
		capAt(c.Exclamations, 3),
		capAt(c.Repeats, 2),
		capAt(c.ShoutWords, 2),
		capAt(c.AngryEmoji, 2),
		capAt(c.Profanity, 2),
		capAt(c.Complaint, 3),
	}
}

// Score returns the anger of text in [0,1] given negative, the sentiment
// model's probability that text is negative (pass 0.5 when unknown).
func Score(text string, negative float32) float64 {
	return Shipped.Score(text, negative)
}

// Score is the anger of text under w.
func (w Weights) Score(text string, negative float32) float64 {
	x := Inputs(text, negative)
	z := w.Bias
	for i, v := range x {
		z += w.W[i] * v
	}
	return 1 / (1 + math.Exp(-z))
}

// Find returns the intensity cues of text.
func Find(text string) Cues {
	var c Cues
	var prev rune
	run := 0
	var word []rune
	endWord := func() {
		if len(word) >= 3 {
			upper := 0
			for _, r := range word {
				if unicode.IsUpper(r) {
					upper++
				}
			}
			if upper == len(word) {
				c.ShoutWords++
			}
		}
		word = word[:0]
	}
	for _, r := range text {
		switch r {
		case '!', '！', '‼', '¡':
			c.Exclamations++
		}
		if _, ok := angryEmoji[r]; ok {
			c.AngryEmoji++
		}
		if r == prev && !unicode.IsSpace(r) && !unicode.IsDigit(r) {
			run++
			if run == 3 {
				c.Repeats++
			}
		} else {
			run = 1
		}
		prev = r
		if unicode.IsLetter(r) && !unicode.Is(unicode.Han, r) {
			word = append(word, r)
		} else {
			endWord()
		}
	}
	endWord()
	norm := normalize(text)
	c.Profanity = count(norm, profanity)
	c.Complaint = count(norm, complaint)
	return c
}

var angryEmoji = map[rune]struct{}{
	'😡': {}, '🤬': {}, '😠': {}, '💢': {}, '👿': {}, '😤': {}, '🖕': {}, '😾': {},
}

// normalize lower-cases text, maps full-width ASCII to ASCII and turns every
// non-letter into a space, with a space at both ends, so that " word" finds
// words by their start.
func normalize(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 2)
	b.WriteByte(' ')
	for _, r := range text {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte(' ')
	return b.String()
}

// count returns how many lexicon entries occur in norm. Entries in scripts
// written without spaces match anywhere; others must start a word.
func count(norm string, lexicon []string) int {
	n := 0
	for _, e := range lexicon {
		if unspaced(e) {
			if strings.Contains(norm, e) {
				n++
			}
		} else if strings.Contains(norm, " "+e) {
			n++
		}
	}
	return n
}

func unspaced(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}
