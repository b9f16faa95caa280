package eval

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/models/dataset"
)

func TestRunMetrics(t *testing.T) {
	exs := []dataset.Example{
		{Text: "1", Label: "a", Locale: "en"},
		{Text: "2", Label: "a", Locale: "en"},
		{Text: "3", Label: "b", Locale: "de"},
		{Text: "4", Label: "oos", Locale: "de"},
		{Text: "5", Label: "oos", Locale: "en"},
	}
	preds := map[string]string{"1": "a", "2": "b", "3": "b", "4": "oos", "5": "a"}
	r := Run(exs, func(s string) string { return preds[s] }, "oos")
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if r.N != 5 || !near(r.Accuracy, 3.0/5) {
		t.Fatalf("accuracy %v", r.Accuracy)
	}
	if !near(r.InScopeAccuracy, 2.0/3) || !near(r.OOSRecall, 0.5) || r.OOSLabel != "oos" {
		t.Fatalf("oos fields %+v", r)
	}
	// a: P 1/2 R 1/2 F 1/2; b: P 1/2 R 1 F 2/3; oos: P 1 R 1/2 F 2/3
	if !near(r.MacroF1, (0.5+2.0/3+2.0/3)/3) {
		t.Fatalf("macro-F1 %v", r.MacroF1)
	}
	if len(r.Confused) != 2 || r.Confused[0].Count != 1 {
		t.Fatalf("confused %+v", r.Confused)
	}
	if m, ok := r.MeanGroupAccuracy("locale="); !ok || !near(m, (1.0/3+1.0)/2) {
		t.Fatalf("mean by locale %v %v", m, ok)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"accuracy        60.00%", "oos recall      50.00%", "mean by locale", "a → b"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestRunWithoutOOS(t *testing.T) {
	r := Run([]dataset.Example{{Text: "x", Label: "a"}, {Text: "y", Label: "b"}}, func(string) string { return "a" }, "oos")
	if r.OOSLabel != "" || r.Accuracy != 0.5 {
		t.Fatalf("%+v", r)
	}
	if r := Run(nil, func(string) string { return "" }, ""); r.N != 0 || r.Accuracy != 0 {
		t.Fatalf("empty: %+v", r)
	}
}
