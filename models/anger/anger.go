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

// Weights of the logistic combination. They were set by hand from the
// meaning of each cue (not fitted on the anger test set, which stays a test).
const (
	bias        = -2.2
	wNegative   = 3.0 // × negative probability
	wExclaim    = 0.35
	wRepeat     = 0.45
	wShout      = 0.5
	wEmoji      = 0.9
	wProfanity  = 1.5
	wComplaint  = 0.9
	capCount    = 3
	capSingular = 2
)

// Score returns the anger of text in [0,1] given negative, the sentiment
// model's probability that text is negative (pass 0.5 when unknown).
func Score(text string, negative float32) float64 {
	c := Find(text)
	neg := float64(negative)
	if math.IsNaN(neg) {
		neg = 0.5
	}
	neg = math.Max(0, math.Min(1, neg))
	z := bias + wNegative*neg +
		wExclaim*float64(min(c.Exclamations, capCount)) +
		wRepeat*float64(min(c.Repeats, capSingular)) +
		wShout*float64(min(c.ShoutWords, capSingular)) +
		wEmoji*float64(min(c.AngryEmoji, capSingular)) +
		wProfanity*float64(min(c.Profanity, capSingular)) +
		wComplaint*float64(min(c.Complaint, capCount))
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
