package textmodel

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kefu-io/kefu/internal/racebuild"
	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/features"
)

func randomWeights(seed uint64) *Weights {
	rng := rand.New(rand.NewPCG(seed, 1))
	f := features.Config{Buckets: 4096, WordNgrams: 2, MinN: 2, MaxN: 4, CJKMaxN: 2, Seed: 3}
	w := &Weights{
		Task: "test", Features: f, Dim: 16,
		Labels: []string{"a", "b", "c", "oos"}, Fallback: "oos", Threshold: 0.3,
	}
	w.Emb = make([]float32, int(f.Buckets)*w.Dim)
	for i := range w.Emb {
		w.Emb[i] = float32(rng.NormFloat64())
	}
	w.Out = make([]float32, len(w.Labels)*w.Dim)
	for i := range w.Out {
		w.Out[i] = float32(rng.NormFloat64())
	}
	w.Bias = []float32{0.1, -0.2, 0.05, 0}
	return w
}

// floatProbs is the reference forward pass on unquantized weights.
func floatProbs(w *Weights, text string) []float32 {
	ids := w.Features.Append(nil, text)
	h := make([]float64, w.Dim)
	for _, id := range ids {
		for j := range h {
			h[j] += float64(w.Emb[int(id)*w.Dim+j])
		}
	}
	for j := range h {
		if len(ids) > 0 {
			if w.SqrtPool {
				h[j] /= math.Sqrt(float64(len(ids)))
			} else {
				h[j] /= float64(len(ids))
			}
		}
	}
	out := make([]float32, len(w.Labels))
	for c := range out {
		z := float64(w.Bias[c])
		for j := range h {
			z += float64(w.Out[c*w.Dim+j]) * h[j]
		}
		out[c] = float32(z)
	}
	return out
}

func argmax(xs []float32) int {
	best := 0
	for i, x := range xs {
		if x > xs[best] {
			best = i
		}
	}
	return best
}

var sample = func() []string {
	words := []string{"where", "is", "my", "order", "refund", "cancel", "size", "coupon", "我的", "订单", "到哪了", "退款", "Bestellung", "remboursement", "заказ", "注文", "주문", "طلب", "!", "?", "😡"}
	rng := rand.New(rand.NewPCG(9, 9))
	out := make([]string, 1000)
	for i := range out {
		n := 1 + rng.IntN(8)
		s := ""
		for k := 0; k < n; k++ {
			s += words[rng.IntN(len(words))] + " "
		}
		out[i] = s
	}
	return out
}()

func TestRoundTripQuantizedAgrees(t *testing.T) {
	for _, sqrt := range []bool{false, true} {
		w := randomWeights(1)
		w.SqrtPool = sqrt
		testRoundTrip(t, w)
	}
}

func testRoundTrip(t *testing.T, w *Weights) {
	data, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Task() != "test" || !slices.Equal(m.Labels(), w.Labels) || m.Dim() != 16 || m.Features() != w.Features || m.Size() != len(data) {
		t.Fatalf("header did not round-trip: %q %v %d %+v", m.Task(), m.Labels(), m.Dim(), m.Features())
	}
	if th, fb, ok := m.Threshold(); !ok || fb != "oos" || th != 0.3 {
		t.Fatalf("threshold: %v %q %v", th, fb, ok)
	}
	checkQuantized(t, m, func(s string) []float32 { return floatProbs(w, s) })
	again, _ := Marshal(w)
	if !slices.Equal(data, again) {
		t.Fatal("Marshal is not deterministic")
	}
}

func TestPredictThresholdAndTopK(t *testing.T) {
	w := randomWeights(2)
	w.Threshold = 1.01 // every prediction is below it
	data, _ := Marshal(w)
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Predict("where is my order"); p.Label != "oos" || p.Score <= 0 || p.Score > 1 {
		t.Fatalf("got %+v, want oos with the best probability", p)
	}
	top := m.PredictTopK("where is my order", 10)
	if len(top) != 4 || top[0].Score < top[1].Score || top[1].Score < top[2].Score {
		t.Fatalf("top-k not sorted or wrong size: %+v", top)
	}
	if len(m.PredictTopK("x", -1)) != 0 {
		t.Fatal("negative k should give nothing")
	}
	if p := m.Predict(""); p.Label == "" {
		t.Fatal("empty text must still predict a label")
	}
}

func TestMarshalRejectsBadWeights(t *testing.T) {
	mutate := []func(*Weights){
		func(w *Weights) { w.Dim = 0 },
		func(w *Weights) { w.Labels = w.Labels[:1]; w.Out = w.Out[:w.Dim]; w.Bias = w.Bias[:1]; w.Fallback = "" },
		func(w *Weights) { w.Emb = w.Emb[:10] },
		func(w *Weights) { w.Out = w.Out[:10] },
		func(w *Weights) { w.Bias = w.Bias[:1] },
		func(w *Weights) { w.Labels[1] = w.Labels[0] },
		func(w *Weights) { w.Labels[1] = "" },
		func(w *Weights) { w.Fallback = "nope" },
		func(w *Weights) { w.Features.Buckets = 0 },
	}
	for i, f := range mutate {
		w := randomWeights(3)
		f(w)
		if _, err := Marshal(w); err == nil {
			t.Errorf("case %d: Marshal accepted bad weights", i)
		}
	}
}

func TestLoadRefusesDamage(t *testing.T) {
	data, err := Marshal(randomWeights(4))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		d := slices.Clone(data)
		d[i] ^= 0x40
		return d
	}
	tests := []damaged{
		{"empty", nil, ErrNotModel},
		{"not a model", []byte("hello world, not a model at all"), ErrNotModel},
		{"magic only", data[:4], ErrTruncated},
		{"half magic", data[:2], ErrTruncated},
		{"header cut", data[:12], ErrTruncated},
		{"cut in labels", data[:40], ErrTruncated},
		{"cut in embedding", data[:len(data)/2], ErrTruncated},
		{"last byte missing", data[:len(data)-1], ErrTruncated},
		{"flipped weight", flip(len(data) / 2), ErrChecksum},
		{"flipped checksum", flip(len(data) - 1), ErrChecksum},
		{"future format", func() []byte { d := slices.Clone(data); d[4] = 9; return d }(), ErrVersion},
		{"other featurizer", func() []byte { d := slices.Clone(data); d[6] = 9; return d }(), ErrVersion},
		{"unknown flag", func() []byte { d := slices.Clone(data); d[8] = 2; return d }(), ErrChecksum},
		{"trailing garbage", append(slices.Clone(data), 1, 2, 3, 4, 5), ErrChecksum},
	}
	checkRefused(t, data, tests)
}

func TestArtifactsLoad(t *testing.T) {
	for name, blob := range map[string][]byte{"intent": artifacts.Intent(), "sentiment": artifacts.Sentiment(), "langid": artifacts.LangID(), "anger": artifacts.Anger()} {
		m, err := Load(blob)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Task() != name {
			t.Errorf("%s artifact says task %q", name, m.Task())
		}
		if m.Size() > 1<<20 {
			t.Errorf("%s artifact is %d bytes, browser budget is 1 MiB", name, m.Size())
		}
	}
}

func TestPredictNoAllocs(t *testing.T) {
	if racebuild.Enabled {
		t.Skip("-race makes sync.Pool drop scratch buffers; make test runs this without -race")
	}
	// langid is an embedding bag, sentiment a linear model (format 2)
	for name, blob := range map[string][]byte{"langid": artifacts.LangID(), "sentiment": artifacts.Sentiment()} {
		m, err := Load(blob)
		if err != nil {
			t.Fatal(err)
		}
		m.Predict("warm up")
		if n := testing.AllocsPerRun(100, func() { m.Predict("Wo ist meine Bestellung? 物流太慢了，包装也破了") }); n > 0 {
			t.Fatalf("%s: %v allocations per Predict, want 0", name, n)
		}
	}
}

func FuzzLoad(f *testing.F) {
	data, _ := Marshal(randomWeights(5))
	f.Add(data)
	f.Add(data[:100])
	lin, _ := Marshal(randomLinear(5, []string{"a", "b"}))
	f.Add(lin)
	hid, _ := Marshal(randomHidden(5, 4, true))
	f.Add(hid)
	f.Add([]byte("KMOD"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(b)
		if err == nil {
			m.Predict("hello 你好")
		}
	})
}

func BenchmarkPredict(b *testing.B) {
	msgs := map[string]string{
		"intent":    "hi, I ordered shoes last week and they still haven't arrived, where is my order?",
		"sentiment": "物流太慢了，等了一个星期才到，包装也破了，很失望",
		"langid":    "Wo ist meine Bestellung? Ich warte seit zehn Tagen.",
		"anger":     "This is RIDICULOUS, still no refund!!! I'll report you",
	}
	for name, blob := range map[string][]byte{"intent": artifacts.Intent(), "sentiment": artifacts.Sentiment(), "langid": artifacts.LangID(), "anger": artifacts.Anger()} {
		m, err := Load(blob)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				m.Predict(msgs[name])
			}
		})
	}
}

// checkQuantized fails t unless m's probabilities sum to 1 on every text of
// sample and its top label agrees with float's (the unquantized weights) on
// at least 99% of them.
func checkQuantized(t *testing.T, m *Model, float func(string) []float32) {
	t.Helper()
	agree := 0
	var probs []float32
	for _, s := range sample {
		probs = m.Probs(probs, s)
		if argmax(probs) == argmax(float(s)) {
			agree++
		}
		var sum float32
		for _, p := range probs {
			sum += p
		}
		if math.Abs(float64(sum-1)) > 1e-4 {
			t.Fatalf("probabilities sum to %v", sum)
		}
	}
	if rate := float64(agree) / float64(len(sample)); rate < 0.99 {
		t.Fatalf("quantized agrees with float on %.1f%% of the sample, want >= 99%%", 100*rate)
	}
}

// damaged is a model file Load must refuse with want.
type damaged struct {
	name string
	data []byte
	want error
}

// checkRefused fails t unless Load refuses each of tests with its error (and
// a message), and refuses data cut at every 499th byte.
func checkRefused(t *testing.T, data []byte, tests []damaged) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Load(tt.data)
			if m != nil || !errors.Is(err, tt.want) {
				t.Fatalf("got %v, %v; want error %v", m, err, tt.want)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
		})
	}
	for n := 0; n < len(data); n += 499 {
		if _, err := Load(data[:n]); err == nil {
			t.Fatalf("truncated to %d bytes but loaded", n)
		}
	}
}
