package textmodel

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kefu-io/kefu/models/features"
)

func randomLinear(seed uint64, labels []string) *Weights {
	rng := rand.New(rand.NewPCG(seed, 2))
	f := features.Config{Buckets: 4096, WordNgrams: 2, MinN: 2, MaxN: 4, CJKMaxN: 3, Seed: 3}
	w := &Weights{Task: "test", Features: f, Labels: labels, SqrtPool: true, Unique: true}
	w.Linear = make([]float32, int(f.Buckets)*linearCols(len(labels)))
	for i := range w.Linear {
		w.Linear[i] = float32(rng.NormFloat64())
	}
	w.Bias = make([]float32, len(labels))
	for i := range w.Bias {
		w.Bias[i] = float32(rng.NormFloat64() / 10)
	}
	return w
}

// floatLinear is the reference forward pass of a linear model on
// unquantized weights: the scores before the softmax.
func floatLinear(w *Weights, text string) []float32 {
	ids := w.Features.Append(nil, text)
	if w.Unique {
		slices.Sort(ids)
		ids = slices.Compact(ids)
	}
	cols := linearCols(len(w.Labels))
	sum := make([]float64, cols)
	for _, id := range ids {
		for c := range sum {
			sum[c] += float64(w.Linear[int(id)*cols+c])
		}
	}
	div := 1.0
	if n := float64(len(ids)); n > 0 {
		div = n
		if w.SqrtPool {
			div = math.Sqrt(n)
		}
	}
	out := make([]float32, len(w.Labels))
	for c := range out {
		out[c] = w.Bias[c]
	}
	if cols == 1 {
		out[1] += float32(sum[0] / div)
		return out
	}
	for c := range out {
		out[c] += float32(sum[c] / div)
	}
	return out
}

func TestLinearRoundTripQuantizedAgrees(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels []string
		unique bool
		sqrt   bool
	}{
		{"two labels, one column", []string{"negative", "positive"}, true, true},
		{"four labels", []string{"a", "b", "c", "oos"}, true, true},
		{"mean of all features", []string{"a", "b", "c"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := randomLinear(1, tc.labels)
			w.Unique, w.SqrtPool = tc.unique, tc.sqrt
			data, err := Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if v := binary.LittleEndian.Uint16(data[4:]); v != 2 {
				t.Fatalf("linear model written as format version %d, want 2", v)
			}
			if want := int(w.Features.Buckets) * linearCols(len(tc.labels)); len(data) < want || len(data) > want+200 {
				t.Fatalf("file is %d bytes for %d weights: not one byte per weight", len(data), want)
			}
			m, err := Load(data)
			if err != nil {
				t.Fatal(err)
			}
			if !m.Linear() || m.Dim() != 0 || !slices.Equal(m.Labels(), tc.labels) || m.Features() != w.Features || m.Size() != len(data) {
				t.Fatalf("header did not round-trip: linear %v dim %d %v %+v", m.Linear(), m.Dim(), m.Labels(), m.Features())
			}
			checkQuantized(t, m, func(s string) []float32 { return floatLinear(w, s) })
			again, _ := Marshal(w)
			if !slices.Equal(data, again) {
				t.Fatal("Marshal is not deterministic")
			}
		})
	}
}

func TestBagStillWritesVersion1(t *testing.T) {
	data, err := Marshal(randomWeights(1))
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint16(data[4:]); v != 1 {
		t.Fatalf("embedding bag written as format version %d, want 1 (old readers)", v)
	}
	m, err := Load(data)
	if err != nil || m.Linear() {
		t.Fatalf("bag model: %v, linear %v", err, m != nil && m.Linear())
	}
}

func TestLinearThreshold(t *testing.T) {
	w := randomLinear(2, []string{"a", "b", "oos"})
	w.Fallback, w.Threshold = "oos", 1.01
	data, _ := Marshal(w)
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Predict("where is my order"); p.Label != "oos" {
		t.Fatalf("got %+v, want oos below the threshold", p)
	}
	lower, err := m.WithThreshold(0)
	if err != nil {
		t.Fatal(err)
	}
	if p := lower.Predict("where is my order"); p.Label == "oos" && argmax(floatLinear(w, "where is my order")) != 2 {
		t.Fatalf("WithThreshold(0) lost the linear weights: %+v", p)
	}
}

func TestMarshalRejectsBadLinear(t *testing.T) {
	mutate := []func(*Weights){
		func(w *Weights) { w.Linear = w.Linear[:10] },
		func(w *Weights) { w.Bias = w.Bias[:1] },
		func(w *Weights) { w.Dim = 4 },
		func(w *Weights) { w.Emb = []float32{1} },
		func(w *Weights) { w.Labels = w.Labels[:1]; w.Bias = w.Bias[:1] },
		func(w *Weights) { w.Labels[1] = w.Labels[0] },
		func(w *Weights) { w.Fallback = "nope" },
	}
	for i, f := range mutate {
		w := randomLinear(3, []string{"a", "b", "c"})
		f(w)
		if _, err := Marshal(w); err == nil {
			t.Errorf("case %d: Marshal accepted bad weights", i)
		}
	}
	bag := randomWeights(3)
	bag.Unique = true
	if _, err := Marshal(bag); err == nil {
		t.Error("unique features accepted for an embedding bag")
	}
}

// withCRC recomputes the checksum after an edit, so that the check behind it
// is what refuses the file.
func withCRC(d []byte) []byte {
	return binary.LittleEndian.AppendUint32(d[:len(d)-4], crc32.ChecksumIEEE(d[:len(d)-4]))
}

func TestLoadRefusesDamagedLinear(t *testing.T) {
	data, err := Marshal(randomLinear(4, []string{"a", "b", "c"}))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(d []byte)) []byte {
		d := slices.Clone(data)
		f(d)
		return withCRC(d)
	}
	colsAt := len(data) - 4 - 3*4 - 4096*3 - 3*4 - 2
	tests := []damaged{
		{"header cut", data[:12], ErrTruncated},
		{"cut in labels", data[:30], ErrTruncated},
		{"cut in weights", data[:len(data)/2], ErrTruncated},
		{"last byte missing", data[:len(data)-1], ErrTruncated},
		{"flipped weight", func() []byte { d := slices.Clone(data); d[len(d)/2] ^= 1; return d }(), ErrChecksum},
		{"unknown flag", edit(func(d []byte) { d[8] |= 4 }), ErrVersion},
		{"wrong column count", edit(func(d []byte) { d[colsAt] = 1 }), ErrCorrupt},
		{"NaN scale", edit(func(d []byte) { binary.LittleEndian.PutUint32(d[colsAt+2:], math.Float32bits(float32(math.NaN()))) }), ErrCorrupt},
		{"future format", edit(func(d []byte) { d[4] = FormatVersion + 1 }), ErrVersion},
	}
	checkRefused(t, data, tests)
}
