package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/models/textmodel"
)

// TestCompact: kefu model compact rewrites a model in format version 4
// (given bits and rows, or chosen on dev without losing dev accuracy), the
// result loads and is smaller; bad input is refused.
func TestCompact(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src.kmod")
	code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intentoos", "--out", src,
		"--buckets", "4096", "--dim", "8", "--epochs", "20", "--emb-lr", "0.3", "--quiet")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	srcInfo, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string // in stdout+stderr
	}{
		{"given bits and rows", []string{"--bits", "3", "--keep-rows", "500"}, []string{"wrote "}},
		{"chosen on dev", []string{"--data", "testdata/intentoos"}, []string{"source model: ", "dev accuracy", "brotli", "chose bits "}},
		{"chosen with another model", []string{"--data", "testdata/intentoos", "--choose-with", src}, []string{"source model: ", "chose bits "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "c.kmod")
			code, stdout, stderr := run(t, "", append([]string{"compact", "intent", "--model", src, "--out", out}, tc.args...)...)
			if code != 0 {
				t.Fatalf("compact exit %d: %s", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			m, err := textmodel.Load(b)
			if err != nil {
				t.Fatal(err)
			}
			if b[4] != 4 || len(b) >= int(srcInfo.Size()) || m.Dim() != 8 {
				t.Fatalf("format %d, %d bytes (source %d), dim %d", b[4], len(b), srcInfo.Size(), m.Dim())
			}
		})
	}
	for _, bad := range [][]string{
		{"compact", "intent", "--model", src},                                                                         // no --out
		{"compact", "intent", "--model", src, "--out", "x.kmod", "--bits", "9"},                                       // bits
		{"compact", "intent", "--model", "nope.kmod", "--out", "x.kmod"},                                              // missing model
		{"compact", "intent", "--model", src, "--out", "x.kmod", "--data", "nowhere"},                                 // no dev split
		{"compact", "intent", "--model", src, "--out", "x.kmod", "--data", "testdata/intentoos", "--max-bytes", "10"}, // nothing fits
	} {
		if code, _, stderr := run(t, "", bad...); code == 0 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, stderr)
		}
	}
	if _, err := os.Stat("x.kmod"); err == nil {
		os.Remove("x.kmod")
		t.Error("a refused compact wrote its output")
	}
}
