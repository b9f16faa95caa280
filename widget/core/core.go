package core

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
)

// Classifier is a text model: models/textmodel.Model fits it through a
// two-line adapter in widget/wasm. label is one of the model's labels and
// score its probability in [0,1].
type Classifier interface {
	Classify(text string) (label string, score float32)
}

// Model names accepted by SetModel. An intent model of one language is
// installed as IntentModelOf(lang) ("intent.zh"): a text the core takes for
// that language is classified by it rather than by the multilingual
// ModelIntent (the widget fetches the model of the shopper's language only).
const (
	ModelLangID = "langid"
	ModelIntent = "intent"
)

// intentPrefix starts the name of a per-language intent model.
const intentPrefix = ModelIntent + "."

// IntentModelOf returns the model name of lang's intent model ("intent.zh").
func IntentModelOf(lang string) string { return intentPrefix + lang }

// ErrUnknownModel is returned by SetModel for a name it does not use.
var ErrUnknownModel = errors.New("core: unknown model name")

// MaxTextBytes is the longest text Answer considers; longer texts go to the
// edge, which refuses them with a clear reason.
const MaxTextBytes = 4 << 10

// Config holds the thresholds of answer selection (see the package doc for
// the rules they feed). The zero value is not useful; start from
// DefaultConfig, whose values were chosen on the dev split of the product's
// intent set (models/data/intent) with an intent model trained on its train
// split only; TestIntentSet reports what they give on the test split.
type Config struct {
	// MinSimilarity is the similarity an entry needs to be answered on
	// similarity (rule 3 of the package doc). Default: 0.4.
	MinSimilarity float32
	// MinMargin is how much the best entry must beat the runner-up by when
	// answering on similarity. Default: 0.2.
	MinMargin float32
	// MinIntent is the intent probability at which the model alone decides:
	// the intent's main entry (the Local entry whose ID is the intent) is
	// answered whatever the wording. Default: 0.95.
	MinIntent float32
	// SubtopicSimilarity is the similarity at which another answerable
	// entry of the model's intent (a sub-topic such as
	// international_shipping under shipping_cost) is answered instead of the
	// main entry, when it is also the more similar of the two. Default: 0.35.
	SubtopicSimilarity float32
	// SubtopicMargin is, when the model's intent has sub-topic entries, how
	// much more similar than each of them the main entry must be (and how
	// similar at least) for the model alone to answer it. Default: 0.15.
	SubtopicMargin float32
	// ContradictIntent is the intent probability at which a model label
	// that differs from the intent of the best similarity match vetoes a
	// similarity answer. Default: 0.5.
	ContradictIntent float32
	// EdgeIntent is the intent probability at which an intent that needs
	// the edge (see the package doc) stops every local answer. The shipped
	// model reports labels under its out-of-scope threshold (0.46) as "oos",
	// so any value up to that threshold means "whenever the model names
	// such an intent". Default: 0.3.
	EdgeIntent float32
	// MinLangConfidence is the language-model score under which the script
	// heuristic decides the language. Default: 0.5.
	MinLangConfidence float32
}

// DefaultConfig returns the thresholds documented on Config.
func DefaultConfig() Config {
	return Config{MinSimilarity: 0.35, MinMargin: 0.3, MinIntent: 0.95, SubtopicSimilarity: 0.35, SubtopicMargin: 0.15, ContradictIntent: 0.5, EdgeIntent: 0.3, MinLangConfidence: 0.5}
}

// Result is what the core knows about one shopper text.
type Result struct {
	// Lang is the detected language (zh, en, de…).
	Lang string
	// Intent is the intent model's label, or the matched entry's intent.
	Intent string
	// Score is the confidence of the chosen entry (similarity, or the
	// intent probability when the model decided), in [0,1].
	Score float32
	// Anger is AngerScore of the text.
	Anger float64
	// FAQID is the entry answered, "" when there is no local answer.
	FAQID string
	// Text is the answer, in Lang when the entry has it.
	Text string
	// OrderSpecific is true when the text is about one specific order.
	OrderSpecific bool
	// Declined is true when an entry matched but the text names something
	// specific (a pack decline term) the entry does not cover.
	Declined bool
}

// Core answers shopper questions from an FAQ cache. The zero value is not
// ready; use New. Answer and Analyze are safe for concurrent use with each
// other and with LoadFAQ and SetModel (which swap in new state atomically).
type Core struct {
	cfg    Config
	ix     atomic.Pointer[index]
	langID atomic.Pointer[classifierBox]
	intent atomic.Pointer[classifierBox]
	// byLang holds the per-language intent models, replaced as a whole
	// (copy on write) so that run reads it without a lock.
	byLang atomic.Pointer[[]langModel]
	mu     sync.Mutex // setIntentOf's writers
}

type classifierBox struct{ c Classifier }

// langModel is one language's intent model.
type langModel struct {
	lang string
	box  *classifierBox
}

// New returns a Core with the given thresholds and an empty FAQ cache.
func New(cfg Config) *Core {
	return &Core{cfg: cfg}
}

// LoadFAQ replaces the FAQ cache. On error the previous cache stays. The
// caller must not modify the entries' maps afterwards.
func (c *Core) LoadFAQ(entries []Entry) error { return c.LoadPack(entries, nil) }

// LoadPack replaces the FAQ cache and the pack's decline terms (see
// decline.go): a question naming one of them is not answered in the
// browser. On error the previous cache stays.
func (c *Core) LoadPack(entries []Entry, decline []string) error {
	ix, err := buildIndex(entries)
	if err != nil {
		return err
	}
	ix.decline = normTerms(decline)
	c.ix.Store(ix)
	return nil
}

// Entries returns how many FAQ entries are cached.
func (c *Core) Entries() int {
	if ix := c.ix.Load(); ix != nil {
		return len(ix.entries)
	}
	return 0
}

// SetModel installs a classifier under name (ModelLangID, ModelIntent or
// IntentModelOf(lang)); a nil m removes it.
func (c *Core) SetModel(name string, m Classifier) error {
	var box *classifierBox
	if m != nil {
		box = &classifierBox{m}
	}
	switch {
	case name == ModelLangID:
		c.langID.Store(box)
	case name == ModelIntent:
		c.intent.Store(box)
	case strings.HasPrefix(name, intentPrefix) && len(name) > len(intentPrefix):
		c.setIntentOf(name[len(intentPrefix):], box)
	default:
		return &wrapError{msg: "core: set model " + quote(name), err: ErrUnknownModel}
	}
	return nil
}

// setIntentOf installs (or with a nil box removes) lang's intent model.
// Writers take mu; run reads byLang without it.
func (c *Core) setIntentOf(lang string, box *classifierBox) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old []langModel
	if p := c.byLang.Load(); p != nil {
		old = *p
	}
	next := make([]langModel, 0, len(old)+1)
	for _, m := range old {
		if m.lang != lang {
			next = append(next, m)
		}
	}
	if box != nil {
		next = append(next, langModel{lang, box})
	}
	c.byLang.Store(&next)
}

// intentFor returns the intent model for a text of lang: lang's own
// (zh-TW, else zh), else the multilingual one, else nil.
func (c *Core) intentFor(lang string) *classifierBox {
	if ms := c.byLang.Load(); ms != nil && lang != "" {
		var fallback *classifierBox
		for _, m := range *ms {
			if m.lang == lang {
				return m.box
			}
			if len(lang) > len(m.lang) && lang[len(m.lang)] == '-' && lang[:len(m.lang)] == m.lang {
				fallback = m.box
			}
		}
		if fallback != nil {
			return fallback
		}
	}
	return c.intent.Load()
}

// Analyze returns language, intent and anger of text without choosing a
// local answer: what the loader attaches to a message it sends to the edge.
func (c *Core) Analyze(text string) Result {
	r, _ := c.run(text, false)
	return r
}

// Answer returns the local answer for text and true, or the analysis and
// false when the browser must not answer (see the package doc).
func (c *Core) Answer(text string) (Result, bool) {
	r, ok := c.run(text, true)
	mark(2)
	return r, ok
}

func (c *Core) run(text string, answer bool) (Result, bool) {
	text = strings.TrimSpace(text)
	var r Result
	if text == "" || len(text) > MaxTextBytes {
		return r, false
	}
	var langConf, intentScore float32
	r.Lang, langConf = c.language(text)
	r.Anger = AngerScore(text)
	r.Intent, intentScore = c.classifyIntent(text, r.Lang)
	r.OrderSpecific = OrderSpecific(text)
	mark(1)
	ix := c.ix.Load()
	if ix == nil || len(ix.entries) == 0 {
		return r, false
	}
	sc := dotPool.Get()
	defer dotPool.Put(sc)
	ms := ix.match(text, sc)
	chosen, score := c.cfg.choose(ix, ms, r.Intent, intentScore)
	if chosen < 0 {
		return r, false
	}
	e := &ix.entries[chosen]
	if e.Intent != "" && (r.Intent == "" || intentScore < c.cfg.MinIntent) {
		r.Intent = e.Intent
	}
	r.Score = score
	if langConf < 0.3 && ms[chosen].lang != "" {
		// Few words to go on: trust the language of the paraphrase that matched.
		r.Lang = ms[chosen].lang
	}
	if !answer || r.OrderSpecific || !ix.local[chosen] {
		return r, false
	}
	if ix.declines(text) {
		r.Declined = true
		return r, false
	}
	r.FAQID = e.ID
	r.Text, _ = e.Answer(r.Lang)
	return r, true
}

// language returns the language of text and the confidence in it: the
// writing system's, else the language model's when it is sure enough.
func (c *Core) language(text string) (string, float32) {
	lang, conf := DetectLanguage(text)
	if b := c.langID.Load(); b != nil && conf < 1 {
		if l, s := b.c.Classify(text); l != "" && s >= c.cfg.MinLangConfidence {
			lang, conf = l, s
		}
	}
	return lang, conf
}

// classifyIntent returns the intent label and probability of text, taken
// for a text of lang, or "" and 0 without an intent model for it.
func (c *Core) classifyIntent(text, lang string) (string, float32) {
	if b := c.intentFor(lang); b != nil {
		return b.c.Classify(text)
	}
	return "", 0
}

// wrapError adds context to a sentinel without fmt.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg + ": " + e.err.Error() }
func (e *wrapError) Unwrap() error { return e.err }

// edgeIntents are intent labels that always need the edge: live order data,
// a person, a complaint. Both the product's labels and those of the interim
// Bitext-trained model are listed, so a model whose label set differs from
// the FAQ's intents still guards these cases.
var edgeIntents = [...]string{
	"order_status", "refund_status", "cancel_order", "complaint", "human_agent",
	"track_order", "track_refund", "contact_human_agent", "contact_customer_service",
	"change_order", "get_refund", "payment_issue",
}

// needsEdge reports whether intent is one the browser must not answer: a
// label of a non-local entry, or one of edgeIntents. Labels the FAQ does
// not know otherwise say nothing, and similarity decides.
func (ix *index) needsEdge(intent string) bool {
	for _, e := range edgeIntents {
		if e == intent {
			return true
		}
	}
	for _, i := range ix.intents[intent] {
		if !ix.entries[i].Local {
			return true
		}
	}
	return false
}
