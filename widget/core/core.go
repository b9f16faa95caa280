package core

import (
	"errors"
	"strings"
	"sync/atomic"
)

// Classifier is a text model: models/textmodel.Model fits it through a
// two-line adapter in widget/wasm. label is one of the model's labels and
// score its probability in [0,1].
type Classifier interface {
	Classify(text string) (label string, score float32)
}

// Model names accepted by SetModel.
const (
	ModelLangID = "langid"
	ModelIntent = "intent"
)

// ErrUnknownModel is returned by SetModel for a name it does not use.
var ErrUnknownModel = errors.New("core: unknown model name")

// MaxTextBytes is the longest text Answer considers; longer texts go to the
// edge, which refuses them with a clear reason.
const MaxTextBytes = 4 << 10

// Config holds the thresholds of answer selection. The zero value is not
// useful; start from DefaultConfig.
type Config struct {
	// MinSimilarity is the similarity an entry needs to be answered on
	// similarity alone. Default: 0.35.
	MinSimilarity float32
	// MinMargin is how much the best entry must beat the runner-up by when
	// answering on similarity alone. Default: 0.2.
	MinMargin float32
	// MinIntent is the intent probability that makes the model's intent
	// decide the entry. Default: 0.6.
	MinIntent float32
	// ConfirmSimilarity is the similarity the intent's entry still needs
	// (the paraphrase check). Default: 0.2.
	ConfirmSimilarity float32
	// MinLangConfidence is the language-model score under which the script
	// heuristic decides the language. Default: 0.5.
	MinLangConfidence float32
}

// DefaultConfig returns the thresholds documented on Config.
func DefaultConfig() Config {
	return Config{MinSimilarity: 0.35, MinMargin: 0.2, MinIntent: 0.6, ConfirmSimilarity: 0.2, MinLangConfidence: 0.5}
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
}

// Core answers shopper questions from an FAQ cache. The zero value is not
// ready; use New. Answer and Analyze are safe for concurrent use with each
// other and with LoadFAQ and SetModel (which swap in new state atomically).
type Core struct {
	cfg    Config
	ix     atomic.Pointer[index]
	langID atomic.Pointer[classifierBox]
	intent atomic.Pointer[classifierBox]
}

type classifierBox struct{ c Classifier }

// New returns a Core with the given thresholds and an empty FAQ cache.
func New(cfg Config) *Core {
	return &Core{cfg: cfg}
}

// LoadFAQ replaces the FAQ cache. On error the previous cache stays. The
// caller must not modify the entries' maps afterwards.
func (c *Core) LoadFAQ(entries []Entry) error {
	ix, err := buildIndex(entries)
	if err != nil {
		return err
	}
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

// SetModel installs a classifier under name (ModelLangID or ModelIntent);
// a nil m removes it.
func (c *Core) SetModel(name string, m Classifier) error {
	var box *classifierBox
	if m != nil {
		box = &classifierBox{m}
	}
	switch name {
	case ModelLangID:
		c.langID.Store(box)
	case ModelIntent:
		c.intent.Store(box)
	default:
		return &wrapError{msg: "core: set model " + quote(name), err: ErrUnknownModel}
	}
	return nil
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
	return c.run(text, true)
}

func (c *Core) run(text string, answer bool) (Result, bool) {
	text = strings.TrimSpace(text)
	var r Result
	if text == "" || len(text) > MaxTextBytes {
		return r, false
	}
	var langConf float32
	r.Lang, langConf = DetectLanguage(text)
	if b := c.langID.Load(); b != nil && langConf < 1 {
		if l, s := b.c.Classify(text); l != "" && s >= c.cfg.MinLangConfidence {
			r.Lang, langConf = l, s
		}
	}
	r.Anger = AngerScore(text)
	var intentScore float32
	if b := c.intent.Load(); b != nil {
		r.Intent, intentScore = b.c.Classify(text)
	}
	r.OrderSpecific = OrderSpecific(text)
	ix := c.ix.Load()
	if ix == nil || len(ix.entries) == 0 {
		return r, false
	}
	ms := ix.scores(ix.vectorize(text))
	best, second := -1, -1
	for i := range ms {
		switch {
		case best < 0 || ms[i].score > ms[best].score:
			best, second = i, best
		case second < 0 || ms[i].score > ms[second].score:
			second = i
		}
	}
	var runner float32
	if second >= 0 {
		runner = ms[second].score
	}
	chosen, score := -1, float32(0)
	// The intent model decides when it is sure and the paraphrases agree.
	if intentScore >= c.cfg.MinIntent {
		for _, i := range ix.intents[r.Intent] {
			if ms[i].score >= c.cfg.ConfirmSimilarity && (chosen < 0 || ms[i].score > ms[chosen].score) {
				chosen, score = i, intentScore
			}
		}
		if chosen < 0 && intentScore >= 0.8 && ix.needsEdge(r.Intent) {
			// The model is sure the shopper wants live data or a person
			// (order status, a complaint): leave it to the edge.
			return r, false
		}
	}
	if chosen < 0 && ms[best].score >= c.cfg.MinSimilarity && ms[best].score-runner >= c.cfg.MinMargin {
		chosen, score = best, ms[best].score
	}
	if chosen < 0 {
		return r, false
	}
	e := &ix.entries[chosen]
	if r.Intent == "" || intentScore < c.cfg.MinIntent {
		r.Intent = e.Intent
	}
	r.Score = score
	if langConf < 0.3 && ms[chosen].lang != "" {
		// Few words to go on: trust the language of the paraphrase that matched.
		r.Lang = ms[chosen].lang
	}
	if !answer || r.OrderSpecific || !e.Local {
		return r, false
	}
	r.FAQID = e.ID
	r.Text, _ = e.Answer(r.Lang)
	return r, true
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
var edgeIntents = map[string]bool{
	"order_status": true, "refund_status": true, "cancel_order": true, "complaint": true, "human_agent": true,
	"track_order": true, "track_refund": true, "contact_human_agent": true, "contact_customer_service": true,
	"change_order": true, "get_refund": true, "payment_issue": true,
}

// needsEdge reports whether intent is one the browser must not answer: a
// label of a non-local entry, or one of edgeIntents. Labels the FAQ does
// not know otherwise say nothing, and similarity decides.
func (ix *index) needsEdge(intent string) bool {
	if edgeIntents[intent] {
		return true
	}
	for _, i := range ix.intents[intent] {
		if !ix.entries[i].Local {
			return true
		}
	}
	return false
}
