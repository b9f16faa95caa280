package cli

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/models/eval"

	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/textmodel"
)

// TestThresholdRule: the sweep keeps the thresholds whose oos recall meets
// the floor, takes the best accuracy, and on a tie the highest threshold.
func TestThresholdRule(t *testing.T) {
	exs := []dataset.Example{{Label: "a"}, {Label: "a"}, {Label: "oos"}, {Label: "oos"}}
	tests := []struct {
		name      string
		preds     []textmodel.Prediction
		minRecall float64
		want      float64
		err       error
	}{
		{
			// every threshold up to 0.30 gets 3 of 4 right (one oos missed),
			// 0.31–0.60 all four, above 0.60 an "a" falls back as well
			name:      "best accuracy, highest of the tie",
			preds:     []textmodel.Prediction{{Label: "a", Score: 0.9}, {Label: "a", Score: 0.6}, {Label: "a", Score: 0.3}, {Label: "oos", Score: 0.8}},
			minRecall: 0, want: 0.60,
		},
		{
			// the floor 1.0 starts at 0.31, where the second "a" is lost
			// already (from 0.21); from 0.91 the first as well
			name:      "recall floor",
			preds:     []textmodel.Prediction{{Label: "a", Score: 0.9}, {Label: "a", Score: 0.2}, {Label: "a", Score: 0.3}, {Label: "oos", Score: 0.8}},
			minRecall: 1, want: 0.90,
		},
		{
			// every threshold meets the floor 0.5; from 0.91 both "a" fall back
			name:      "floor met everywhere",
			preds:     []textmodel.Prediction{{Label: "a", Score: 0.9}, {Label: "a", Score: 0.9}, {Label: "b", Score: 0.99}, {Label: "oos", Score: 0.8}},
			minRecall: 0.5, want: 0.90,
		},
		{
			name:      "no threshold qualifies",
			preds:     []textmodel.Prediction{{Label: "a", Score: 0.9}, {Label: "a", Score: 0.9}, {Label: "b", Score: 0.99}, {Label: "b", Score: 0.99}},
			minRecall: 0.5, err: errNoThreshold,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			best, points, err := thresholdRule(exs, tt.preds, "oos", tt.minRecall)
			if len(points) != sweepTo-sweepFrom+1 {
				t.Fatalf("%d points, want %d", len(points), sweepTo-sweepFrom+1)
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if tt.err == nil && math.Abs(best.threshold-tt.want) > 1e-9 {
				t.Errorf("threshold %.2f, want %.2f (points %+v)", best.threshold, tt.want, points)
			}
		})
	}
	three := []dataset.Example{{Label: "oos"}, {Label: "oos"}, {Label: "oos"}}
	preds := []textmodel.Prediction{{Label: "oos", Score: 1}, {Label: "oos", Score: 1}, {Label: "a", Score: 0.99}}
	if best, _, err := thresholdRule(three, preds, "oos", 0.6667); err != nil || best.threshold != 0.95 {
		t.Errorf("2 of 3 against the floor 0.6667: %+v %v, want 0.95", best, err)
	}
}

// TestEvalChooseThreshold: eval --choose-threshold prints the sweep and
// reports at the chosen threshold, as --threshold at that value does, for
// one model and for per-language models; it excludes --threshold.
func TestEvalChooseThreshold(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oos.kmod")
	if code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intentoos", "--out", path, "--buckets", "4096", "--dim", "8", "--epochs", "10", "--quiet"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en.kmod"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"eval", "intent", "--data", "testdata/intentoos", "--split", "dev"}
	report := func(args []string) eval.Report {
		t.Helper()
		code, out, stderr := run(t, "", append(args, "--json")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var r eval.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return r
	}
	for _, model := range [][]string{{"--model", path}, {"--model-dir", dir, "--route", "gold", "--model", path}} {
		args := append(append(slices.Clone(base), model...), "--choose-threshold", "0")
		code, out, stderr := run(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		i := strings.Index(out, "chosen threshold ")
		if i < 0 || !strings.Contains(out, "← chosen") || !strings.Contains(out, "task intent") {
			t.Fatalf("%v: no choice or report in\n%s", args, out)
		}
		th := strings.Fields(out[i+len("chosen threshold "):])[0]
		chosen := report(args)
		fixed := report(append(append(slices.Clone(base), model...), "--threshold", th))
		if chosen.Accuracy != fixed.Accuracy || chosen.OOSRecall != fixed.OOSRecall || chosen.N == 0 {
			t.Errorf("%v: chosen %.4f (oos %.4f), --threshold %s %.4f (oos %.4f)", model, chosen.Accuracy, chosen.OOSRecall, th, fixed.Accuracy, fixed.OOSRecall)
		}
		// no threshold of the sweep beats the chosen one
		for _, other := range []string{"0.05", "0.50", "0.95"} {
			if r := report(append(append(slices.Clone(base), model...), "--threshold", other)); r.Accuracy > chosen.Accuracy {
				t.Errorf("%v: --threshold %s %.4f beats the chosen %s %.4f", model, other, r.Accuracy, th, chosen.Accuracy)
			}
		}
	}
	if code, _, _ := run(t, "", append(base, "--model", path, "--choose-threshold", "0.5", "--threshold", "0.3")...); code != 2 {
		t.Errorf("--choose-threshold with --threshold: exit %d, want 2 (usage)", code)
	}
}
