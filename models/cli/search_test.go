package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTrainChoosesRecipeOnDev: train with no tuning flag searches the
// recipes on the dev split (testdata/intentoos has train and dev, no test
// split: the search cannot read one), prints each candidate's dev accuracy
// and what it chose, and writes the chosen model.
func TestTrainChoosesRecipeOnDev(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auto.kmod")
	code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intentoos", "--out", path, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "choosing the intent recipe on dev") {
		t.Fatalf("no search: %s", stderr)
	}
	rows := regexp.MustCompile(`(?m)^  (.+?)\s+dev accuracy\s+([0-9.]+)%\s+(\d+) bytes$`).FindAllStringSubmatch(stderr, -1)
	if len(rows) != 5 { // defaults, word n-grams, hidden layer, buckets, smoothing
		t.Fatalf("%d candidates, want 5:\n%s", len(rows), stderr)
	}
	for _, want := range []string{"word 1-grams", "hidden 64", "buckets 10000", "smoothing 0.1"} {
		if !strings.Contains(stderr, want) {
			t.Fatalf("no candidate with %q:\n%s", want, stderr)
		}
	}
	chose := regexp.MustCompile(`(?m)^chose: (.+) \(dev accuracy ([0-9.]+)%, (\d+) bytes\)$`).FindStringSubmatch(stderr)
	if chose == nil {
		t.Fatalf("no choice printed:\n%s", stderr)
	}
	var chosen, top float64
	found := false
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fmtSscan(chose[2], &chosen))
	for _, r := range rows {
		var a float64
		must(fmtSscan(r[2], &a))
		top = max(top, a)
		found = found || r[1] == chose[1] && r[2] == chose[2]
	}
	if !found {
		t.Fatalf("the chosen recipe %q is not one of the candidates:\n%s", chose[1], stderr)
	}
	if top-chosen > 100*minGain*4 { // each of up to 4 kept steps may trail by minGain
		t.Fatalf("chose %s (%.2f%%) although a candidate reached %.2f%%", chose[1], chosen, top)
	}
	code, out, _ := run(t, "", "eval", "intent", "--model", path, "--data", "testdata/intentoos", "--split", "dev")
	if code != 0 || !strings.Contains(out, chose[2]) {
		t.Fatalf("the written model's dev accuracy is not the chosen one's (%s%%): %s", chose[2], out)
	}

	// One tuning flag: the recipe is the caller's, no search.
	code, _, stderr = run(t, "", "train", "intent", "--data", "testdata/intentoos", "--out", path, "--quiet", "--dim", "8")
	if code != 0 || strings.Contains(stderr, "choosing") {
		t.Fatalf("searched although --dim was given: %d %s", code, stderr)
	}
}

// TestTrainSearchSize: --search size tries every buckets × dim of the grid
// within --max-bytes and keeps one that fits.
func TestTrainSearchSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "size.kmod")
	code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intentoos", "--out", path, "--quiet", "--epochs", "5",
		"--search", "size", "--max-bytes", "70000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stderr, "dev accuracy"); n != 3 { // 4096×12 and 4096×16 (+ the choice line)
		t.Fatalf("%d lines with dev accuracy, want 2 candidates and the choice:\n%s", n, stderr)
	}
	chose := regexp.MustCompile(`(?m)^chose: .* (\d+) bytes\)$`).FindStringSubmatch(stderr)
	var n int
	if chose == nil || fmtSscan(chose[1], &n) != nil || n > 70000 {
		t.Fatalf("choice over the budget: %s", stderr)
	}
	for _, bad := range [][]string{{"--search", "size"}, {"--search", "bogus"}} {
		args := append([]string{"train", "intent", "--data", "testdata/intentoos", "--out", path, "--quiet", "--epochs", "1"}, bad...)
		if code, _, stderr := run(t, "", args...); code != 2 {
			t.Fatalf("%v: exit %d, want a usage error: %s", bad, code, stderr)
		}
	}
	// An explicit search without a dev split is an error, not a silent default.
	if code, _, stderr := run(t, "", "train", "sentiment", "--data", "testdata/sent", "--out", path, "--quiet", "--search", "auto"); code == 0 {
		t.Fatalf("search without dev split succeeded: %s", stderr)
	}
}

func fmtSscan(s string, v any) error {
	_, err := fmt.Sscan(s, v)
	return err
}
