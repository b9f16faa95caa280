package router

import (
	"strings"
	"unicode"
)

// angerWords are strong complaint words; each found adds to the anger score.
var angerWords = []string{
	// en
	"angry", "furious", "terrible", "worst", "scam", "ridiculous", "unacceptable", "useless", "fraud",
	"disgusting", "pathetic", "wtf", "rip-off", "ripoff", "awful", "horrible", "sue you", "lawyer",
	// zh
	"垃圾", "骗子", "投诉", "太差", "气死", "退钱", "破玩意", "坑人", "什么鬼", "无语", "差评", "欺骗", "愤怒", "生气",
	// ja, ko
	"最悪", "ふざけ", "詐欺", "怒", "최악", "사기", "화가",
	// de, fr, es, it, pt, ru
	"unverschämt", "betrug", "schrecklich", "wütend", "frechheit", "arnaque", "inadmissible", "honteux", "furieux",
	"estafa", "inaceptable", "furioso", "vergogna", "truffa", "absurdo", "golpe", "ужасно", "обман", "мошенник",
}

// KeywordAnger estimates anger in [0,1] from complaint words, repeated
// exclamation marks and shouting in capitals. It is the fallback when no
// anger model is wired in, and a floor under the model's score.
func KeywordAnger(text string) float64 {
	low := strings.ToLower(text)
	score := 0.0
	for _, w := range angerWords {
		if containsPhrase(low, w) {
			score += 0.4
		}
	}
	if strings.Count(text, "!")+strings.Count(text, "！") >= 2 {
		score += 0.15
	}
	shout := 0
	for _, f := range strings.Fields(text) {
		letters, upper := 0, 0
		for _, r := range f {
			if unicode.IsLetter(r) {
				letters++
				if unicode.IsUpper(r) {
					upper++
				}
			}
		}
		if letters >= 3 && upper == letters {
			shout++
		}
	}
	if shout >= 2 {
		score += 0.25
	}
	return min(score, 1)
}
