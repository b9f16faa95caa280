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
	cents   []doc     // one per entry and language: all its paraphrases together
	feats   featTable // every feature of a paraphrase
	unknown float32   // idf of a feature no paraphrase has
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
		intents: map[string][]int{},
		main:    map[string]int{},
	}
	feats := make(map[uint32]feature, len(df))
	nd := float64(len(raws))
	for k, n := range df {
		feats[k] = feature{idf: float32(math.Log(1 + nd/float64(n)))}
	}
	ix.unknown = float32(math.Log(1 + nd))
	idf := func(k uint32) float32 {
		if f, ok := feats[k]; ok {
			return f.idf
		}
		return ix.unknown
	}
	ix.docs = make([]doc, len(raws))
	centIdx := map[string]int{}
	var centTC []termCounts
	addPostings := func(d int, v vector) {
		for i, k := range v.keys {
			f := feats[k]
			f.post = append(f.post, posting{doc: int32(d), w: v.vals[i]})
			feats[k] = f
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
	ix.feats = newFeatTable(feats)
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
	if i := ix.feats.find(k); i >= 0 {
		return ix.feats.feat[i].idf
	}
	return ix.unknown
}

// featTable finds a feature by its key: an open-addressing hash table of
// the pack's features (the keys are hashes already), a few array reads per
// look-up where the runtime's map hashed each key again (a question looks
// up every one of its features).
type featTable struct {
	slot  []int32 // feature number + 1 at the key's slot or after it; 0: free
	shift uint32  // 32 − log2(len(slot))
	keys  []uint32
	feat  []feature
}

func newFeatTable(feats map[uint32]feature) featTable {
	keys := make([]uint32, 0, len(feats))
	for k := range feats {
		keys = append(keys, k)
	}
	keysort.Sort(keys) // the same layout every time
	bits := uint32(4)
	for 1<<bits < 2*len(keys) {
		bits++
	}
	t := featTable{slot: make([]int32, 1<<bits), shift: 32 - bits, keys: keys, feat: make([]feature, len(keys))}
	mask := uint32(len(t.slot) - 1)
	for i, k := range keys {
		t.feat[i] = feats[k]
		j := t.home(k)
		for t.slot[j] != 0 {
			j = (j + 1) & mask
		}
		t.slot[j] = int32(i + 1)
	}
	return t
}

// home is k's first slot (Fibonacci hashing: the product's top bits).
func (t *featTable) home(k uint32) uint32 { return (k * 2654435769) >> t.shift }

// find returns the number of feature k, or -1.
func (t *featTable) find(k uint32) int {
	if len(t.slot) == 0 {
		return -1
	}
	mask := uint32(len(t.slot) - 1)
	for j := t.home(k); ; j = (j + 1) & mask {
		i := t.slot[j]
		if i == 0 {
			return -1
		}
		if t.keys[i-1] == k {
			return int(i - 1)
		}
	}
}

// queryTerm is one feature of a question with its weight and postings.
type queryTerm struct {
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

// matchScratch is what one question needs, kept from one question to the
// next: a question's match allocates nothing once these have grown.
type matchScratch struct {
	feat  featurizer
	order []uint64 // key<<32 | position in feat.terms, sorted
	terms []queryTerm
	dot   []float32
	out   []match
}

// match returns the best similarity of text to each entry, indexed by
// entry, in sc.out. The question's TF-IDF vector is the one weigh builds;
// its cosine with every paraphrase and profile is accumulated through the
// postings of its features only (all vectors are L2-normalised), in key
// order, so each sum equals a merge of the two sorted vectors.
func (ix *index) match(text string, sc *matchScratch) []match {
	out := sc.out[:0]
	for i := range ix.entries {
		out = append(out, match{entry: i})
	}
	sc.out = out
	// The features sorted by key, each key's occurrences in text order (a
	// key and its position packed in one uint64: keysort.Sort is the
	// core's one sort, slices' sort cost ~20 KB of WebAssembly), so each
	// count is summed in the order features sums it.
	f := &sc.feat
	f.run(text)
	order := sc.order[:0]
	for i, t := range f.terms {
		order = append(order, uint64(t.key)<<32|uint64(i))
	}
	sc.order = order
	keysort.Sort(order)
	terms := sc.terms[:0]
	var norm float64
	for i := 0; i < len(order); {
		k := uint32(order[i] >> 32)
		var n float32
		for ; i < len(order) && uint32(order[i]>>32) == k; i++ {
			n += f.terms[uint32(order[i])].w
		}
		idf, fi := ix.unknown, ix.feats.find(k)
		if fi >= 0 {
			idf = ix.feats.feat[fi].idf
		}
		w := tf(n) * idf
		norm += float64(w) * float64(w)
		if fi >= 0 {
			terms = append(terms, queryTerm{w: w, post: ix.feats.feat[fi].post})
		}
	}
	sc.terms = terms
	if len(terms) == 0 || norm == 0 {
		return out
	}
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
