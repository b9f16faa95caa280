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
	"errors"
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
	Complaint    int // lexicon hits (worst, refund now, 投诉, 差评…)
	Threat       int // lexicon hits (lawyer, chargeback, scam, 12315…)
}

// NumInputs is the number of inputs of the logistic combination: the
// sentiment model's negative probability, seven capped cue counts, the
// capped counts of delay and reassurance phrases and the probability of an
// anger text model (0 when none is used).
const NumInputs = 11

// CalmingInput is the index of the input that can only lower the score:
// reassurances ("not a complaint", "no rush", "thanks"). Every other
// weight is ≥ 0.
const CalmingInput = 9

// Threshold is the score from which a message counts as angry: the shipped
// weights are calibrated so that it is the operating point chosen on the
// anger dev split, and central's router hands off from the same default
// (router.DefaultAngerThreshold).
const Threshold = 0.7

// Weights of the logistic combination: Bias plus one weight per input of
// Inputs. The shipped values (weights.go) are fitted on the product's anger
// training set by `kefu model train anger`; the test set is never used.
type Weights struct {
	Bias float64
	W    [NumInputs]float64
}

// Inputs returns the inputs of the combination for text: the negative
// probability, the capped cue counts and angry, the anger text model's
// probability (pass 0 with weights fitted without a model).
func Inputs(text string, negative, angry float32) [NumInputs]float64 {
	c, extra := find(text)
	capAt := func(n, c int) float64 { return float64(min(n, c)) }
	return [NumInputs]float64{
		unit(negative),
		capAt(c.Exclamations, 3),
		capAt(c.Repeats, 2),
		capAt(c.ShoutWords, 2),
		capAt(c.AngryEmoji, 2),
		capAt(c.Profanity, 2),
		capAt(c.Complaint, 3),
		capAt(c.Threat, 2),
		capAt(extra[0], 1),
		capAt(extra[1], 2),
		unit(angry),
	}
}

func unit(p float32) float64 {
	v := float64(p)
	if math.IsNaN(v) {
		return 0.5
	}
	return math.Max(0, math.Min(1, v))
}

// Score returns the anger of text in [0,1] given negative, the sentiment
// model's probability that text is negative (pass 0.5 when unknown). It
// uses the cues and Shipped; Scorer adds the anger text model.
func Score(text string, negative float32) float64 {
	return Shipped.Apply(Inputs(text, negative, 0))
}

// Apply is the logistic combination of inputs x under w, in [0,1].
func (w Weights) Apply(x [NumInputs]float64) float64 {
	z := w.Bias
	for i, v := range x {
		z += w.W[i] * v
	}
	return 1 / (1 + math.Exp(-z))
}

// Classifier is what Scorer needs of a text model (models/textmodel.Model
// fits): the probability of each label in label order.
type Classifier interface {
	Labels() []string
	Probs(dst []float32, text string) []float32
}

// Scorer combines a sentiment model, an anger text model (trained on the
// product's anger set, artifacts.Anger) and the cues with WithModel weights.
// It is safe for concurrent use if the models are.
type Scorer struct {
	sentiment, anger Classifier
	neg, angry       int
	w                Weights
}

// NewScorer returns a Scorer. sentiment needs a "negative" label and
// angerModel an "angry" label; w are the weights (ShippedWithModel).
func NewScorer(sentiment, angerModel Classifier, w Weights) (*Scorer, error) {
	s := &Scorer{sentiment: sentiment, anger: angerModel, neg: index(sentiment.Labels(), "negative"), angry: index(angerModel.Labels(), "angry"), w: w}
	if s.neg < 0 || s.angry < 0 {
		return nil, ErrLabels
	}
	return s, nil
}

// ErrLabels reports models without the labels a Scorer needs.
var ErrLabels = errors.New("anger: sentiment model needs a negative label and the anger model an angry label")

func index(labels []string, l string) int {
	for i, x := range labels {
		if x == l {
			return i
		}
	}
	return -1
}

// Score returns the anger of text in [0,1].
func (s *Scorer) Score(text string) float64 {
	var buf [8]float32
	neg := s.sentiment.Probs(buf[:0], text)[s.neg]
	angry := s.anger.Probs(buf[:0], text)[s.angry]
	return s.w.Apply(Inputs(text, neg, angry))
}

// Find returns the intensity cues of text.
func Find(text string) Cues {
	c, _ := find(text)
	return c
}

// find returns the cues of text and its counts of delay and reassurance
// phrases.
func find(text string) (Cues, [2]int) {
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
	n := count(normalize(text))
	c.Profanity, c.Complaint, c.Threat = n[listProfanity], n[listComplaint], n[listThreat]
	return c, [2]int{n[listDelay], n[listReassure]}
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

// The lexicons, in the order of the counts count returns.
const (
	listProfanity = iota
	listComplaint
	listThreat
	listDelay
	listReassure
	numLists
)

// lexEntry is one distinct entry of one lexicon.
type lexEntry struct {
	text   string
	list   uint8
	spaced bool // must start a word
}

// lexEntries holds every lexicon entry once per lexicon; lexIndex lists
// them by their first rune, so count looks only at the entries that can
// start at each position of the text.
var (
	lexEntries []lexEntry
	lexIndex   = map[rune][]uint16{}
)

const maxEntries = 64 * len(seenSet{})

type seenSet [32]uint64

func init() {
	seen := map[lexEntry]bool{}
	for list, words := range [numLists][]string{profanity, complaint, threat, delay, reassure} {
		for _, w := range words {
			e := lexEntry{text: w, list: uint8(list), spaced: !unspaced(w)}
			if seen[e] {
				continue
			}
			seen[e] = true
			r, _ := utf8.DecodeRuneInString(w)
			lexIndex[r] = append(lexIndex[r], uint16(len(lexEntries)))
			lexEntries = append(lexEntries, e)
		}
	}
	if len(lexEntries) > maxEntries {
		panic("anger: too many lexicon entries")
	}
}

// count returns how many distinct entries of each lexicon occur in norm
// (normalize's output). Unspaced entries match anywhere; others must start
// a word.
func count(norm string) [numLists]int {
	var n [numLists]int
	var seen seenSet
	for i, r := range norm {
		cands := lexIndex[r]
		if len(cands) == 0 {
			continue
		}
		atWord := i > 0 && norm[i-1] == ' '
		for _, k := range cands {
			e := &lexEntries[k]
			if e.spaced && !atWord || seen[k/64]&(1<<(k%64)) != 0 {
				continue
			}
			if strings.HasPrefix(norm[i:], e.text) {
				seen[k/64] |= 1 << (k % 64)
				n[e.list]++
			}
		}
	}
	return n
}

// unspaced reports entries that match anywhere: those starting in a script
// written without spaces, and numbers ("12315" in "我就去12315投诉").
func unspaced(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
		return true
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
