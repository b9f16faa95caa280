package train

import (
	"context"
	"runtime"
	"slices"
	"testing"

	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/textmodel"
)

func linearConfig() Config {
	cfg := tinyConfig()
	cfg.Linear, cfg.Unique, cfg.SqrtPool = true, true, true
	cfg.EmbLR = 0.5
	cfg.Epochs = 10
	return cfg
}

// accuracyOf trains cfg on train and returns the quantized model's accuracy
// on train+test.
func accuracyOf(t *testing.T, cfg Config, trainSet, testSet []dataset.Example) (float64, *Result) {
	t.Helper()
	res, err := Fit(context.Background(), trainSet, nil, nil, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := textmodel.Marshal(res.Weights)
	if err != nil {
		t.Fatal(err)
	}
	m, err := textmodel.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Linear() {
		t.Fatal("a linear config gave a bag model")
	}
	correct := 0
	all := append(slices.Clone(trainSet), testSet...)
	for _, ex := range all {
		if m.Predict(ex.Text).Label == ex.Label {
			correct++
		}
	}
	return float64(correct) / float64(len(all)), res
}

func TestLinearTinySliceLearns(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	trainSet, testSet := load(t, "train"), load(t, "test")
	acc, res := accuracyOf(t, linearConfig(), trainSet, testSet)
	if first, last := res.Losses[0], res.Losses[len(res.Losses)-1]; !(last < first/2) {
		t.Fatalf("loss did not fall: first epoch %.4f, last %.4f", first, last)
	}
	if acc < 0.8 { // three balanced classes: chance is 1/3
		t.Fatalf("accuracy %.2f on the slice, want well above chance (0.33)", acc)
	}
	if got := len(res.Weights.Linear); got != int(linearConfig().Features.Buckets)*3 {
		t.Fatalf("%d weights, want buckets×3 labels", got)
	}
}

func TestLinearTwoLabelsOneColumn(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var two []dataset.Example
	for _, ex := range append(load(t, "train"), load(t, "test")...) {
		if ex.Label != "greeting" {
			two = append(two, ex)
		}
	}
	acc, res := accuracyOf(t, linearConfig(), two, nil)
	if got := len(res.Weights.Linear); got != int(linearConfig().Features.Buckets) {
		t.Fatalf("%d weights, want one column for two labels", got)
	}
	if acc < 0.8 { // two classes: chance is 1/2
		t.Fatalf("accuracy %.2f, want well above chance", acc)
	}
}

func TestUniqueNeedsLinear(t *testing.T) {
	cfg := tinyConfig()
	cfg.Unique = true
	if _, err := Fit(context.Background(), load(t, "train"), nil, nil, cfg, nil); err == nil {
		t.Fatal("unique features accepted for an embedding bag")
	}
}
