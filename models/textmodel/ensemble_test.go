package textmodel

import (
	"errors"
	"math"
	"testing"

	"github.com/kefu-io/kefu/internal/racebuild"
)

func loadWeights(t *testing.T, w *Weights) *Model {
	t.Helper()
	data, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEnsemble checks the ensemble's prediction against the mean of its
// models' probabilities, its threshold (the first model's), and that one
// model alone predicts as that model.
func TestEnsemble(t *testing.T) {
	a, b := loadWeights(t, randomWeights(1)), loadWeights(t, randomWeights(2))
	e, err := NewEnsemble(a, b)
	if err != nil {
		t.Fatal(err)
	}
	solo, err := NewEnsemble(a)
	if err != nil {
		t.Fatal(err)
	}
	strict := randomWeights(1)
	strict.Threshold = 1.01 // every mean is below it
	s, err := NewEnsemble(loadWeights(t, strict), b)
	if err != nil {
		t.Fatal(err)
	}
	differs := 0
	for _, text := range sample[:200] {
		pa, pb := a.Probs(nil, text), b.Probs(nil, text)
		mean := make([]float32, len(pa))
		for c := range pa {
			mean[c] = (pa[c] + pb[c]) / 2
		}
		best := argmax(mean)
		want := Prediction{Label: a.labels[best], Score: mean[best]}
		if want.Score < 0.3 {
			want.Label = "oos"
		}
		got := e.Predict(text)
		if got.Label != want.Label || math.Abs(float64(got.Score-want.Score)) > 1e-6 {
			t.Fatalf("%q: %+v, want %+v", text, got, want)
		}
		if got.Label != a.Predict(text).Label {
			differs++
		}
		if p := solo.Predict(text); p != a.Predict(text) {
			t.Fatalf("%q: one model's ensemble %+v, the model %+v", text, p, a.Predict(text))
		}
		if p := s.Predict(text); p.Label != "oos" || p.Score != got.Score {
			t.Fatalf("%q: with the first model's threshold 1.01: %+v, want oos at %v", text, p, got.Score)
		}
	}
	if differs == 0 {
		t.Error("the ensemble never differs from its first model: the second is not used")
	}
	if e.Models() != 2 {
		t.Errorf("Models() = %d, want 2", e.Models())
	}
}

func TestEnsembleRefuses(t *testing.T) {
	other := randomWeights(2)
	other.Labels = []string{"b", "a", "c", "oos"}
	if _, err := NewEnsemble(loadWeights(t, randomWeights(1)), loadWeights(t, other)); !errors.Is(err, ErrEnsemble) {
		t.Errorf("different label order: %v, want ErrEnsemble", err)
	}
	if _, err := NewEnsemble(); !errors.Is(err, ErrEnsemble) {
		t.Errorf("no models: %v, want ErrEnsemble", err)
	}
}

func TestEnsemblePredictNoAllocs(t *testing.T) {
	if racebuild.Enabled {
		t.Skip("-race makes sync.Pool drop scratch buffers; make test runs this without -race")
	}
	e, err := NewEnsemble(loadWeights(t, randomWeights(1)), loadWeights(t, randomWeights(2)))
	if err != nil {
		t.Fatal(err)
	}
	e.Predict("warm up")
	if n := testing.AllocsPerRun(100, func() { e.Predict("Wo ist meine Bestellung? 物流太慢了") }); n > 0 {
		t.Fatalf("%v allocations per Predict, want 0", n)
	}
}
