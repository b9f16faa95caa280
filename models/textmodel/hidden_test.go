package textmodel

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kefu-io/kefu/internal/racebuild"
)

// randomHidden is a bag model with a hidden layer of width hid.
func randomHidden(seed uint64, hid int, tanh bool) *Weights {
	w := randomWeights(seed)
	rng := rand.New(rand.NewPCG(seed, 3))
	w.Hidden = make([]float32, hid*w.Dim)
	for i := range w.Hidden {
		w.Hidden[i] = float32(rng.NormFloat64() / 4)
	}
	w.HiddenBias = make([]float32, hid)
	for i := range w.HiddenBias {
		w.HiddenBias[i] = float32(rng.NormFloat64() / 10)
	}
	w.Out = make([]float32, len(w.Labels)*hid)
	for i := range w.Out {
		w.Out[i] = float32(rng.NormFloat64())
	}
	w.Tanh = tanh
	return w
}

// floatHidden is the reference forward pass of a hidden-layer model on
// unquantized weights: the scores before the softmax.
func floatHidden(w *Weights, text string) []float32 {
	ids := w.Features.Append(nil, text)
	h := make([]float64, w.Dim)
	for _, id := range ids {
		for j := range h {
			h[j] += float64(w.Emb[int(id)*w.Dim+j])
		}
	}
	if n := float64(len(ids)); n > 0 {
		div := n
		if w.SqrtPool {
			div = math.Sqrt(n)
		}
		for j := range h {
			h[j] /= div
		}
	}
	hid := len(w.HiddenBias)
	a := make([]float64, hid)
	for k := range a {
		z := float64(w.HiddenBias[k])
		for j := range h {
			z += float64(w.Hidden[k*w.Dim+j]) * h[j]
		}
		if w.Tanh {
			z = math.Tanh(z)
		} else {
			z = math.Max(z, 0)
		}
		a[k] = z
	}
	out := make([]float32, len(w.Labels))
	for c := range out {
		z := float64(w.Bias[c])
		for k := range a {
			z += float64(w.Out[c*hid+k]) * a[k]
		}
		out[c] = float32(z)
	}
	return out
}

func TestHiddenRoundTripQuantizedAgrees(t *testing.T) {
	for _, tc := range []struct {
		name string
		hid  int
		tanh bool
		sqrt bool
	}{
		{"relu", 32, false, false},
		{"tanh, sqrt pooling", 24, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := randomHidden(1, tc.hid, tc.tanh)
			w.SqrtPool = tc.sqrt
			data, err := Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if v := binary.LittleEndian.Uint16(data[4:]); v != 3 {
				t.Fatalf("hidden-layer model written as format version %d, want 3", v)
			}
			m, err := Load(data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Linear() || m.Dim() != w.Dim || m.Hidden() != tc.hid || !slices.Equal(m.Labels(), w.Labels) || m.Features() != w.Features || m.Size() != len(data) {
				t.Fatalf("header did not round-trip: dim %d hidden %d %v %+v", m.Dim(), m.Hidden(), m.Labels(), m.Features())
			}
			if th, fb, ok := m.Threshold(); !ok || fb != "oos" || th != 0.3 {
				t.Fatalf("threshold: %v %q %v", th, fb, ok)
			}
			checkQuantized(t, m, func(s string) []float32 { return floatHidden(w, s) })
			// the activation matters: the other one must disagree somewhere
			other := *w
			other.Tanh = !w.Tanh
			differ := 0
			for _, s := range sample {
				if argmax(floatHidden(&other, s)) != argmax(floatHidden(w, s)) {
					differ++
				}
			}
			if differ == 0 {
				t.Fatal("ReLU and tanh give the same predictions: the test cannot tell them apart")
			}
			lower, err := m.WithThreshold(0)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := lower.Probs(nil, "where is my order"), m.Probs(nil, "where is my order"); !slices.Equal(a, b) {
				t.Fatalf("WithThreshold lost the hidden layer: %v vs %v", a, b)
			}
			again, _ := Marshal(w)
			if !slices.Equal(data, again) {
				t.Fatal("Marshal is not deterministic")
			}
		})
	}
}

func TestMarshalRejectsBadHidden(t *testing.T) {
	mutate := []func(*Weights){
		func(w *Weights) { w.Hidden = w.Hidden[:10] },
		func(w *Weights) { w.HiddenBias = nil },
		func(w *Weights) { w.Out = make([]float32, len(w.Labels)*w.Dim) }, // output sized for the bag, not the hidden layer
		func(w *Weights) { w.Linear = []float32{1} },
	}
	for i, f := range mutate {
		w := randomHidden(3, 8, false)
		f(w)
		if _, err := Marshal(w); err == nil {
			t.Errorf("case %d: Marshal accepted bad weights", i)
		}
	}
	bag := randomWeights(3)
	bag.Tanh = true
	if _, err := Marshal(bag); err == nil {
		t.Error("tanh accepted without a hidden layer")
	}
}

func TestLoadRefusesDamagedHidden(t *testing.T) {
	data, err := Marshal(randomHidden(4, 8, false))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(d []byte)) []byte {
		d := slices.Clone(data)
		f(d)
		return withCRC(d)
	}
	// header: magic 4, versions 4, flags 2, task 2+4, features 12, dim 2, hidden 2
	hiddenAt := 4 + 4 + 2 + 2 + len("test") + 12 + 2
	tests := []damaged{
		{"header cut", data[:12], ErrTruncated},
		{"cut in hidden layer", data[:len(data)-200], ErrTruncated},
		{"last byte missing", data[:len(data)-1], ErrTruncated},
		{"flipped weight", func() []byte { d := slices.Clone(data); d[len(d)-150] ^= 1; return d }(), ErrChecksum},
		{"unique flag", edit(func(d []byte) { d[8] |= flagUnique }), ErrVersion},
		{"zero hidden width", edit(func(d []byte) { binary.LittleEndian.PutUint16(d[hiddenAt:], 0) }), ErrCorrupt},
		{"wider hidden than stored", edit(func(d []byte) { binary.LittleEndian.PutUint16(d[hiddenAt:], 9) }), ErrTruncated},
		{"future format", edit(func(d []byte) { d[4] = FormatVersion + 1 }), ErrVersion},
	}
	checkRefused(t, data, tests)
	// a version-1 file with the tanh flag is refused: the flag is version 3's
	bag, _ := Marshal(randomWeights(4))
	bag[8] |= flagTanh
	if _, err := Load(withCRC(bag)); !errors.Is(err, ErrVersion) {
		t.Fatalf("bag with the tanh flag: %v, want ErrVersion", err)
	}
}

// BenchmarkPredictHidden times hidden-layer models of the shapes reported
// in models/RESULTS.md — BANKING77 (dim 64, 256 hidden units, 77 labels)
// and CLINC150 (dim 32, 256 hidden units, 151 labels) — on an intent-length
// message; the bucket count does not change the work per message.
func BenchmarkPredictHidden(b *testing.B) {
	for _, shape := range []struct {
		name                string
		dim, hidden, labels int
	}{{"banking77", 64, 256, 77}, {"clinc150", 32, 256, 151}} {
		b.Run(shape.name, func(b *testing.B) {
			m := randomHiddenModel(b, shape.dim, shape.hidden, shape.labels)
			for b.Loop() {
				m.Predict("I have been waiting over a week. Is the card still coming?")
			}
		})
	}
}

// randomHiddenModel loads a hidden-layer model of the given shape with
// random weights.
func randomHiddenModel(b *testing.B, dim, hidden, nl int) *Model {
	labels := make([]string, nl)
	for i := range labels {
		labels[i] = "l" + itoa(i)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	w := randomWeights(7)
	w.Labels, w.Fallback, w.Dim = labels, "", dim
	norm := func(n int) []float32 {
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(rng.NormFloat64())
		}
		return out
	}
	w.Emb, w.Hidden, w.HiddenBias, w.Out, w.Bias = norm(int(w.Features.Buckets)*dim), norm(hidden*dim), norm(hidden), norm(nl*hidden), norm(nl)
	data, err := Marshal(w)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Load(data)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func TestPredictHiddenNoAllocs(t *testing.T) {
	if racebuild.Enabled {
		t.Skip("-race makes sync.Pool drop scratch buffers; make test runs this without -race")
	}
	data, err := Marshal(randomHidden(6, 32, false))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	m.Predict("warm up")
	if n := testing.AllocsPerRun(100, func() { m.Predict("Wo ist meine Bestellung? 物流太慢了") }); n > 0 {
		t.Fatalf("%v allocations per Predict, want 0", n)
	}
}
