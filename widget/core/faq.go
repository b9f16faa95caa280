package core

import (
	"errors"
	"math"
	"strings"
	"sync"

	"github.com/kefu-io/kefu/internal/keysort"
)

// Entry is one FAQ entry as the widget sees it. It mirrors chat.FAQEntry
// (without Tags) so that this package does not import chat (see the package
// doc for why).
type Entry struct {
	// ID names the entry ("return_policy"); it is reported with every local hit.
	ID string
	// Intent is the intent label the entry answers, if an intent model is used.
	Intent string
	// Questions are paraphrases keyed by language (zh, en, de…).
	Questions map[string][]string
	// Answers are keyed by language.
	Answers map[string]string
	// Local says the browser may answer this entry. Entries whose answer
	// depends on the shopper or on live data are false.
	Local bool
}

// Answer returns the entry's answer in lang, falling back to en, then to the
// first language in sorted order.
func (e *Entry) Answer(lang string) (text, gotLang string) {
	if a := e.Answers[lang]; a != "" {
		return a, lang
	}
	if a := e.Answers["en"]; a != "" {
		return a, "en"
	}
	best := ""
	for l, a := range e.Answers {
		if a != "" && (best == "" || l < best) {
			best = l
		}
	}
	return e.Answers[best], best
}

// Errors LoadFAQ returns, wrapped in an *EntryError.
var (
	ErrNoID        = errors.New("core: faq entry without id")
	ErrDuplicateID = errors.New("core: duplicate faq entry id")
	ErrNoQuestions = errors.New("core: faq entry without questions")
	ErrNoAnswers   = errors.New("core: faq entry without answers")
)

// EntryError says which entry of a pack was refused and why.
type EntryError struct {
	Index int    // position in the slice passed to LoadFAQ
	ID    string // the entry's id, may be empty
	Err   error  // one of the Err* sentinels
}

func (e *EntryError) Error() string {
	return "core: faq entry " + itoa(e.Index) + " " + quote(e.ID) + ": " + e.Err.Error()
}

// Unwrap returns the sentinel.
func (e *EntryError) Unwrap() error { return e.Err }

// index is an immutable search structure over one FAQ pack.
type index struct {
	entries []Entry
	docs    []doc
	cents   []doc              // one per entry and language: all its paraphrases together
	feats   map[uint32]feature // every feature of a paraphrase
	unknown float32            // idf of a feature no paraphrase has
	intents map[string][]int
	main    map[string]int // intent → its answerable entry whose ID is the intent
	local   []bool         // entry may be answered in the browser: Local and its intent does not need the edge
	decline []string       // lower-case decline terms of the pack (decline.go)
}

// doc is one paraphrase, or one profile (cent): all the paraphrases of an
// entry in one language together.
type doc struct {
	entry int
	lang  string
}

// feature is what the index knows of one n-gram feature.
type feature struct {
	idf  float32
	post []posting // the docs, then the cents, that have it
}

// posting is one doc's weight for a feature. doc indexes ix.docs, then
// ix.cents from len(ix.docs) on.
type posting struct {
	doc int32
	w   float32
}

// buildIndex validates entries and builds their vectors. It copies nothing
// the caller could later mutate except the maps inside entries, which the
// caller must not change afterwards.
func buildIndex(entries []Entry) (*index, error) {
	seen := make(map[string]bool, len(entries))
	type raw struct {
		entry int
		lang  string
		tc    termCounts
	}
	var raws []raw
	df := map[uint32]int{}
	for i := range entries {
		e := &entries[i]
		switch {
		case strings.TrimSpace(e.ID) == "":
			return nil, &EntryError{Index: i, ID: e.ID, Err: ErrNoID}
		case seen[e.ID]:
			return nil, &EntryError{Index: i, ID: e.ID, Err: ErrDuplicateID}
		}
		seen[e.ID] = true
		hasA := false
		for _, a := range e.Answers {
			if strings.TrimSpace(a) != "" {
				hasA = true
			}
		}
		if !hasA && e.Local {
			// An entry the browser never answers needs no answer text
			// (the per-language packs leave it out); it still tells which
			// intents need the edge.
			return nil, &EntryError{Index: i, ID: e.ID, Err: ErrNoAnswers}
		}
		n := 0
		for lang, qs := range e.Questions {
			for _, q := range qs {
				tc := features(q)
				if len(tc) == 0 {
					continue
				}
				n++
				raws = append(raws, raw{entry: i, lang: lang, tc: tc})
				for k := range tc {
					df[k]++
				}
			}
		}
		if n == 0 {
			return nil, &EntryError{Index: i, ID: e.ID, Err: ErrNoQuestions}
		}
	}
	ix := &index{
		entries: entries,
		feats:   make(map[uint32]feature, len(df)),
		intents: map[string][]int{},
		main:    map[string]int{},
	}
	nd := float64(len(raws))
	for k, n := range df {
		ix.feats[k] = feature{idf: float32(math.Log(1 + nd/float64(n)))}
	}
	ix.unknown = float32(math.Log(1 + nd))
	idf := ix.idf
	ix.docs = make([]doc, len(raws))
	centIdx := map[string]int{}
	var centTC []termCounts
	addPostings := func(d int, v vector) {
		for i, k := range v.keys {
			f := ix.feats[k]
			f.post = append(f.post, posting{doc: int32(d), w: v.vals[i]})
			ix.feats[k] = f
		}
	}
	for i, r := range raws {
		ix.docs[i] = doc{entry: r.entry, lang: r.lang}
		addPostings(i, weigh(r.tc, idf))
		key := itoa(r.entry) + "/" + r.lang
		j, ok := centIdx[key]
		if !ok {
			j = len(ix.cents)
			centIdx[key] = j
			ix.cents = append(ix.cents, doc{entry: r.entry, lang: r.lang})
			centTC = append(centTC, termCounts{})
		}
		for k, v := range r.tc {
			centTC[j][k] += v
		}
	}
	for j := range ix.cents {
		addPostings(len(ix.docs)+j, weigh(centTC[j], idf))
	}
	for i, e := range entries {
		if e.Intent != "" {
			ix.intents[e.Intent] = append(ix.intents[e.Intent], i)
		}
	}
	ix.local = make([]bool, len(entries))
	for i, e := range entries {
		ix.local[i] = e.Local && !ix.needsEdge(e.Intent)
		if ix.local[i] && e.ID == e.Intent {
			ix.main[e.Intent] = i
		}
	}

	return ix, nil
}

// exactSimilarity is the paraphrase similarity above which a question counts
// as one of the entry's own questions.
const exactSimilarity = 0.85

// match is the similarity of a question to one entry.
type match struct {
	entry    int
	score    float32
	lang     string // language of the best paraphrase or profile
	cent     float32
	centLang string
}

// idf returns the inverse document frequency of feature k.
func (ix *index) idf(k uint32) float32 {
	if f, ok := ix.feats[k]; ok {
		return f.idf
	}
	return ix.unknown
}

// queryTerm is one feature of a question with its weight and postings.
type queryTerm struct {
	key  uint32
	w    float32
	post []posting
}

// dotPool recycles the per-question buffers of match: a mutex and a short
// list rather than sync.Pool, whose per-P queues are ~12 KB of the core's
// WebAssembly (one thread in the page).
var dotPool matchPool

type matchPool struct {
	mu   sync.Mutex
	free []*matchScratch
}

func (p *matchPool) Get() *matchScratch {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return new(matchScratch)
	}
	s := p.free[n-1]
	p.free = p.free[:n-1]
	return s
}

func (p *matchPool) Put(s *matchScratch) {
	p.mu.Lock()
	if len(p.free) < 16 {
		p.free = append(p.free, s)
	}
	p.mu.Unlock()
}

type matchScratch struct {
	keys  []uint32
	terms []queryTerm
	dot   []float32
}

// match returns the best similarity of text to each entry, indexed by
// entry. The question's TF-IDF vector is the one weigh builds; its cosine
// with every paraphrase and profile is accumulated through the postings of
// its features only (all vectors are L2-normalised), in key order, so each
// sum equals a merge of the two sorted vectors.
func (ix *index) match(text string) []match {
	out := make([]match, len(ix.entries))
	for i := range out {
		out[i].entry = i
	}
	tc := features(text)
	sc := dotPool.Get()
	defer dotPool.Put(sc)
	// The terms in key order: the keys sorted alone (keysort.Sort, the core's
	// one sort: slices' sort for queryTerm cost ~20 KB of WebAssembly),
	// then the terms built in that order.
	keys := sc.keys[:0]
	var norm float64
	for k, n := range tc {
		f, ok := ix.feats[k]
		idf := ix.unknown
		if ok {
			idf = f.idf
			keys = append(keys, k)
		}
		w := tf(n) * idf
		norm += float64(w) * float64(w)
	}
	sc.keys = keys
	if norm == 0 {
		return out
	}
	keysort.Sort(keys)
	terms := sc.terms[:0]
	for _, k := range keys {
		f := ix.feats[k]
		terms = append(terms, queryTerm{key: k, w: tf(tc[k]) * f.idf, post: f.post})
	}
	sc.terms = terms
	inv := float32(1 / math.Sqrt(norm))
	n := len(ix.docs) + len(ix.cents)
	if cap(sc.dot) < n {
		sc.dot = make([]float32, n)
	}
	dot := sc.dot[:n]
	clear(dot)
	for _, t := range terms {
		w := t.w * inv
		for _, p := range t.post {
			dot[p.doc] += w * p.w
		}
	}
	for i, d := range ix.docs {
		if s := min(dot[i], 1); s > out[d.entry].score {
			out[d.entry].score = s
			out[d.entry].lang = d.lang
		}
	}
	// Entry score: a near-exact paraphrase match counts as is; otherwise
	// the entry's profile (all its paraphrases in one language, together)
	// decides. Profiles generalise much better to unseen wordings (see
	// TestLeaveOneOut): "退货要运费吗" shares 运费 with an exchange
	// paraphrase but 退货 with many return paraphrases.
	for j, d := range ix.cents {
		if s := min(dot[len(ix.docs)+j], 1); s > out[d.entry].cent {
			out[d.entry].cent = s
			out[d.entry].centLang = d.lang
		}
	}
	for i := range out {
		if out[i].score < exactSimilarity {
			out[i].score, out[i].lang = out[i].cent, out[i].centLang
		}
	}
	return out
}

// itoa formats a small non-negative int without strconv. Never inlined:
// it only builds error texts, and each inlined copy is code in the
// browser core (TestWASMCoreSize).
//
//go:noinline
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// quote wraps s in double quotes (no escaping; ids are plain).
func quote(s string) string { return `"` + s + `"` }
