// Package intentcheck gives each inbound message the intent and its
// confidence that the edge's plugins see (chat.Message.Intent and
// IntentConfidence, plugins/ABI.md section 4).
//
// The widget sends an intent hint computed in the browser by a small model
// (the widget's web model). A hint is a claim from the client: anyone can
// send `{"intent":"order_status"}` with any text, and an honest hint is
// only as good as the compact browser model, which changes whenever the
// widget's model is retrained or shrunk. So the edge scores the text with
// its own, larger model (models/artifacts intent.kmod) and gives plugins
// that model's best label and its probability, whatever the hint says: the
// intent a plugin acts on depends on the text and the edge's model alone.
// The hint is only compared with it (Result.Source, the edge's
// kefu_edge_intent_hints_total metric).
//
// An earlier rule kept a hint the edge's model found plausible (at least
// half the probability of its own best label). On the intent set's dev2
// split (models/data/intent/dev2.jsonl, 1,244 rows) it was no better than
// the edge's label alone — 91.48% right with intent-web.kmod's hints,
// 91.56% with the compact model's, 91.72% alone — and it made the
// order-status plugin's answers depend on which model the widget shipped.
//
// A plugin that acts on one intent (order-status answers tracking
// questions) compares the confidence with its own threshold, and declines
// (verdict "decline") what it was not asked.
package intentcheck

import (
	"errors"
	"fmt"

	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/textmodel"
)

// Model scores a text over a fixed label set. *textmodel.Model
// (models/textmodel) is one. Implementations must be safe for concurrent
// use.
type Model interface {
	// Labels returns the label names in probability order.
	Labels() []string
	// Probs writes the probability of each label of text into dst (grown
	// as needed) and returns it.
	Probs(dst []float32, text string) []float32
}

// Source says whether a Result's intent is also the widget's hint.
type Source string

// Sources of a Result.
const (
	// SourceHint: the widget's hint agreed with the edge model's label.
	SourceHint Source = "hint"
	// SourceEdge: the edge model's label, which the hint (if any) was not.
	SourceEdge Source = "edge"
)

// Result is the checked intent of one message.
type Result struct {
	// Intent is the edge model's best label ("oos" when the model has it
	// and ranks it first).
	Intent string
	// Confidence is the edge model's probability of Intent, in [0,1].
	Confidence float64
	// Source says whether the widget's hint agreed with Intent.
	Source Source
	// Hint is the hint that was compared ("" when none).
	Hint string
}

// ErrNoLabels is returned by New for a model without labels.
var ErrNoLabels = errors.New("intentcheck: model has no labels")

// Checker checks hints against a model. It is safe for concurrent use.
type Checker struct {
	m      Model
	labels []string
}

// New returns a Checker over m.
func New(m Model) (*Checker, error) {
	labels := m.Labels()
	if len(labels) == 0 {
		return nil, ErrNoLabels
	}
	return &Checker{m: m, labels: labels}, nil
}

// Check returns the intent of text: the edge model's best label and its
// probability. hint is the widget's hint ("" for none); it never changes
// the label or the confidence, Source only says whether it agreed.
func (c *Checker) Check(text, hint string) (Result, error) {
	p := c.m.Probs(make([]float32, 0, len(c.labels)), text)
	if len(p) != len(c.labels) {
		return Result{}, fmt.Errorf("intentcheck: model gave %d probabilities for %d labels", len(p), len(c.labels))
	}
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	r := Result{Intent: c.labels[best], Confidence: float64(p[best]), Source: SourceEdge, Hint: hint}
	if hint != "" && hint == r.Intent {
		r.Source = SourceHint
	}
	return r, nil
}

// Shipped returns a Checker over the intent model embedded in
// models/artifacts (intent.kmod, the model central uses too).
func Shipped() (*Checker, error) {
	m, err := textmodel.Load(artifacts.Intent())
	if err != nil {
		return nil, fmt.Errorf("intentcheck: shipped intent model: %w", err)
	}
	return New(m)
}
