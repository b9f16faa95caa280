package textmodel

import (
	"errors"
	"slices"
)

// ErrEnsemble reports models that cannot be averaged: none, or label
// tables that differ. (No fmt here: the package goes into the widget's
// WebAssembly core, where fmt alone would add ~116 KB brotli.)
var ErrEnsemble = errors.New("textmodel: models cannot be averaged (none, or their labels differ)")

// Ensemble predicts with the mean of its models' probabilities: two models
// of one language trained with different seeds answer better together than
// either alone (intent-web.md, "Per-language model pairs"). The first
// model's out-of-scope threshold applies to the mean.
type Ensemble struct {
	models []*Model
}

// NewEnsemble returns the ensemble of ms, which must share one label table
// (the same labels in the same order).
func NewEnsemble(ms ...*Model) (*Ensemble, error) {
	if len(ms) == 0 {
		return nil, ErrEnsemble
	}
	for _, m := range ms[1:] {
		if !slices.Equal(m.labels, ms[0].labels) {
			return nil, ErrEnsemble
		}
	}
	return &Ensemble{models: slices.Clone(ms)}, nil
}

// Models returns how many models the ensemble averages.
func (e *Ensemble) Models() int { return len(e.models) }

// Predict is Model.Predict with the mean of the models' probabilities: the
// most probable label, or the first model's fallback label when the mean
// probability is below its threshold (still with that probability).
func (e *Ensemble) Predict(text string) Prediction { return predictMean(e.models, text) }

// predictMean is Predict over the mean of ms's probabilities (ms share one
// label table; ms[0]'s threshold and fallback apply). Model.Predict is its
// one-model case, so the widget's core holds one copy of this code.
func predictMean(ms []*Model, text string) Prediction {
	first := ms[0]
	sum := first.getScratch()
	first.forward(sum, text)
	for _, m := range ms[1:] {
		s := m.getScratch()
		m.forward(s, text)
		for c, p := range s.logits {
			sum.logits[c] += p
		}
		m.pool.put(s)
	}
	best := 0
	for c, p := range sum.logits {
		if p > sum.logits[best] {
			best = c
		}
	}
	p := Prediction{Label: first.labels[best], Score: sum.logits[best]}
	if len(ms) > 1 {
		p.Score /= float32(len(ms))
	}
	if first.fallback >= 0 && p.Score < first.threshold {
		p.Label = first.labels[first.fallback]
	}
	first.pool.put(sum)
	return p
}
