// Package knowledge is central's knowledge hub: it indexes merchants' FAQ
// packs (chat.FAQPack) in an in-memory full-text index (internal/textindex)
// and finds the entry that best answers a shopper's question, in the
// shopper's language.
//
// # How a question is matched
//
// Every paraphrase of every entry is one document whose text sits in a
// field named after the analyzer of its language: "cjk" (bigrams, for zh, ja
// and ko), a language analyzer with stemming and stop words where there is
// one (en, de, fr, es, it, pt, ru, ar, nl), "standard" otherwise.
// A search runs a match query on the field of the shopper's language, scoped
// to the tenant (plus packs shared by every tenant), takes the best few
// candidates and rescores them with an IDF-weighted cosine between the
// analyzed question and each paraphrase. That score is in [0,1] whatever
// the pack's size, so one threshold (Options.Threshold) means the same thing
// for every merchant. Below the threshold Search reports no answer and the
// caller falls back (a polite "I am not sure" with an offer of a human).
//
// The index is in memory: packs are small (hundreds of entries) and
// rebuilding at start-up takes milliseconds, so each central replica keeps
// its own (see DESIGN.md).
//
// An Index is safe for concurrent use.
package knowledge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/kefu-io/kefu/central/knowledge/internal/textindex"
	"github.com/kefu-io/kefu/chat"
)

// AnyTenant is the tenant of a pack with an empty Tenant: its entries answer
// every tenant's shoppers (the default pack).
const AnyTenant = "*"

// DefaultThreshold is the score under which Search reports no answer.
const DefaultThreshold = 0.35

// Sentinel errors.
var (
	ErrBadPack = errors.New("knowledge: bad FAQ pack")
	ErrNoText  = errors.New("knowledge: empty question")
)

// analyzers maps a language to the analyzer of its field.
var analyzers = map[string]string{
	"zh": textindex.CJK, "ja": textindex.CJK, "ko": textindex.CJK,
	"en": "en", "de": "de", "fr": "fr", "es": "es", "it": "it", "pt": "pt", "ru": "ru", "ar": "ar", "nl": "nl",
}

// AnalyzerFor returns the name of the analyzer used for lang.
func AnalyzerFor(lang string) string {
	if a, ok := analyzers[primary(lang)]; ok {
		return a
	}
	return textindex.Standard
}

func primary(lang string) string {
	lang = strings.ToLower(lang)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	return lang
}

func fieldFor(lang string) string { return "q_" + AnalyzerFor(lang) }

// Options configure an Index. The zero value is usable.
type Options struct {
	// Threshold is the least score Search accepts. Defaults to DefaultThreshold.
	Threshold float64
	// Candidates is how many index hits are rescored. Defaults to 10.
	Candidates int
}

// Hit is a found answer.
type Hit struct {
	// Entry is the matched FAQ entry.
	Entry chat.FAQEntry
	// Answer is the entry's answer in Lang (the shopper's language when the
	// entry has it, else English, else any).
	Answer string
	Lang   string
	// Question is the paraphrase that matched.
	Question string
	// Score is the rescored similarity in [0,1].
	Score float64
}

type question struct {
	entry  *chat.FAQEntry
	text   string
	tokens map[string]struct{}
	field  string
}

// Index is the knowledge index of every tenant's packs.
type Index struct {
	opts Options
	idx  *textindex.Index

	mu sync.RWMutex
	// byDoc is the question behind each index document id.
	byDoc map[string]*question
	// df counts, per field, the questions holding each token; n counts questions per field.
	df map[string]map[string]int
	n  map[string]int
	// intents maps tenant → intent → entry.
	intents map[string]map[string]*chat.FAQEntry
	seq     int
}

// New makes an empty in-memory index.
func New(opts Options) (*Index, error) {
	if opts.Threshold <= 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.Candidates <= 0 {
		opts.Candidates = 10
	}
	idx, err := textindex.New(indexFields())
	if err != nil {
		return nil, fmt.Errorf("knowledge: new index: %w", err)
	}
	return &Index{
		opts: opts, idx: idx,
		byDoc: map[string]*question{}, df: map[string]map[string]int{}, n: map[string]int{},
		intents: map[string]map[string]*chat.FAQEntry{},
	}, nil
}

// indexFields maps tenant as a keyword and one text field per analyzer
// (q_cjk, q_en…).
func indexFields() map[string]string {
	fields := map[string]string{"tenant": textindex.Keyword, "q_" + textindex.Standard: textindex.Standard}
	for _, a := range analyzers {
		fields["q_"+a] = a
	}
	return fields
}

// Close releases the index. It holds nothing but memory, so Close only
// exists for callers that pair New with Close.
func (x *Index) Close() error { return nil }

// tokens analyzes text with the analyzer of field.
func tokens(field, text string) map[string]struct{} {
	out := map[string]struct{}{}
	for _, t := range textindex.Analyze(strings.TrimPrefix(field, "q_"), text) {
		out[t] = struct{}{}
	}
	return out
}

// Add indexes a pack. A pack with an empty Tenant serves every tenant.
// Adding a pack for a tenant again adds to what is there; entries are
// expected to have unique ids within a pack. A pack with no usable entry
// is ErrBadPack.
func (x *Index) Add(ctx context.Context, pack chat.FAQPack) error {
	tenant := pack.Tenant
	if tenant == "" {
		tenant = AnyTenant
	}
	var docs []textindex.Doc
	var qs []*question
	ids := []string{}
	for i := range pack.Entries {
		e := pack.Entries[i]
		if e.ID == "" {
			return fmt.Errorf("%w: entry %d has no id", ErrBadPack, i)
		}
		if len(e.Answers) == 0 {
			return fmt.Errorf("%w: entry %q has no answer", ErrBadPack, e.ID)
		}
		ep := &e
		for lang, list := range e.Questions {
			for _, text := range list {
				if strings.TrimSpace(text) == "" {
					continue
				}
				field := fieldFor(lang)
				q := &question{entry: ep, text: text, field: field, tokens: tokens(field, text)}
				x.mu.Lock()
				x.seq++
				id := tenant + "/" + e.ID + "/" + strconv.Itoa(x.seq)
				x.mu.Unlock()
				docs = append(docs, textindex.Doc{ID: id, Fields: map[string]string{"tenant": tenant, field: text}})
				qs = append(qs, q)
				ids = append(ids, id)
			}
		}
	}
	if len(qs) == 0 {
		return fmt.Errorf("%w: no questions", ErrBadPack)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("knowledge: add pack: %w", err)
	}
	if err := x.idx.Add(docs...); err != nil {
		return fmt.Errorf("knowledge: add pack of %q: %w", tenant, err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, q := range qs {
		x.byDoc[ids[i]] = q
		if x.df[q.field] == nil {
			x.df[q.field] = map[string]int{}
		}
		for t := range q.tokens {
			x.df[q.field][t]++
		}
		x.n[q.field]++
		if q.entry.Intent != "" {
			if x.intents[tenant] == nil {
				x.intents[tenant] = map[string]*chat.FAQEntry{}
			}
			x.intents[tenant][q.entry.Intent] = q.entry
		}
	}
	return nil
}

// ByIntent returns the entry of tenant (or of the shared packs) labelled with intent.
func (x *Index) ByIntent(tenant, intent string) (chat.FAQEntry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if e, ok := x.intents[tenant][intent]; ok {
		return *e, true
	}
	if e, ok := x.intents[AnyTenant][intent]; ok {
		return *e, true
	}
	return chat.FAQEntry{}, false
}

// weight is the IDF weight of token t in field (read lock held).
func (x *Index) weight(field, t string) float64 {
	return idf(x.n[field], x.df[field][t])
}

// idf is a token's smoothed inverse document frequency among n documents,
// df of which hold it.
func idf(n, df int) float64 {
	return math.Log(1 + float64(n+1)/float64(df+1))
}

// similarity is the IDF-weighted cosine of two token sets (read lock held).
func (x *Index) similarity(field string, q, d map[string]struct{}) float64 {
	return weightedCosine(q, d, func(t string) float64 { return x.weight(field, t) })
}

// weightedCosine is the cosine of two token sets, each token weighted by
// weight(token) (an IDF): the one formula the FAQ index and the hub's
// passage parts share.
func weightedCosine(q, d map[string]struct{}, weight func(string) float64) float64 {
	var dot, nq, nd float64
	for t := range q {
		w := weight(t)
		nq += w * w
		if _, ok := d[t]; ok {
			dot += w * w
		}
	}
	for t := range d {
		w := weight(t)
		nd += w * w
	}
	if nq == 0 || nd == 0 {
		return 0
	}
	return dot / math.Sqrt(nq*nd)
}

// Search finds the best entry for text asked by a shopper of tenant in
// lang. ok is false when nothing scores at least the threshold; the best
// candidate is still returned then (for analytics), with its score.
func (x *Index) Search(ctx context.Context, tenant, lang, text string) (hit Hit, ok bool, err error) {
	if strings.TrimSpace(text) == "" {
		return Hit{}, false, ErrNoText
	}
	if err := ctx.Err(); err != nil {
		return Hit{}, false, fmt.Errorf("knowledge: search %q: %w", tenant, err)
	}
	field := fieldFor(lang)
	q := textindex.And(textindex.Match(field, text),
		textindex.Or(textindex.Term("tenant", tenant), textindex.Term("tenant", AnyTenant)))
	hits := x.idx.Search(q, x.opts.Candidates)
	x.mu.RLock()
	defer x.mu.RUnlock()
	qt := tokens(field, text)
	var best *question
	bestScore := -1.0
	for _, h := range hits {
		q := x.byDoc[h.ID]
		if q == nil {
			continue
		}
		s := x.similarity(field, qt, q.tokens)
		// Prefer the tenant's own entry over a shared one at equal score.
		if s > bestScore || (s == bestScore && !strings.HasPrefix(h.ID, AnyTenant+"/")) {
			best, bestScore = q, s
		}
	}
	if best == nil {
		return Hit{}, false, nil
	}
	ans, got := best.entry.Answers[lang], lang // an exact tag first (zh-TW)
	if ans == "" {
		ans, got = best.entry.Answer(primary(lang))
	}
	hit = Hit{Entry: *best.entry, Answer: ans, Lang: got, Question: best.text, Score: bestScore}
	return hit, bestScore >= x.opts.Threshold, nil
}
