// Package textmodel runs the compact text classifiers shipped with kefu
// (intent, sentiment, language id). It is pure Go inference over exported,
// int8-quantized weights and does not import spago, fmt or encoding/json, so
// the same package runs natively in central and inside the widget's
// GOOS=js WASM binary.
//
// A model is a fastText-style embedding bag: the hashed features of a text
// (package models/features) select rows of an embedding table, their mean is
// multiplied by an output matrix and a softmax gives class probabilities.
// Cost per message: one pass over the text plus Dim×Labels multiply-adds.
//
// A model can also be wide and linear (format version 2): each hashed
// feature has its own int8 weight per label (one weight for two labels) and
// the scores are the features' weights summed and divided by √n, with no
// embedding in between. For two labels an embedding bag is already linear
// in the pooled features; the wide model spends the bytes on more buckets
// instead of per-row scales and an embedding width.
//
// A bag model can also have a hidden layer (format version 3, meant for
// server-side use): the pooled vector goes through Hidden×Dim weights and a
// ReLU (or tanh) before the output layer.
//
// A compact bag (format version 4) can carry a second output head over the
// same features and embedding, trained jointly for another task (kefu model
// train intent+langid): Model.Second returns it as a model of its own.
package textmodel

import (
	"errors"
	"math"
	"math/bits"
	"slices"
	"sort"
	"sync"

	"github.com/kefu-io/kefu/internal/keysort"
	"github.com/kefu-io/kefu/models/features"
)

// Prediction is the best label of a text and its probability.
type Prediction struct {
	Label string
	Score float32
}

// Model is a loaded classifier. It is immutable and safe for concurrent use.
type Model struct {
	task      string
	feat      features.Config
	dim       int
	labels    []string
	fallback  int // index of the label used below threshold, or -1
	sqrtPool  bool
	threshold float32
	embScale  []float32 // per bucket
	emb       []byte    // Buckets×Dim int8 (stored as bytes, not copied)
	// signs, when the embedding's values are all -1, 0 or 1 (2-bit
	// compact files) and a row has at most 64, holds each row's bit mask
	// of its +1 values and of its -1 values (two words a row): the bag
	// adds or subtracts the row scale at the set bits instead of
	// converting and multiplying every value.
	signs    []uint64
	outScale []float32 // per label
	out      []byte    // Labels×Dim int8
	// outQ is out as float32 (the int8 values, unscaled) for the bag's
	// head: the same products without a conversion per weight.
	outQ []float32
	bias []float32
	// linear models (format version 2)
	unique   bool      // each distinct feature counts once
	cols     int       // weight columns: labels, or 1 for two labels; 0 for a bag
	linScale []float32 // per column
	lin      []byte    // Buckets×cols int8
	// hidden layer (format version 3); the output layer is then Labels×hidden
	hidden   int
	tanh     bool
	hidScale []float32 // per hidden unit
	hid      []byte    // hidden×Dim int8
	hidBias  []float32
	// hidF and outF are the hidden and output layers of a version-3 model
	// dequantized once at Load (a few hundred KB): the two matrix products
	// are most of its time per message.
	hidF []float32
	outF []float32
	size int
	pool scratchPool
	// second is the second head of a two-head file (format 4, flag bit
	// 3): the same features and embedding, its own labels and output.
	second *Model
}

// Second returns the model's second head, a model of its own task over the
// same features and embedding table (e.g. language id beside intent), or
// nil when the file has one head. Its Size is the whole file's.
func (m *Model) Second() *Model { return m.second }

// Head returns the head of m whose task is task (m itself or its second
// head), or nil when neither is.
func (m *Model) Head(task string) *Model {
	switch {
	case m.task == task:
		return m
	case m.second != nil && m.second.task == task:
		return m.second
	}
	return nil
}

// scratchPool keeps the buffers of finished predictions for the next ones:
// a mutex and a short list rather than sync.Pool, whose per-P queues are
// ~12 KB of the browser core's WebAssembly (one thread there; on a server
// the lock is held for a slice append).
type scratchPool struct {
	mu   sync.Mutex
	free []*scratch
}

func (p *scratchPool) get() *scratch {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	s := p.free[n-1]
	p.free = p.free[:n-1]
	return s
}

// put keeps s unless 64 are kept already.
func (p *scratchPool) put(s *scratch) {
	p.mu.Lock()
	if len(p.free) < 64 {
		p.free = append(p.free, s)
	}
	p.mu.Unlock()
}

type scratch struct {
	ids    []uint32
	hidden []float32
	act    []float32 // hidden-layer activations (format version 3)
	logits []float32
}

// Task returns the task name recorded in the file (intent, sentiment, langid…).
func (m *Model) Task() string { return m.task }

// Labels returns the label table in model order. The slice is a copy.
func (m *Model) Labels() []string { return append([]string(nil), m.labels...) }

// Features returns the featurizer settings the model was trained with.
func (m *Model) Features() features.Config { return m.feat }

// Dim returns the embedding width; 0 for a linear model.
func (m *Model) Dim() int { return m.dim }

// Hidden returns the width of the hidden layer; 0 when the model has none.
func (m *Model) Hidden() int { return m.hidden }

// Linear reports whether m is a wide linear model rather than an embedding
// bag.
func (m *Model) Linear() bool { return m.cols > 0 }

// Size returns the size in bytes of the encoded model.
func (m *Model) Size() int { return m.size }

// Threshold returns the out-of-scope threshold and the fallback label it
// selects; ok is false when the model has none.
func (m *Model) Threshold() (threshold float32, fallback string, ok bool) {
	if m.fallback < 0 {
		return 0, "", false
	}
	return m.threshold, m.labels[m.fallback], true
}

func (m *Model) getScratch() *scratch {
	if s := m.pool.get(); s != nil {
		return s
	}
	return &scratch{
		ids:    make([]uint32, 0, 256),
		hidden: make([]float32, max(m.dim, m.cols)),
		act:    make([]float32, m.hidden),
		logits: make([]float32, len(m.labels)),
	}
}

// Probs writes the class probabilities of text into dst (grown to
// len(Labels())) in label order and returns it. No threshold is applied.
func (m *Model) Probs(dst []float32, text string) []float32 {
	s := m.getScratch()
	m.forward(s, text)
	dst = append(dst[:0], s.logits...)
	m.pool.put(s)
	return dst
}

// forward leaves the softmax probabilities in s.logits.
func (m *Model) forward(s *scratch, text string) {
	s.ids = m.feat.Append(s.ids[:0], text)
	if m.cols > 0 {
		m.linearScores(s)
		softmax(s.logits)
		return
	}
	h := s.hidden
	for i := range h {
		h[i] = 0
	}
	m.bag(h, s.ids)
	if n := len(s.ids); n > 0 {
		inv := 1 / float32(n)
		if m.sqrtPool {
			inv = 1 / float32(math.Sqrt(float64(n)))
		}
		for j := range h {
			h[j] *= inv
		}
	}
	if m.hidden > 0 {
		m.hiddenScores(s, h)
		return
	}
	m.head(s.logits, h)
	softmax(s.logits)
}

// bag adds the embedding rows of ids into h (zeroed by the caller).
//
//go:noinline
func (m *Model) bag(h []float32, ids []uint32) {
	d := m.dim
	if m.signs != nil {
		// q is -1, 0 or 1: h[j] += q×sc is h[j] ± sc, and adding 0×sc
		// (+0) leaves h[j] as it is (h[j] is never -0), so the sums are
		// bit for bit those of the loop below
		for _, id := range ids {
			sc := m.embScale[id]
			for b := m.signs[2*id]; b != 0; b &= b - 1 {
				h[bits.TrailingZeros64(b)] += sc
			}
			for b := m.signs[2*id+1]; b != 0; b &= b - 1 {
				h[bits.TrailingZeros64(b)] -= sc
			}
		}
	} else {
		for _, id := range ids {
			row := m.emb[int(id)*d : int(id)*d+d]
			sc := m.embScale[id]
			for j, q := range row {
				h[j] += float32(int8(q)) * sc
			}
		}
	}
}

// head writes the output layer's scores of the pooled bag h into logits.
// Four labels are summed at a time, each in the order of j, so each dot
// product is the one a label alone gives, with h read once for four.
//
//go:noinline
func (m *Model) head(logits, h []float32) {
	d := m.dim
	h = h[:d]
	w := m.outQ
	c := 0
	for ; c+4 <= len(logits); c += 4 {
		r0 := w[c*d : c*d+d]
		r1 := w[(c+1)*d : (c+1)*d+d]
		r2 := w[(c+2)*d : (c+2)*d+d]
		r3 := w[(c+3)*d : (c+3)*d+d]
		var d0, d1, d2, d3 float32
		for j, x := range h {
			d0 += r0[j] * x
			d1 += r1[j] * x
			d2 += r2[j] * x
			d3 += r3[j] * x
		}
		logits[c] = d0*m.outScale[c] + m.bias[c]
		logits[c+1] = d1*m.outScale[c+1] + m.bias[c+1]
		logits[c+2] = d2*m.outScale[c+2] + m.bias[c+2]
		logits[c+3] = d3*m.outScale[c+3] + m.bias[c+3]
	}
	for ; c < len(logits); c++ {
		row := w[c*d : c*d+d]
		var dot float32
		for j, x := range h {
			dot += row[j] * x
		}
		logits[c] = dot*m.outScale[c] + m.bias[c]
	}
}

// ternaryMasks returns the signs table of an embedding whose values are
// all -1, 0 or 1 and whose rows have at most 64 values, else nil.
//
//go:noinline
func ternaryMasks(emb []byte, dim int) []uint64 {
	if dim < 1 || dim > 64 {
		return nil
	}
	masks := make([]uint64, 2*(len(emb)/dim))
	for i, q := range emb {
		r, j := i/dim, uint(i%dim)
		switch q {
		case 0:
		case 1:
			masks[2*r] |= 1 << j
		case 0xff:
			masks[2*r+1] |= 1 << j
		default:
			return nil
		}
	}
	return masks
}

// unscaled returns q's int8 values as float32.
//
//go:noinline
func unscaled(q []byte) []float32 {
	out := make([]float32, len(q))
	for i, v := range q {
		out[i] = float32(int8(v))
	}
	return out
}

// hiddenScores leaves the softmax probabilities of a hidden-layer model in
// s.logits, from the pooled bag h.
func (m *Model) hiddenScores(s *scratch, h []float32) {
	d := m.dim
	for k := range s.act {
		row := m.hidF[k*d : k*d+d]
		z := m.hidBias[k]
		for j, v := range row {
			z += v * h[j]
		}
		if m.tanh {
			z = float32(math.Tanh(float64(z)))
		} else if z < 0 {
			z = 0
		}
		s.act[k] = z
	}
	n := m.hidden
	for c := range s.logits {
		row := m.outF[c*n : c*n+n]
		z := m.bias[c]
		for k, v := range row {
			z += v * s.act[k]
		}
		s.logits[c] = z
	}
	softmax(s.logits)
}

// dequantize returns rows×dim int8 values times their row scales. Never
// inlined, like the reader's methods (see reader).
//
//go:noinline
func dequantize(q []byte, scales []float32, dim int) []float32 {
	out := make([]float32, len(q))
	for i, v := range q {
		out[i] = float32(int8(v)) * scales[i/dim]
	}
	return out
}

// linearScores leaves the scores of a linear model in s.logits.
func (m *Model) linearScores(s *scratch) {
	ids := s.ids
	if m.unique {
		keysort.Sort(ids)
		ids = slices.Compact(ids)
	}
	inv := float32(1)
	if n := len(ids); n > 0 {
		inv = 1 / float32(n)
		if m.sqrtPool {
			inv = 1 / float32(math.Sqrt(float64(n)))
		}
	}
	copy(s.logits, m.bias)
	if m.cols == 1 {
		var sum int32
		for _, id := range ids {
			sum += int32(int8(m.lin[id]))
		}
		s.logits[1] += float32(sum) * m.linScale[0] * inv
		return
	}
	c := m.cols
	for k := range s.hidden {
		s.hidden[k] = 0
	}
	for _, id := range ids {
		row := m.lin[int(id)*c : int(id)*c+c]
		for k, q := range row {
			s.hidden[k] += float32(int8(q))
		}
	}
	for k := range s.logits {
		s.logits[k] += s.hidden[k] * m.linScale[k] * inv
	}
}

// softmax turns scores into probabilities in place.
func softmax(z []float32) {
	maxZ := float32(math.Inf(-1))
	for _, v := range z {
		// max(maxZ, v) without its call in WebAssembly: NaN wins as
		// there; where max would pick +0 over -0 the exponentials below
		// are the same (exp(±0) = 1, v - ±0 = v otherwise)
		if v > maxZ || v != v {
			maxZ = v
		}
	}
	var sum float32
	for c, v := range z {
		e := expf32(v - maxZ)
		z[c] = e
		sum += e
	}
	for c := range z {
		z[c] /= sum
	}
}

// Predict returns the most probable label of text. When the model has an
// out-of-scope threshold and the best probability is below it, the fallback
// label (e.g. "oos") is returned instead, still with the best probability so
// that callers see how unsure the model was.
func (m *Model) Predict(text string) Prediction {
	one := [1]*Model{m}
	return predictMean(one[:], text)
}

// PredictTopK returns the k most probable labels of text, best first, with
// their probabilities. No threshold is applied.
func (m *Model) PredictTopK(text string, k int) []Prediction {
	s := m.getScratch()
	m.forward(s, text)
	if k > len(m.labels) {
		k = len(m.labels)
	}
	if k < 0 {
		k = 0
	}
	idx := make([]int, len(m.labels))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.logits[idx[a]] > s.logits[idx[b]] })
	out := make([]Prediction, k)
	for i := range out {
		out[i] = Prediction{Label: m.labels[idx[i]], Score: s.logits[idx[i]]}
	}
	m.pool.put(s)
	return out
}

// ErrNoFallback reports WithThreshold on a model without a fallback label.
var ErrNoFallback = errors.New("textmodel: model has no out-of-scope label")

// WithThreshold returns a copy of m that falls back below threshold instead
// of the threshold stored in the file (0 never falls back). It is for
// evaluation; the weights are shared.
func (m *Model) WithThreshold(threshold float32) (*Model, error) {
	if m.fallback < 0 {
		return nil, ErrNoFallback
	}
	c := &Model{
		task: m.task, feat: m.feat, dim: m.dim, sqrtPool: m.sqrtPool, labels: m.labels, fallback: m.fallback, threshold: threshold,
		embScale: m.embScale, emb: m.emb, signs: m.signs, outScale: m.outScale, out: m.out, outQ: m.outQ, bias: m.bias, size: m.size,
		unique: m.unique, cols: m.cols, linScale: m.linScale, lin: m.lin,
		hidden: m.hidden, tanh: m.tanh, hidScale: m.hidScale, hid: m.hid, hidBias: m.hidBias, hidF: m.hidF, outF: m.outF,
		second: m.second,
	}
	return c, nil
}
