package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFieldVariants(t *testing.T) {
	in := `{"text": "where is my order", "intent": "order_status", "domain": "x"}
{"utt": "今天会下雨吗", "intent": "weather/find", "locale": "zh-CN"}
{"text": "好评", "label": 1, "cat": "书籍"}
{"text": "hallo", "lang": "de", "kind": "single-word"}

`
	exs, err := Read(strings.NewReader(in), "t", []string{"intent", "label", "lang"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Example{
		{Text: "where is my order", Label: "order_status"},
		{Text: "今天会下雨吗", Label: "weather/find", Locale: "zh-CN"},
		{Text: "好评", Label: "1"},
		{Text: "hallo", Label: "de", Kind: "single-word", Locale: "de"},
	}
	if len(exs) != len(want) {
		t.Fatalf("got %d rows", len(exs))
	}
	for i := range want {
		if exs[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, exs[i], want[i])
		}
	}
}

func TestReadErrors(t *testing.T) {
	for _, in := range []string{`{"text": "x"}`, `{"intent": "a"}`, `not json`, `{"text": "x", "intent": "a"`} {
		if _, err := Read(strings.NewReader(in), "bad", []string{"intent"}); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: got %v, want an error naming line 1", in, err)
		}
	}
}

func TestSplitFallsBackToDev(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "dev.jsonl"), []byte(`{"text":"a","intent":"b"}`+"\n"), 0o644)
	p, err := SplitPath(dir, "train")
	if err != nil || filepath.Base(p) != "dev.jsonl" {
		t.Fatalf("train without train.jsonl: %q %v", p, err)
	}
	if _, err := SplitPath(dir, "test"); !errors.Is(err, ErrNoSplit) {
		t.Fatalf("missing test: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "nope"), "dev", []string{"intent"}); !errors.Is(err, ErrNoSplit) {
		t.Fatalf("missing dir: %v", err)
	}
}

func TestSplitPathFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "extra.jsonl")
	os.WriteFile(f, []byte(`{"text":"a","label":1}`+"\n"), 0o644)
	if p, err := SplitPath(f, "test"); err != nil || p != f {
		t.Fatalf("%q %v", p, err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(`{"text": "a", "intent": "b"}`)
	f.Add(`{"utt": "今天", "intent": "w", "locale": "zh-CN"}` + "\n" + `{"text": "x", "label": 1}`)
	f.Add(`{"text": ""}`)
	f.Fuzz(func(t *testing.T, in string) {
		exs, err := Read(strings.NewReader(in), "fuzz", []string{"intent", "label"})
		if err != nil {
			return
		}
		for _, ex := range exs {
			if ex.Text == "" || ex.Label == "" {
				t.Fatalf("row without text or label accepted: %+v", ex)
			}
		}
	})
}
