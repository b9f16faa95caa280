package train

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/nlpodyssey/spago/mat"

	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/features"
	"github.com/kefu-io/kefu/models/textmodel"
)

func tinyConfig() Config {
	return Config{
		Task:     "intent",
		Features: features.Config{Buckets: 8192, WordNgrams: 2, MinN: 3, MaxN: 5, CJKMaxN: 2, Seed: 1},
		Dim:      16, Epochs: 30, LR: 0.02, EmbLR: 0.3, Batch: 4, Seed: 42,
	}
}

func load(t *testing.T, split string) []dataset.Example {
	t.Helper()
	exs, err := dataset.Load("testdata", split, []string{"intent"})
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

func TestTinySliceLearns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	trainSet, testSet := load(t, "train"), load(t, "test")
	res, err := Fit(context.Background(), trainSet, nil, nil, tinyConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if first, last := res.Losses[0], res.Losses[len(res.Losses)-1]; !(last < first/2) {
		t.Fatalf("loss did not fall: first epoch %.4f, last %.4f", first, last)
	}
	data, err := textmodel.Marshal(res.Weights)
	if err != nil {
		t.Fatal(err)
	}
	m, err := textmodel.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for _, ex := range append(trainSet, testSet...) {
		if m.Predict(ex.Text).Label == ex.Label {
			correct++
		}
	}
	// three balanced classes: chance is 1/3
	if acc := float64(correct) / float64(len(trainSet)+len(testSet)); acc < 0.8 {
		t.Fatalf("accuracy %.2f on the slice, want well above chance (0.33)", acc)
	}
}

func TestReproducible(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	bag := tinyConfig()
	bag.Epochs = 3
	exs := load(t, "train")
	for name, cfg := range map[string]Config{"bag": bag, "linear": linearConfig()} {
		t.Run(name, func(t *testing.T) {
			first := fitBlob(t, exs, cfg)
			if again := fitBlob(t, exs, cfg); !slices.Equal(first, again) {
				t.Fatal("same data, config and seed gave different models")
			}
			cfg.Seed++
			if other := fitBlob(t, exs, cfg); slices.Equal(first, other) {
				t.Fatal("a different seed gave the same model")
			}
		})
	}
}

// fitBlob trains cfg on exs and returns the model file.
func fitBlob(t *testing.T, exs []dataset.Example, cfg Config) []byte {
	t.Helper()
	res, err := Fit(context.Background(), exs, nil, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := textmodel.Marshal(res.Weights)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFitErrors(t *testing.T) {
	exs := load(t, "train")
	bad := tinyConfig()
	bad.Dim = 0
	if _, err := Fit(context.Background(), exs, nil, nil, bad, nil); err == nil {
		t.Error("dim 0 accepted")
	}
	if _, err := Fit(context.Background(), exs[:1], nil, nil, tinyConfig(), nil); !errors.Is(err, ErrNoData) {
		t.Errorf("one label: got %v, want ErrNoData", err)
	}
	if _, err := Fit(context.Background(), exs, []string{"greeting", "x"}, nil, tinyConfig(), nil); err == nil {
		t.Error("label outside the table accepted")
	}
	for i, f := range []func(*Config){
		func(c *Config) { c.Hidden = -1 },
		func(c *Config) { c.Smoothing = 1 },
		func(c *Config) { c.Linear, c.Hidden = true, 8 },
		func(c *Config) { c.KeepRows = -1 },
		func(c *Config) { c.RetrainEpochs = 2 }, // retraining without pruning
		func(c *Config) { c.Linear, c.KeepRows = true, 10 },
		func(c *Config) { c.KeepRows, c.RetrainEpochs, c.QuantBits = 10, 1, 8 },
		func(c *Config) { c.KeepRows, c.QuantBits = 10, 2 }, // quantized retraining without retraining epochs
	} {
		c := tinyConfig()
		f(&c)
		if _, err := Fit(context.Background(), exs, nil, nil, c, nil); err == nil {
			t.Errorf("bad config %d accepted", i)
		}
	}
	opt := tinyConfig()
	opt.Optimizer = "sgdx"
	if _, err := Fit(context.Background(), exs, nil, nil, opt, nil); err == nil {
		t.Error("unknown optimizer accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Fit(ctx, exs, nil, nil, tinyConfig(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
}

func TestThresholdChosenOnTune(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	exs := load(t, "train")
	// make greeting play the out-of-scope role
	cfg := tinyConfig()
	cfg.Fallback = "greeting"
	res, err := Fit(context.Background(), exs, nil, load(t, "test"), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Weights.Fallback != "greeting" || res.Weights.Threshold < 0 || res.Weights.Threshold >= 1 {
		t.Fatalf("fallback %q threshold %v", res.Weights.Fallback, res.Weights.Threshold)
	}
	cfg.Fallback = "nope"
	if _, err := Fit(context.Background(), exs, nil, nil, cfg, nil); err == nil {
		t.Fatal("unknown fallback accepted")
	}
}

func TestHiddenLayerLearns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	trainSet, testSet := load(t, "train"), load(t, "test")
	for _, tc := range []struct {
		name      string
		tanh      bool
		smoothing float64
	}{
		{"relu", false, 0},
		{"tanh, label smoothing", true, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.Hidden, cfg.Tanh, cfg.Smoothing = 32, tc.tanh, tc.smoothing
			res, err := Fit(context.Background(), trainSet, nil, nil, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if first, last := res.Losses[0], res.Losses[len(res.Losses)-1]; !(last < first/2) {
				t.Fatalf("loss did not fall: first epoch %.4f, last %.4f", first, last)
			}
			w := res.Weights
			if len(w.HiddenBias) != 32 || len(w.Hidden) != 32*cfg.Dim || len(w.Out) != len(w.Labels)*32 || w.Tanh != tc.tanh {
				t.Fatalf("weights shaped %d/%d/%d, tanh %v", len(w.HiddenBias), len(w.Hidden), len(w.Out), w.Tanh)
			}
			data, err := textmodel.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			m, err := textmodel.Load(data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Hidden() != 32 {
				t.Fatalf("loaded model has hidden width %d", m.Hidden())
			}
			correct := 0
			for _, ex := range append(trainSet, testSet...) {
				if m.Predict(ex.Text).Label == ex.Label {
					correct++
				}
			}
			if acc := float64(correct) / float64(len(trainSet)+len(testSet)); acc < 0.8 {
				t.Fatalf("accuracy %.2f on the slice, want well above chance (0.33)", acc)
			}
		})
	}
}

// TestLossTargets: with label smoothing ε over K labels the target is
// (1−ε)·onehot + ε/K, with a teacher's probabilities q and weight α it is
// (1−α)·onehot + α·q; either way the gradient is softmax − target and the
// loss the cross-entropy against the target.
func TestLossTargets(t *testing.T) {
	soft := []float32{0.1, 0.2, 0.6, 0.1}
	const gold = 1
	for _, tc := range []struct {
		name       string
		eps, alpha float64
		soft       []float32
	}{
		{name: "ε=0"}, {name: "ε=0.1", eps: 0.1}, {name: "ε=0.5", eps: 0.5},
		{name: "α=0", soft: soft}, {name: "α=0.5", alpha: 0.5, soft: soft}, {name: "α=1", alpha: 1, soft: soft},
	} {
		f := &softmaxCE{x: mat.NewDense[float32](mat.WithShape(4), mat.WithBacking([]float32{1, 2, 0.5, -1}), mat.WithGrad(true)),
			gold: gold, smoothing: tc.eps, soft: tc.soft, alpha: tc.alpha}
		loss, err := f.Forward()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Backward(mat.Scalar(float32(1))); err != nil {
			t.Fatal(err)
		}
		g := mat.Data[float32](f.x.Grad())
		var want, sum float64
		for i, p := range f.p {
			target := tc.eps / 4
			if tc.soft != nil {
				target = tc.alpha * float64(tc.soft[i])
			}
			if i == gold {
				target += 1 - tc.eps - tc.alpha
			}
			if math.Abs(float64(g[i])-(p-target)) > 1e-6 {
				t.Fatalf("%s: gradient[%d] = %v, want %v", tc.name, i, g[i], p-target)
			}
			sum += float64(g[i])
			want -= target * math.Log(p)
		}
		if math.Abs(sum) > 1e-6 {
			t.Fatalf("%s: gradient sums to %v", tc.name, sum)
		}
		if got := float64(loss.Item().F64()); math.Abs(got-want) > 1e-5 {
			t.Fatalf("%s: loss %v, want %v", tc.name, got, want)
		}
	}
}

// TestDistillUnlabelled: texts without a label are learnt from the teacher
// alone, so a teacher that calls every text the slice's first label makes
// the student predict it for texts seen only unlabelled; a teacher with
// the wrong number of labels is refused.
func TestDistillUnlabelled(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	trainSet := load(t, "train")
	labels := LabelsOf(trainSet)
	cfg := tinyConfig()
	unseen := []string{"zzqx vvbn", "qqpl wwer", "xxcv bbnm"}
	cfg.Unlabelled = unseen
	cfg.DistillAlpha = 0.5
	gold := map[string]int{}
	for _, ex := range trainSet {
		gold[ex.Text] = slices.Index(labels, ex.Label)
	}
	cfg.Teacher = func(text string) []float32 {
		p := make([]float32, len(labels))
		if slices.Contains(unseen, text) {
			p[0] = 1
		} else {
			p[gold[text]] = 1
		}
		return p
	}
	m, err := textmodel.Load(fitBlob(t, trainSet, cfg))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range unseen {
		if got := m.Predict(text).Label; got != labels[0] {
			t.Errorf("%q: %s, want the teacher's %s", text, got, labels[0])
		}
	}
	cfg.Teacher = func(string) []float32 { return []float32{1} }
	if _, err := Fit(context.Background(), trainSet, labels, nil, cfg, nil); err == nil {
		t.Fatal("a teacher with one probability for several labels was accepted")
	}
}

// TestPruneAndRetrain: with KeepRows the embedding keeps at most that many
// non-zero rows (those of largest norm after the epochs), the retraining
// epochs leave the pruned rows at zero, and the pruned model still learns
// the slice.
func TestPruneAndRetrain(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	trainSet, testSet := load(t, "train"), load(t, "test")
	for _, tc := range []struct{ keep, retrain, bits int }{{300, 0, 0}, {300, 5, 0}, {300, 5, 2}} {
		cfg := tinyConfig()
		cfg.KeepRows, cfg.RetrainEpochs, cfg.QuantBits = tc.keep, tc.retrain, tc.bits
		res, err := Fit(context.Background(), trainSet, nil, nil, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Losses) != cfg.Epochs+tc.retrain {
			t.Fatalf("keep %d retrain %d: %d epoch losses", tc.keep, tc.retrain, len(res.Losses))
		}
		w := res.Weights
		nz := 0
		for r := 0; r < int(w.Features.Buckets); r++ {
			for _, v := range w.Emb[r*w.Dim : (r+1)*w.Dim] {
				if v != 0 {
					nz++
					break
				}
			}
		}
		if nz == 0 || nz > tc.keep {
			t.Fatalf("keep %d retrain %d: %d non-zero rows", tc.keep, tc.retrain, nz)
		}
		if w.Bits != tc.bits || w.KeepRows != tc.keep {
			t.Fatalf("weights say %d bits, %d rows; want %d, %d", w.Bits, w.KeepRows, tc.bits, tc.keep)
		}
		if w.Bits == 0 {
			w.Bits = 4
		}
		data, err := textmodel.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		m, err := textmodel.Load(data)
		if err != nil {
			t.Fatal(err)
		}
		correct := 0
		for _, ex := range append(trainSet, testSet...) {
			if m.Predict(ex.Text).Label == ex.Label {
				correct++
			}
		}
		acc := float64(correct) / float64(len(trainSet)+len(testSet))
		t.Logf("keep %d rows, retrain %d epochs, %d bits: %d bytes, accuracy %.2f on the slice", tc.keep, tc.retrain, w.Bits, len(data), acc)
		if acc < 0.7 {
			t.Fatalf("keep %d retrain %d: accuracy %.2f on the slice, want well above chance (0.33)", tc.keep, tc.retrain, acc)
		}
	}
}

// TestJointTwoHeads: a second task trained jointly gets its own head over
// the shared embedding; both tasks are learnt, and the two-head compact
// file answers each.
func TestJointTwoHeads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	trainSet := load(t, "train")
	var langs []dataset.Example
	for _, s := range []struct{ text, lang string }{
		{"where is my parcel", "en"}, {"the weather is nice today", "en"}, {"thank you very much", "en"}, {"I would like to pay", "en"},
		{"où est mon colis", "fr"}, {"il fait beau aujourd'hui", "fr"}, {"merci beaucoup", "fr"}, {"je voudrais payer", "fr"},
		{"wo ist mein Paket", "de"}, {"das Wetter ist heute schön", "de"}, {"vielen Dank", "de"}, {"ich möchte bezahlen", "de"},
	} {
		langs = append(langs, dataset.Example{Text: s.text, Label: s.lang})
	}
	cfg := tinyConfig()
	cfg.Second = &Second{Task: "langid", Examples: langs, Repeat: 2}
	cfg.KeepRows = 4096
	res, err := Fit(context.Background(), trainSet, nil, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := res.Weights
	if w.Second == nil || w.Second.Task != "langid" || !slices.Equal(w.Second.Labels, []string{"de", "en", "fr"}) {
		t.Fatalf("second head %+v", w.Second)
	}
	w.Bits = 4
	data, err := textmodel.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	m, err := textmodel.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	score := func(m *textmodel.Model, exs []dataset.Example) float64 {
		ok := 0
		for _, ex := range exs {
			if m.Predict(ex.Text).Label == ex.Label {
				ok++
			}
		}
		return float64(ok) / float64(len(exs))
	}
	if a := score(m, trainSet); a < 0.8 {
		t.Errorf("first head: %.2f on its training set", a)
	}
	if a := score(m.Second(), langs); a < 0.9 {
		t.Errorf("second head: %.2f on its training set", a)
	}
	bad := cfg
	bad.Hidden = 8
	if _, err := Fit(context.Background(), trainSet, nil, nil, bad, nil); err == nil {
		t.Error("a second task with a hidden layer was accepted")
	}
	bad = cfg
	bad.Second = &Second{Task: "langid", Examples: langs[:1]}
	if _, err := Fit(context.Background(), trainSet, nil, nil, bad, nil); !errors.Is(err, ErrNoData) {
		t.Errorf("a second task of one label: %v, want ErrNoData", err)
	}
}
