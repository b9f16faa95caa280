package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Declining specific questions
//
// A pack may carry decline terms (chat.FAQPack.Decline): names of specific
// things — a destination, a product line, a fee — the merchant's knowledge
// has specific answers for. A question naming one of them is not answered
// in the browser, whatever entry matched: a cached entry is generic for
// it ("delivery takes 3–5 days" asked about the Canary Islands; even an
// answer that names the place may predate the merchant's specific rule),
// and central, which has the specific fact, answers in one round trip.
// Questions that name nothing specific keep their local answers. A Latin
// term must match whole words; a CJK term matches anywhere.

// normTerms lower-cases and deduplicates decline terms, dropping those
// shorter than two characters.
func normTerms(terms []string) []string {
	seen := make(map[string]bool, len(terms))
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		t = strings.TrimSpace(t)
		if !acronym(t) {
			t = strings.ToLower(t)
		}
		if utf8.RuneCountInString(t) < 2 || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}

// declines reports whether text names one of the pack's decline terms.
func (ix *index) declines(text string) bool {
	if len(ix.decline) == 0 {
		return false
	}
	low := strings.ToLower(text)
	for _, t := range ix.decline {
		if acronym(t) {
			if containsTerm(text, t) {
				return true
			}
		} else if containsTerm(low, t) {
			return true
		}
	}
	return false
}

// acronym reports whether t is a short upper-case name (US, UK, HK, PRC),
// matched case-sensitively so that "contact us" does not name the US.
func acronym(t string) bool {
	if len(t) < 2 || len(t) > 4 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 'A' || t[i] > 'Z' {
			return false
		}
	}
	return true
}

// containsTerm reports whether low holds term: as whole words when the
// term starts and ends with a letter or digit of a spaced script.
func containsTerm(low, term string) bool {
	for off := 0; off <= len(low); {
		i := strings.Index(low[off:], term)
		if i < 0 {
			return false
		}
		s, e := off+i, off+i+len(term)
		before, _ := utf8.DecodeLastRuneInString(low[:s])
		after, _ := utf8.DecodeRuneInString(low[e:])
		first, _ := utf8.DecodeRuneInString(term)
		last, _ := utf8.DecodeLastRuneInString(term)
		if (s == 0 || !wordRune(first) || !wordRune(before)) && (e == len(low) || !wordRune(last) || !wordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(low[s:])
		off = s + size
	}
	return false
}

// wordRune is a letter or digit of a script that separates words with spaces.
func wordRune(r rune) bool {
	if r >= 0x2E80 { // CJK and beyond: no word boundaries
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}
