// Package intentcheck gives each inbound message the intent and its
// confidence that the edge's plugins see (chat.Message.Intent and
// IntentConfidence, plugins/ABI.md section 4).
//
// The widget sends an intent hint computed in the browser by a small model
// (the widget's web model). A hint is a claim from the client: anyone can
// send `{"intent":"order_status"}` with any text. So the edge scores the
// text with its own, larger model (models/artifacts intent.kmod) and keeps
// the hint only when its own model finds it plausible: the hint's
// probability is at least half of the best label's. Otherwise the edge's
// best label replaces it. Either way the confidence is the edge model's
// probability of the label given, never the client's word.
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

// Source says where a Result's intent came from.
type Source string

// Sources of a Result.
const (
	// SourceHint: the widget's hint, which the edge's model found plausible.
	SourceHint Source = "hint"
	// SourceEdge: the edge's own best label (no hint, or an implausible one).
	SourceEdge Source = "edge"
)

// Result is the checked intent of one message.
type Result struct {
	// Intent is the label (one of the model's labels; "oos" when the model
	// has it and ranks it first).
	Intent string
	// Confidence is the edge model's probability of Intent, in [0,1].
	Confidence float64
	// Source says whether the widget's hint was kept.
	Source Source
	// Hint is the hint that was checked ("" when none); set also when it
	// was replaced.
	Hint string
}

// ErrNoLabels is returned by New for a model without labels.
var ErrNoLabels = errors.New("intentcheck: model has no labels")

// plausible is how close to the best label a hint must score to be kept:
// p(hint) >= plausible × p(best).
const plausible = 0.5

// Checker checks hints against a model. It is safe for concurrent use.
type Checker struct {
	m      Model
	labels []string
	index  map[string]int
}

// New returns a Checker over m.
func New(m Model) (*Checker, error) {
	labels := m.Labels()
	if len(labels) == 0 {
		return nil, ErrNoLabels
	}
	c := &Checker{m: m, labels: labels, index: make(map[string]int, len(labels))}
	for i, l := range labels {
		c.index[l] = i
	}
	return c, nil
}

// Check returns the intent of text given the widget's hint ("" for none).
// A hint that is not one of the model's labels is treated as no hint.
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
	if i, ok := c.index[hint]; ok && p[i] >= plausible*p[best] {
		r.Intent, r.Confidence, r.Source = hint, float64(p[i]), SourceHint
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
