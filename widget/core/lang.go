package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// stopwords are short, frequent words that tell Latin-script languages
// apart, space-separated per language. They are the fallback when no
// language model is loaded (see Core.SetModel). Strings, not map literals:
// a literal map is built by code, several KB of the browser core.
var stopwords = [...]struct{ lang, words string }{
	{"en", "the is are what how your you my do can i to of and a it for where when does with please hi hello there any an have has this that in on at or which be me we will would could should get there's what's isn't"},
	{"de", "der die das ist und ich wie was wo ihr ihre mein meine nicht kann ein eine mit zu bitte hallo sie für wann gibt es"},
	{"fr", "le la les est et je comment quelle quel votre vos mon ma pas un une des de du pour bonjour où avec puis vous quand qu j c"},
	{"es", "el la los las es y yo cómo como cuál cual qué que su mi no un una de del para hola dónde donde con puedo cuándo por favor"},
	{"it", "il lo gli è e io come qual quale vostro vostra mio mia non uno di per ciao dove con posso quando che"},
	{"pt", "o os as é e eu como qual seu sua meu minha não um uma de do da para olá onde com posso quando que vocês"},
}

// letterHints are letters that occur in one Latin-script language far more
// than in the others, after their language.
var letterHints = [...]struct{ lang, letters string }{
	{"de", "ßäöü"}, {"es", "ñ¿¡áíóú"}, {"fr", "çèêàùûôîœ"}, {"pt", "ãõ"}, {"it", "òì"},
}

// stopIndex maps a stop word to the languages (bit i: stopwords[i]) that
// have it; letterIndex maps a telling letter to its language's index in
// stopwords (every letterHints language has stop words).
var stopIndex, letterIndex = func() (map[string]uint8, map[rune]uint8) {
	idx := make(map[string]uint8)
	for i, s := range stopwords {
		for _, w := range strings.FieldsFunc(s.words, func(r rune) bool { return r == ' ' }) {
			idx[w] |= 1 << i
		}
	}
	letters := make(map[rune]uint8)
	for _, h := range letterHints {
		for i, s := range stopwords {
			if s.lang == h.lang {
				for _, r := range h.letters {
					letters[r] = uint8(i)
				}
			}
		}
	}
	return idx, letters
}()

// vote adds weight to each language of langs (a stopIndex bit set),
// shared equally among them.
func vote(votes *[len(stopwords)]float32, langs uint8, weight float32) {
	n := 0
	for b := langs; b != 0; b &= b - 1 {
		n++
	}
	for i := range votes {
		if langs&(1<<i) != 0 {
			votes[i] += weight / float32(n)
		}
	}
}

// DetectLanguage guesses the BCP-47 primary language subtag of text from its
// script and, for Latin script, from stop words and telling letters. conf is
// in [0,1]: 1 for an unambiguous script (kana → ja, Hangul → ko), lower when
// the guess rests on few words. It returns "en" with conf 0 when it has no
// evidence at all.
func DetectLanguage(text string) (lang string, conf float32) {
	var han, kana, hangul, cyr, arabic, thai, latin int
	var votes [len(stopwords)]float32
	for _, r := range text {
		if r < utf8.RuneSelf { // ASCII: a letter is Latin, nothing else counts
			if 'a' <= r|0x20 && r|0x20 <= 'z' {
				latin++
			}
			continue
		}
		switch {
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Thai, r):
			thai++
		case unicode.Is(unicode.Latin, r):
			latin++
			if l, ok := letterIndex[unicode.ToLower(r)]; ok {
				votes[l] += 0.75
			}
		}
	}
	switch {
	case kana > 0:
		return "ja", 1
	case hangul > 0 && hangul >= han:
		return "ko", 1
	case han > 0 && han >= latin/3:
		return "zh", 1
	case cyr > latin:
		return "ru", 0.9
	case arabic > latin:
		return "ar", 0.9
	case thai > latin:
		return "th", 0.9
	case latin == 0:
		return "en", 0
	}
	// The words of the lower-cased text (letters and apostrophes), each
	// lower-cased into w in turn.
	var buf [64]byte
	w := buf[:0]
	countWord := func() {
		if len(w) == 0 {
			return
		}
		// Elisions: j'ai, qu'est, l'article.
		word := w
		if i := strings.IndexByte(string(word), '\''); i > 0 {
			if ls, ok := stopIndex[string(word[:i])]; ok {
				vote(&votes, ls, 0.5)
			}
			word = word[i+1:]
		}
		vote(&votes, stopIndex[string(word)], 1)
		w = w[:0]
	}
	for _, r := range text {
		if r = unicode.ToLower(r); unicode.IsLetter(r) || r == '\'' {
			w = utf8.AppendRune(w, r)
		} else {
			countWord()
		}
	}
	countWord()
	best, second := "", float32(0)
	var top float32
	for i, v := range votes {
		if v == 0 {
			continue
		}
		l := stopwords[i].lang
		if v > top || (v == top && l < best) {
			second = top
			best, top = l, v
		} else if v > second {
			second = v
		}
	}
	if best == "" {
		return "en", 0
	}
	conf = (top - second) / (top + 1)
	if conf > 0.95 {
		conf = 0.95
	}
	return best, conf
}
