// Package phrase finds any of a list of phrases in a text in one pass and
// lower-cases or folds texts into a reused buffer, for plugins that watch
// shoppers' messages for words (gdpr-residency's erasure requests,
// sensitive-alert's watched words).
//
// Inside a Go wasip1 plugin every allocation and every pass over the text
// costs 10–20× what it costs natively, and strings.Index has no vector
// code there: matching 70 phrases with strings.Contains on a copy of the
// message made by strings.ToLower was most of such a plugin's call. A Set
// looks at each byte of the text once and tries only the phrases that
// start with that byte; AppendLower and AppendFold give the same bytes as
// strings.ToLower and the fold of gdpr-residency without allocating when
// the buffer has room.
//
// Pure Go on the standard library, safe for concurrent use once built.
package phrase

import (
	"unicode"
	"unicode/utf8"
)

// Set is a list of phrases indexed by their first byte.
type Set struct {
	phrases []string
	first   [256][]int32 // first byte → indexes into phrases
}

// New returns the Set of phrases, in their order (Each reports their index
// in it). Empty phrases never match.
func New(phrases []string) *Set {
	s := &Set{phrases: append([]string(nil), phrases...)}
	for i, p := range s.phrases {
		if p != "" {
			s.first[p[0]] = append(s.first[p[0]], int32(i))
		}
	}
	return s
}

// Len is the number of phrases.
func (s *Set) Len() int { return len(s.phrases) }

// Phrase returns the phrase at index i.
func (s *Set) Phrase(i int) string { return s.phrases[i] }

// Contains reports whether any phrase occurs in text (as strings.Contains
// for each phrase would).
func (s *Set) Contains(text []byte) bool {
	found := false
	s.Each(text, func(int, int) bool { found = true; return false })
	return found
}

// Each calls f with the index of the phrase and the byte offset of every
// occurrence of a phrase in text, by increasing offset (phrases at the
// same offset in their order), until f returns false.
func (s *Set) Each(text []byte, f func(phrase, at int) bool) {
	for at := 0; at < len(text); at++ {
		for _, i := range s.first[text[at]] {
			p := s.phrases[i]
			// the second byte is compared inline first: most candidates
			// differ there, and a string comparison is a call
			if len(p) <= len(text)-at && (len(p) < 2 || text[at+1] == p[1]) && string(text[at:at+len(p)]) == p {
				if !f(int(i), at) {
					return
				}
			}
		}
	}
}

// AppendLower appends strings.ToLower(text) to dst: the same bytes (each
// rune mapped by unicode.ToLower, invalid UTF-8 bytes written as U+FFFD),
// without allocating when dst has room.
func AppendLower(dst []byte, text string) []byte {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += w
	}
	return dst
}

// AppendFold appends text lower-cased (as AppendLower) with every run of
// white space (unicode.IsSpace) written as one space and none at either
// end: strings.Join(strings.FieldsFunc(strings.ToLower(text),
// unicode.IsSpace), " "), without allocating when dst has room.
func AppendFold(dst []byte, text string) []byte {
	start, space := len(dst), false
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			i++
			if c == ' ' || '\t' <= c && c <= '\r' {
				space = true
				continue
			}
			if space && len(dst) > start {
				dst = append(dst, ' ')
			}
			space = false
			dst = append(dst, c)
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		i += w
		r = unicode.ToLower(r)
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && len(dst) > start {
			dst = append(dst, ' ')
		}
		space = false
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}
