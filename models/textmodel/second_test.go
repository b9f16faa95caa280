package textmodel

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// withSecond gives w a random second head of three labels.
func withSecond(w *Weights, seed uint64) *Weights {
	rng := rand.New(rand.NewPCG(seed, 2))
	h := &Head{Task: "langid", Labels: []string{"en", "fr", "zh"}, Bias: []float32{0.2, 0, -0.1}}
	h.Out = make([]float32, len(h.Labels)*w.Dim)
	for i := range h.Out {
		h.Out[i] = float32(rng.NormFloat64())
	}
	w.Second = h
	return w
}

// TestSecondHeadRoundTrip: a two-head file loads as a model of the first
// task whose Second is the other task over the same embedding, each head
// agreeing with its float forward pass; Weights writes it again unchanged.
func TestSecondHeadRoundTrip(t *testing.T) {
	w := withSecond(randomWeights(21), 5)
	w.Bits, w.KeepRows = 4, 0
	data, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	s := m.Second()
	if s == nil || s.Task() != "langid" || !slices.Equal(s.Labels(), w.Second.Labels) || s.Dim() != w.Dim || s.Size() != len(data) {
		t.Fatalf("second head %+v did not round-trip", s)
	}
	if _, _, ok := s.Threshold(); ok {
		t.Fatal("second head has a threshold it was not given")
	}
	if m.Head("test") != m || m.Head("langid") != s || m.Head("intent") != nil {
		t.Fatal("Head does not pick the head by task")
	}
	// the quantized second head agrees with the float one (the first head
	// is what TestCompactRoundTrip checks)
	one := *w
	one.Emb = m.Weights().Emb // the embedding as stored
	sw := &Weights{Task: "langid", Features: w.Features, Dim: w.Dim, Labels: w.Second.Labels, Emb: one.Emb, Out: w.Second.Out, Bias: w.Second.Bias}
	agree := 0
	for _, text := range sample {
		if argmax(floatProbs(sw, text)) == argmax(s.Probs(nil, text)) {
			agree++
		}
	}
	if rate := float64(agree) / float64(len(sample)); rate < 0.97 {
		t.Fatalf("second head agrees with its float pass on %.1f%% of the sample, want >= 97%%", 100*rate)
	}
	rw := m.Weights()
	rw.Bits = w.Bits
	again, err := Marshal(rw)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Load(again)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Second() == nil {
		t.Fatal("rewritten model lost its second head")
	}
	same := 0
	for _, text := range sample {
		if m2.Second().Predict(text).Label == s.Predict(text).Label {
			same++
		}
	}
	if rate := float64(same) / float64(len(sample)); rate < 0.97 {
		t.Fatalf("rewritten second head agrees on %.1f%% of the sample, want >= 97%%", 100*rate)
	}
	th, err := m.WithThreshold(0.5)
	if err != nil || th.Second() != s {
		t.Fatalf("WithThreshold lost the second head: %v", err)
	}
}

// TestMarshalRejectsBadSecond: a second head needs the compact layout, no
// hidden layer and well-formed labels and sizes.
func TestMarshalRejectsBadSecond(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(w *Weights)
	}{
		{"plain layout", func(w *Weights) { w.Bits = 8 }},
		{"hidden layer", func(w *Weights) {
			h := randomHidden(3, 8, false)
			h.Bits, h.Second = 4, w.Second
			*w = *h
		}},
		{"one label", func(w *Weights) {
			w.Second.Labels, w.Second.Out, w.Second.Bias = w.Second.Labels[:1], w.Second.Out[:w.Dim], w.Second.Bias[:1]
		}},
		{"duplicate label", func(w *Weights) { w.Second.Labels[1] = "en" }},
		{"output size", func(w *Weights) { w.Second.Out = w.Second.Out[1:] }},
		{"fallback not a label", func(w *Weights) { w.Second.Fallback = "xx" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := withSecond(randomWeights(3), 3)
			w.Bits = 2
			tc.edit(w)
			if _, err := Marshal(w); !errors.Is(err, ErrWeights) {
				t.Fatalf("got %v, want ErrWeights", err)
			}
		})
	}
}

// TestSecondHeadRefusesDamage: the second-head flag outside format 4, a
// second head with too few labels, and truncation are refused.
func TestSecondHeadRefusesDamage(t *testing.T) {
	w := withSecond(randomWeights(13), 7)
	w.Bits, w.KeepRows = 2, 200
	data, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	plain := randomWeights(13)
	one, err := Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	set := func(d []byte, f func(d []byte)) []byte {
		d = slices.Clone(d)
		f(d)
		return withCRC(d)
	}
	// the second head's label count follows the first head's bias and the
	// second task's name (2 + len("langid"))
	at := len(data) - 4 - (4*3 + 3*w.Dim + 4*3) - 4 - 2 - 3*(2+2) - 2
	checkRefused(t, data, []damaged{
		{"flag on format 1", set(one, func(d []byte) { d[8] |= flagSecond }), ErrVersion},
		{"one label", set(data, func(d []byte) { d[at], d[at+1] = 1, 0 }), ErrCorrupt},
		{"flag cleared", set(data, func(d []byte) { d[8] &^= flagSecond }), ErrCorrupt},
		{"checksum", append(slices.Clone(data[:len(data)-1]), data[len(data)-1]^1), ErrChecksum},
	})
}
