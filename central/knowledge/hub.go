package knowledge

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/kefu-io/kefu/central/knowledge/internal/textindex"
	"github.com/kefu-io/kefu/chat"
)

// Doc is one live document as the hub indexes it.
type Doc struct {
	ID      string
	Title   string
	Version int
	Derived Derived
}

// Hub holds every tenant's knowledge part: a full-text index of the tenant's
// passages and FAQ questions, its entities and facts (the graph), and its
// product catalogue. Load replaces one tenant's part atomically, so a
// central replica rebuilds only the tenant whose knowledge changed and
// questions keep being answered from the old part meanwhile.
//
// A Hub is safe for concurrent use.
type Hub struct {
	opts  HubOptions
	mu    sync.RWMutex
	parts map[string]*part
}

// HubOptions configure a Hub.
type HubOptions struct {
	// Confident is the least score at which an answer is given as certain.
	// Default 0.5.
	Confident float64
	// Clarify is the least score at which the bot asks a clarifying
	// question instead of answering; below it, it has no answer. Default 0.25.
	Clarify float64
}

// NewHub returns an empty Hub.
func NewHub(o HubOptions) *Hub {
	if o.Confident <= 0 {
		o.Confident = 0.5
	}
	if o.Clarify <= 0 {
		o.Clarify = 0.25
	}
	return &Hub{opts: o, parts: map[string]*part{}}
}

// part is one tenant's knowledge.
type part struct {
	idx     *textindex.Index
	units   map[string]*unit
	df      map[string]map[string]int
	n       map[string]int
	docs    map[string]*Doc
	ents    map[string]Entity
	aliases []alias
	facts   map[string][]Fact
	catalog *catalog
	stats   Stats
	// claims are the passages stating policy quantities (policy.go).
	claims []passageClaims
	// policyRev fingerprints the policy (PolicyRevision).
	policyRev string
	// answers caches Ask's answers (askKey → Answer), up to
	// maxCachedAnswers: a part never changes once built (Load swaps in a
	// new one, with an empty cache), and shoppers ask the same questions
	// again and again (the search was ~6–9% of a loaded server's CPU).
	answers  sync.Map
	nAnswers atomic.Int32
}

// askKey is a question Ask may answer from the cache (one without topics).
type askKey struct{ text, lang, intent, sku string }

// Cache bounds: questions longer than maxCachedQuestion bytes are rarely
// asked twice word for word and are not kept.
const (
	maxCachedAnswers  = 2048
	maxCachedQuestion = 512
)

// clone copies what a caller could change in a, so a cached answer is
// never changed through the copy returned.
func (a Answer) clone() Answer {
	a.Sources, a.Docs, a.Entities = slices.Clone(a.Sources), slices.Clone(a.Docs), slices.Clone(a.Entities)
	a.QuickReplies, a.Ranked = slices.Clone(a.QuickReplies), slices.Clone(a.Ranked)
	if a.Card != nil {
		c := *a.Card
		a.Card = &c
	}
	return a
}

// Stats counts what a tenant's part holds.
type Stats struct {
	Documents int `json:"documents"`
	Passages  int `json:"passages"`
	FAQPairs  int `json:"faq_pairs"`
	Entities  int `json:"entities"`
	Facts     int `json:"facts"`
	Products  int `json:"products"`
}

// unit is one indexed passage or FAQ question.
type unit struct {
	doc     *Doc
	passage *Passage
	faq     *FAQPair
	field   string
	tokens  map[string]struct{}
}

type alias struct {
	text   string // lower case, or as written for an acronym
	entity string
	cjk    bool
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

// Load builds tenant's part from its live documents and catalogue and
// swaps it in.
func (h *Hub) Load(ctx context.Context, tenant string, docs []Doc, products []Product) error {
	p, err := buildPart(ctx, docs, products)
	if err != nil {
		return fmt.Errorf("knowledge: load %q: %w", tenant, err)
	}
	h.mu.Lock()
	h.parts[tenant] = p
	h.mu.Unlock()
	return nil
}

// Stats returns what tenant's part holds.
func (h *Hub) Stats(tenant string) Stats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if p := h.parts[tenant]; p != nil {
		return p.stats
	}
	return Stats{}
}

// Close releases every part.
func (h *Hub) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.parts)
	return nil
}

func (h *Hub) part(tenant string) *part {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.parts[tenant]
}

func buildPart(ctx context.Context, docs []Doc, products []Product) (*part, error) {
	idx, err := textindex.New(indexFields())
	if err != nil {
		return nil, err
	}
	p := &part{idx: idx, units: map[string]*unit{}, df: map[string]map[string]int{}, n: map[string]int{},
		docs: map[string]*Doc{}, ents: map[string]Entity{}, facts: map[string][]Fact{}}
	var batch []textindex.Doc
	addUnit := func(id string, u *unit, text string) error {
		u.tokens = tokens(u.field, text)
		p.units[id] = u
		if p.df[u.field] == nil {
			p.df[u.field] = map[string]int{}
		}
		for t := range u.tokens {
			p.df[u.field][t]++
		}
		p.n[u.field]++
		batch = append(batch, textindex.Doc{ID: id, Fields: map[string]string{u.field: text}})
		return nil
	}
	seenAlias := map[string]bool{}
	for i := range docs {
		d := &docs[i]
		p.docs[d.ID] = d
		p.stats.Documents++
		for j := range d.Derived.Passages {
			ps := &d.Derived.Passages[j]
			text := d.Title + " " + ps.Heading + " " + ps.Text
			// A passage mixing scripts ("Headphones / 耳机 …") is found
			// from questions in either.
			for _, field := range passageFields(ps.Lang, text) {
				if err := addUnit("p/"+d.ID+"/"+ps.ID+"/"+field, &unit{doc: d, passage: ps, field: field}, text); err != nil {
					return nil, err
				}
			}
			p.stats.Passages++
		}
		for j := range d.Derived.FAQ {
			f := &d.Derived.FAQ[j]
			if err := addUnit("q/"+d.ID+"/"+f.ID, &unit{doc: d, faq: f, field: fieldFor(f.Lang)}, f.Question); err != nil {
				return nil, err
			}
			p.stats.FAQPairs++
		}
		for _, e := range d.Derived.Entities {
			p.ents[e.ID] = e
			p.stats.Entities++
			for _, a := range append([]string{e.Name}, e.Aliases...) {
				low := strings.TrimSpace(a)
				if !acronym(low) {
					low = strings.ToLower(low)
				}
				if len([]rune(low)) < 2 || seenAlias[low+"\x00"+e.ID] {
					continue
				}
				seenAlias[low+"\x00"+e.ID] = true
				p.aliases = append(p.aliases, alias{text: low, entity: e.ID, cjk: hasHan(low)})
			}
		}
		for _, f := range d.Derived.Facts {
			p.facts[f.Entity] = append(p.facts[f.Entity], f)
			p.stats.Facts++
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	sort.Slice(p.aliases, func(i, j int) bool { return len(p.aliases[i].text) > len(p.aliases[j].text) })
	if err := idx.Add(batch...); err != nil {
		return nil, err
	}
	p.catalog = newCatalog(products)
	p.stats.Products = len(products)
	p.indexClaims()
	p.policyRev = p.policyRevision()
	return p, nil
}

// passageFields are the analyzer fields a passage is indexed in: its
// language's, plus CJK or English when its text also has that script.
func passageFields(lang, text string) []string {
	out := []string{fieldFor(lang)}
	for _, f := range []struct {
		has   func(string) bool
		field string
	}{{hasHan, "q_" + textindex.CJK}, {hasLatin, "q_en"}} {
		if f.has(text) && !slicesContains(out, f.field) {
			out = append(out, f.field)
		}
	}
	return out
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func (p *part) weight(field, t string) float64 {
	return idf(p.n[field], p.df[field][t])
}

// coverage is the IDF-weighted share of the question's tokens found in d.
func (p *part) coverage(field string, q, d map[string]struct{}) float64 {
	var have, all float64
	for t := range q {
		w := p.weight(field, t)
		all += w
		if _, ok := d[t]; ok {
			have += w
		}
	}
	if all == 0 {
		return 0
	}
	return have / all
}

// cosine is the IDF-weighted cosine of two token sets.
func (p *part) cosine(field string, q, d map[string]struct{}) float64 {
	return weightedCosine(q, d, func(t string) float64 { return p.weight(field, t) })
}

// Mentions returns the ids of the entities text names (longest alias first;
// a Latin alias must match whole words).
func (p *part) mentions(text string) []string {
	low := strings.ToLower(text)
	var out []string
	seen := map[string]bool{}
	for _, a := range p.aliases {
		if seen[a.entity] {
			continue
		}
		if acronym(a.text) {
			if containsAlias(text, a.text, false) {
				seen[a.entity] = true
				out = append(out, a.entity)
			}
			continue
		}
		if containsAlias(low, a.text, a.cjk) {
			seen[a.entity] = true
			out = append(out, a.entity)
			low = strings.Replace(low, a.text, strings.Repeat(" ", len(a.text)), 1)
		}
	}
	return out
}

// containsAlias reports whether low contains alias as whole words (CJK: as a substring).
func containsAlias(low, a string, cjkAlias bool) bool {
	if cjkAlias {
		return strings.Contains(low, a)
	}
	for off := 0; ; {
		i := strings.Index(low[off:], a)
		if i < 0 {
			return false
		}
		s, e := off+i, off+i+len(a)
		before, after := rune(' '), rune(' ')
		if s > 0 {
			before = lastRune(low[:s])
		}
		if e < len(low) {
			after = []rune(low[e:])[0]
		}
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		off = s + 1
	}
}

func lastRune(s string) rune {
	r := []rune(s)
	return r[len(r)-1]
}

func isWordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.Is(unicode.Han, r)
}

// Question is what a shopper asked, with what is known around it.
type Question struct {
	Text string
	Lang string
	// Intent is the intent model's label ("" when not confident).
	Intent string
	// SKU is the product page the shopper is on, if any.
	SKU string
	// Topics, when set, restrict the answer to passages and FAQ pairs of
	// these topic ids (a filter by a topic passes its subtree: Tree.Subtree).
	Topics []string
}

// Source is a passage an answer cites.
type Source struct {
	Doc     string `json:"doc"`
	Title   string `json:"title"`
	Version int    `json:"version"`
	Passage string `json:"passage,omitempty"`
	Heading string `json:"heading,omitempty"`
}

// Answer kinds.
const (
	AnswerPassage = "passage"
	AnswerFAQ     = "faq"
	AnswerProduct = "product"
	AnswerClarify = "clarify"
	AnswerNone    = "none"
)

// Answer is the hub's reply to a Question.
type Answer struct {
	Kind string
	Text string
	Lang string
	// Confidence is the retrieval score in [0,1+] of the best candidate.
	Confidence float64
	Sources    []Source
	// Docs are the ids of the best documents, best first (for evaluation
	// and for the clarifying question's options).
	Docs []string
	// Entities are the ids of the entities the question names.
	Entities []string
	// QuickReplies are the options of a clarifying question.
	QuickReplies []string
	// Card is the product card of a product answer.
	Card *chat.Card
	// Ranked are the best unit of each of the best documents (at most 3),
	// best first: what the answer would cite.
	Ranked []Ranked
}

// Ranked is a document's best passage or FAQ answer for a question.
type Ranked struct {
	Doc   string
	Text  string
	Score float64
}

// Confident reports whether the answer may be given as certain.
func (a Answer) Confident() bool {
	return a.Kind == AnswerPassage || a.Kind == AnswerFAQ || a.Kind == AnswerProduct
}

type cand struct {
	u     *unit
	score float64
}

// intentTopics maps intent labels of the intent model to topics.
var intentTopics = map[string]string{
	"shipping_time": "shipping", "shipping_cost": "shipping", "return_policy": "returns", "refund_status": "returns",
	"exchange_size": "exchange", "payment_methods": "payment", "payment_failed": "payment", "invoice": "invoice",
	"size_guide": "sizes", "warranty": "warranty", "membership_points": "membership", "coupon": "promotions",
	"promotion": "promotions", "price_match": "promotions", "account_login": "account", "cancel_order": "orders",
}

// Ask answers a question from tenant's knowledge. It never errors for a
// tenant without knowledge: the answer is then AnswerNone. The answers to
// questions without Topics are kept with the loaded knowledge (up to 2,048
// per tenant; a Load starts afresh) and given again as copies.
func (h *Hub) Ask(ctx context.Context, tenant string, q Question) (Answer, error) {
	p := h.part(tenant)
	if p == nil || len(q.Topics) > 0 || len(q.Text) > maxCachedQuestion {
		return h.ask(ctx, tenant, p, q)
	}
	key := askKey{q.Text, q.Lang, q.Intent, q.SKU}
	if a, ok := p.answers.Load(key); ok {
		return a.(Answer).clone(), nil
	}
	a, err := h.ask(ctx, tenant, p, q)
	if err == nil && p.nAnswers.Add(1) <= maxCachedAnswers {
		p.answers.Store(key, a.clone())
	}
	return a, err
}

// ask is Ask without the cache; p is tenant's part, nil when it has none.
func (h *Hub) ask(ctx context.Context, tenant string, p *part, q Question) (Answer, error) {
	lang := q.Lang
	if lang == "" {
		lang = LangOf(q.Text)
	}
	none := Answer{Kind: AnswerNone, Lang: lang}
	if p == nil || strings.TrimSpace(q.Text) == "" {
		return none, nil
	}
	if a, ok := p.catalog.answer(q, lang); ok && len(q.Topics) == 0 {
		return a, nil
	}
	cands, err := p.search(ctx, q, lang)
	if err != nil {
		return none, fmt.Errorf("knowledge: ask %q: %w", tenant, err)
	}
	ents := p.mentions(q.Text)
	none.Entities = ents
	if len(cands) == 0 {
		return none, nil
	}
	// Rank documents by their best unit.
	var docs []string
	best := map[string]float64{}
	var ranked []Ranked
	for _, c := range cands {
		if _, ok := best[c.u.doc.ID]; !ok {
			docs = append(docs, c.u.doc.ID)
			best[c.u.doc.ID] = c.score
			if len(ranked) < 3 {
				t := c.u.doc.Title + " " + unitText(c.u)
				ranked = append(ranked, Ranked{Doc: c.u.doc.ID, Text: t, Score: c.score})
			}
		}
	}
	top := cands[0]
	a := Answer{Lang: lang, Confidence: top.score, Docs: docs, Entities: ents, Ranked: ranked}
	switch {
	case top.score >= h.opts.Confident:
		if top.u.faq != nil {
			a.Kind, a.Text, a.Lang = AnswerFAQ, top.u.faq.Answer, top.u.faq.Lang
			a.Sources = []Source{{Doc: top.u.doc.ID, Title: top.u.doc.Title, Version: top.u.doc.Version, Passage: top.u.faq.Passage}}
		} else {
			a.Kind, a.Text, a.Lang = AnswerPassage, passageAnswer(top.u.passage), top.u.passage.Lang
			a.Sources = []Source{{Doc: top.u.doc.ID, Title: top.u.doc.Title, Version: top.u.doc.Version, Passage: top.u.passage.ID, Heading: top.u.passage.Heading}}
		}
		return a, nil
	case top.score >= h.opts.Clarify && len(docs) >= 2:
		a.Kind = AnswerClarify
		for _, d := range docs {
			if len(a.QuickReplies) == 3 {
				break
			}
			a.QuickReplies = append(a.QuickReplies, p.docs[d].Title)
		}
		a.Text = clarifyText(lang)
		return a, nil
	}
	a.Kind = AnswerNone
	return a, nil
}

func clarifyText(lang string) string {
	if primary(lang) == "zh" {
		return "我想确认一下，您问的是下面哪一项？"
	}
	return "Just to be sure I answer the right thing — which of these do you mean?"
}

// passageAnswer is a passage as a reply: a table row reads "X — a: b; c: d".
func passageAnswer(ps *Passage) string {
	t := ps.Text
	if i := strings.Index(t, "; "); i > 0 && len(ps.Entities) > 0 && !strings.ContainsAny(t[:i], ".。") {
		t = t[:i] + " — " + t[i+2:]
	}
	return t
}

// search returns the candidates, best first.
func (p *part) search(ctx context.Context, q Question, lang string) ([]cand, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fields := map[string]bool{fieldFor(lang): true}
	if hasHan(q.Text) {
		fields["q_"+textindex.CJK] = true
	}
	if hasLatin(q.Text) {
		fields["q_en"] = true
	}
	var qs []textindex.Query
	qtok := map[string]map[string]struct{}{}
	for f := range fields {
		if f == "q_"+textindex.Standard {
			continue
		}
		qtok[f] = tokens(f, q.Text)
		if len(qtok[f]) == 0 {
			continue
		}
		qs = append(qs, textindex.Match(f, q.Text))
	}
	if len(qs) == 0 {
		return nil, nil
	}
	hits := p.idx.Search(textindex.Or(qs...), 40)
	ents := p.mentions(q.Text)
	entSet := map[string]bool{}
	kinds := map[string]bool{}
	for _, e := range ents {
		entSet[e] = true
		kinds[p.ents[e].Kind] = true
	}
	topic := intentTopics[q.Intent]
	var maxB float64
	for _, h := range hits {
		maxB = max(maxB, h.Score)
	}
	var out []cand
	for _, h := range hits {
		u := p.units[h.ID]
		if u == nil || (len(q.Topics) > 0 && !anyIn(unitTopics(u), q.Topics)) {
			continue
		}
		qt := qtok[u.field]
		var s float64
		if u.faq != nil {
			s = p.cosine(u.field, qt, u.tokens)
		} else {
			s = 0.8*p.coverage(u.field, qt, u.tokens) + 0.2*h.Score/maxB
		}
		var ue []string
		if u.passage != nil {
			ue = u.passage.Entities
		}
		if len(ents) > 0 {
			named, other := false, false
			for _, e := range ue {
				if entSet[e] {
					named = true
				} else if kinds[p.ents[e].Kind] {
					other = true
				}
			}
			switch {
			case named:
				s += 0.3
			case other:
				s -= 0.2
			}
		}
		if topic != "" && u.passage != nil && slicesContains(u.passage.Topics, topic) {
			s += 0.05
		}
		// The question's language first: a bilingual document answers in kind.
		if ul := unitLang(u); ul != "" && primary(ul) != primary(lang) {
			s -= 0.1
		}
		out = append(out, cand{u: u, score: s})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out, nil
}

func unitText(u *unit) string {
	if u.faq != nil {
		return u.faq.Question + " " + u.faq.Answer
	}
	return u.passage.Heading + " " + u.passage.Text
}

func unitTopics(u *unit) []string {
	if u.faq != nil {
		return u.faq.Topics
	}
	return u.passage.Topics
}

func anyIn(have, want []string) bool {
	for _, h := range have {
		if slicesContains(want, h) {
			return true
		}
	}
	return false
}

// IntentTopic returns the default topic id of an intent label ("" if none).
func IntentTopic(intent string) string { return intentTopics[intent] }

// TopicCount counts what a topic holds.
type TopicCount struct {
	Documents, Passages, FAQPairs int
}

// TopicCounts counts tenant's documents, passages and FAQ pairs by topic id.
func (h *Hub) TopicCounts(tenant string) map[string]TopicCount {
	out := map[string]TopicCount{}
	p := h.part(tenant)
	if p == nil {
		return out
	}
	for _, d := range p.docs {
		for _, t := range d.Derived.Topics {
			c := out[t]
			c.Documents++
			out[t] = c
		}
		for _, ps := range d.Derived.Passages {
			for _, t := range ps.Topics {
				c := out[t]
				c.Passages++
				out[t] = c
			}
		}
		for _, f := range d.Derived.FAQ {
			for _, t := range f.Topics {
				c := out[t]
				c.FAQPairs++
				out[t] = c
			}
		}
	}
	return out
}

func unitLang(u *unit) string {
	if u.faq != nil {
		return u.faq.Lang
	}
	return u.passage.Lang
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func hasLatin(s string) bool {
	for _, r := range s {
		if r < 0x250 && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// Pack returns tenant's browser FAQ entries (one per FAQ pair, answerable
// locally) and the decline terms: every alias of every entity the
// knowledge names, so that the browser sends a question naming a specific
// destination, product line or fee to central instead of answering it
// with a generic entry that does not mention it.
func (h *Hub) Pack(tenant string) (entries []chat.FAQEntry, decline []string) {
	p := h.part(tenant)
	if p == nil {
		return nil, nil
	}
	ids := make([]string, 0, len(p.docs))
	for id := range p.docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		d := p.docs[id]
		for _, f := range d.Derived.FAQ {
			tags := []string{"doc:" + d.ID}
			for _, t := range f.Topics {
				tags = append(tags, "topic:"+t)
			}
			entries = append(entries, chat.FAQEntry{ID: "kb-" + f.ID, Questions: map[string][]string{f.Lang: {f.Question}},
				Answers: map[string]string{f.Lang: f.Answer}, Local: true, Tags: tags})
		}
	}
	seen := map[string]bool{}
	for _, a := range p.aliases {
		if !seen[a.text] {
			seen[a.text] = true
			decline = append(decline, a.text)
		}
	}
	sort.Strings(decline)
	return entries, decline
}

// DecodeDerived decodes a stored Derived.
func DecodeDerived(b []byte) (Derived, error) {
	var d Derived
	if len(b) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("knowledge: derived JSON: %w", err)
	}
	return d, nil
}

// Nearest returns the passage closest to text whatever its score (for
// drafting an answer to a knowledge gap), and false when the tenant has
// no passage sharing a word with it.
func (h *Hub) Nearest(ctx context.Context, tenant, text, lang string) (Passage, Source, bool) {
	p := h.part(tenant)
	if p == nil {
		return Passage{}, Source{}, false
	}
	if lang == "" {
		lang = LangOf(text)
	}
	cands, err := p.search(ctx, Question{Text: text, Lang: lang}, lang)
	if err != nil {
		return Passage{}, Source{}, false
	}
	for _, c := range cands {
		if c.u.passage != nil {
			return *c.u.passage, Source{Doc: c.u.doc.ID, Title: c.u.doc.Title, Version: c.u.doc.Version, Passage: c.u.passage.ID}, true
		}
	}
	return Passage{}, Source{}, false
}

// Terms returns the tokens gap clustering compares: lower-case words
// (without a plural s) and CJK bigrams.
func Terms(text string) map[string]struct{} {
	out := map[string]struct{}{}
	var word []rune
	var prevHan rune
	flush := func() {
		if len(word) > 1 {
			w := strings.TrimSuffix(string(word), "s")
			if !stopWords[w] {
				out[w] = struct{}{}
			}
		}
		word = word[:0]
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			if prevHan != 0 {
				out[string([]rune{prevHan, r})] = struct{}{}
			}
			prevHan = r
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = append(word, r)
		default:
			flush()
		}
		prevHan = 0
	}
	flush()
	return out
}

var stopWords = map[string]bool{"the": true, "a": true, "an": true, "do": true, "doe": true, "you": true, "i": true, "my": true,
	"to": true, "is": true, "it": true, "can": true, "of": true, "for": true, "in": true, "on": true, "and": true, "or": true,
	"what": true, "how": true, "are": true, "there": true, "your": true, "me": true, "be": true, "with": true, "will": true}
