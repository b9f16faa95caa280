package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// angerWords is a small multilingual lexicon of anger cues. Entries are
// lower case; CJK entries match as substrings, the others as word prefixes.
var angerWords = []string{
	// en
	"angry", "furious", "terrible", "worst", "scam", "ridiculous", "unacceptable", "useless",
	"wtf", "damn", "hate", "disgusting", "awful", "fraud", "liar", "stupid", "pathetic",
	"horrible", "never again", "rip off", "ripoff", "fed up", "sick of", "joke", "incompetent",
	// de
	"scheiß", "scheiss", "schrecklich", "betrug", "unverschämt", "wütend", "katastrophe", "frechheit", "unmöglich",
	// fr
	"nul", "arnaque", "inadmissible", "scandaleux", "furieux", "honteux", "inacceptable", "marre",
	// es
	"estafa", "fatal", "indignante", "furioso", "vergüenza", "inaceptable", "harto", "pésimo",
	// zh
	"生气", "气死", "垃圾", "骗子", "太差", "差评", "投诉", "退钱", "恶心", "什么鬼", "坑人", "烂", "愤怒", "废物", "无语", "受够",
	// ja
	"最悪", "ふざけ", "ひどい", "詐欺", "怒", "いい加減",
}

// AngerScore returns a score in [0,1] of how angry text sounds, from cues a
// browser can see cheaply: runs of "!" or "?!", shouting in capitals,
// stretched letters ("sooooo"), and the lexicon above. Central combines it
// with its own sentiment model to prioritise the human queue; it is a cue,
// not a verdict.
func AngerScore(text string) float64 {
	if text == "" {
		return 0
	}
	lower := strings.ToLower(text)
	var cues [8]float64 // at most 7: four kinds and up to three lexicon hits
	nc := 0
	cue := func(c float64) { cues[nc] = c; nc++ }

	// Exclamation runs and "?!".
	bang, maxRun, run := 0, 0, 0
	for _, r := range text {
		if r == '!' || r == '！' {
			bang++
			run++
			if run > maxRun {
				maxRun = run
			}
			continue
		}
		run = 0
	}
	switch {
	case maxRun >= 3:
		cue(0.45)
	case maxRun == 2:
		cue(0.3)
	case bang >= 1:
		cue(0.1)
	}
	if strings.Contains(text, "?!") || strings.Contains(text, "!?") || strings.Contains(text, "？！") {
		cue(0.2)
	}

	// Shouting: most Latin letters upper case, over enough letters.
	var upper, letters int
	for _, r := range text {
		if r < utf8.RuneSelf { // ASCII: no table look-up
			if 'a' <= r|0x20 && r|0x20 <= 'z' {
				letters++
				if r <= 'Z' {
					upper++
				}
			}
		} else if unicode.Is(unicode.Latin, r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	if letters >= 8 && upper*10 >= letters*7 {
		cue(0.4)
	}

	// Stretched letters: the same letter four times in a row.
	var prev rune
	same := 0
	for _, r := range lower {
		if r == prev && unicode.IsLetter(r) {
			same++
			if same == 3 {
				cue(0.15)
				break
			}
		} else {
			same = 0
		}
		prev = r
	}

	// Lexicon.
	hits := 0
	for _, w := range angerWords {
		if containsCue(lower, w) {
			hits++
		}
	}
	for i := 0; i < hits && i < 3; i++ {
		cue(0.45)
	}

	// Noisy-or of independent cues.
	calm := 1.0
	for _, c := range cues[:nc] {
		calm *= 1 - c
	}
	return 1 - calm
}

// containsCue reports whether lower contains cue: anywhere for CJK cues, at
// the start of a word for the others (so "nul" matches "nulle" but not "annul").
func containsCue(lower, cue string) bool {
	first, _ := utf8.DecodeRuneInString(cue)
	if isCJK(first) {
		return strings.Contains(lower, cue)
	}
	for from := 0; ; {
		i := strings.Index(lower[from:], cue)
		if i < 0 {
			return false
		}
		i += from
		if i == 0 || !isWordByte(lower, i) {
			return true
		}
		from = i + len(cue)
	}
}

// isWordByte reports whether the rune ending just before byte i is a letter.
func isWordByte(s string, i int) bool {
	r, size := utf8.DecodeLastRuneInString(s[:i])
	return size > 0 && unicode.IsLetter(r)
}
