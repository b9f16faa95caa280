package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestScan(t *testing.T) {
	code, out, errs := run(t, "call 13812345678\norder 12345\n", "scan")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines, got %q", out)
	}
	var first struct {
		Text  string `json:"text"`
		Spans []struct {
			Type       string
			Start, End int
		} `json:"spans"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Text != "call [PHONE]" || len(first.Spans) != 1 || first.Spans[0].Type != "PHONE" || first.Spans[0].Start != 5 || first.Spans[0].End != 16 {
		t.Fatalf("line 1 = %s", lines[0])
	}
	if lines[1] != `{"text":"order 12345","spans":[]}` {
		t.Fatalf("line 2 = %s", lines[1])
	}
	if code, out, _ := run(t, "mail a@b.io or 13812345678\n", "scan", "--types", "email"); code != 0 || !strings.Contains(out, "[EMAIL] or 13812345678") {
		t.Fatalf("--types: %d %s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"eval"}, {"scan", "--types", "NAME"}, {"scan", "--nope"}} {
		if code, _, _ := run(t, "", args...); code != 2 {
			t.Errorf("%v: code %d, want 2", args, code)
		}
	}
	if code, _, errs := run(t, "", "eval", "--data", filepath.Join(t.TempDir(), "missing.jsonl")); code != 1 || !strings.Contains(errs, "missing.jsonl") {
		t.Errorf("missing file: %d %s", code, errs)
	}
}

func TestEval(t *testing.T) {
	p := filepath.Join(t.TempDir(), "d.jsonl")
	os.WriteFile(p, []byte(`{"locale":"en","text":"call {{PHONE|13812345678}}, order 12345"}`+"\n"), 0o644)
	code, out, errs := run(t, "", "eval", "--data", p)
	if code != 0 || !strings.Contains(out, "PHONE") || !strings.Contains(out, "100.00%") {
		t.Fatalf("eval: %d %s %s", code, out, errs)
	}
	code, out, _ = run(t, "", "eval", "--data", p, "--json")
	var rep map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep["messages"].(float64) != 1 {
		t.Fatalf("eval --json: %d %s", code, out)
	}
	os.WriteFile(p, []byte(`{"text":"{{PHONE|1"}`+"\n"), 0o644)
	if code, _, errs := run(t, "", "eval", "--data", p); code != 1 || !strings.Contains(errs, "line 1") {
		t.Fatalf("bad file: %d %s", code, errs)
	}
}
