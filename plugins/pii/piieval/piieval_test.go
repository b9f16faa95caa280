package piieval

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/plugins/pii"
)

// TestAccuracy holds the detector above the goals on the held-out test set
// (plugins/pii/testdata/README.md). It is a regression test on a fixed file.
func TestAccuracy(t *testing.T) {
	for _, tc := range []struct {
		file                string
		recall, precision   float64
		minLocales, minGold int
	}{
		{"../testdata/test.jsonl", 0.995, 0.97, 10, 400},
		{"../testdata/dev.jsonl", 0.995, 0.97, 10, 50},
		// Blind set (issue 8 item 3): written before the detector ran on it;
		// 93.81 % recall before the address changes, 98.97 % after. A
		// regression guard, not a goal: never tune on it.
		{"../testdata/blind.jsonl", 0.985, 0.99, 12, 90},
		// Second blind set (blind2.jsonl): 90.16 % recall before the
		// changes it measures. Also a regression guard, never tuned on.
		{"../testdata/blind2.jsonl", 0.985, 0.99, 14, 180},
		// Third blind set, written after those changes: 97.59 % recall on
		// its first run (the honest estimate). A guard, never tuned on.
		{"../testdata/blind3.jsonl", 0.97, 0.99, 14, 150},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			exs, err := Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			rep := Evaluate(exs, pii.Options{})
			var b strings.Builder
			rep.WriteTable(&b)
			t.Log("\n" + b.String())
			if len(rep.Locales) < tc.minLocales || rep.Overall.Gold < tc.minGold {
				t.Fatalf("data set too small: %d locales, %d spans", len(rep.Locales), rep.Overall.Gold)
			}
			if r := rep.Overall.Recall(); r < tc.recall {
				t.Errorf("recall %.4f < goal %.4f", r, tc.recall)
			}
			if p := rep.Overall.Precision(); p < tc.precision {
				t.Errorf("precision %.4f < goal %.4f", p, tc.precision)
			}
			for _, m := range rep.Misses {
				t.Logf("line %d %s %s %q in %q", m.Line, m.Kind, m.Span.Type, m.Span.Value, m.Text)
			}
		})
	}
}

func TestParseMarkup(t *testing.T) {
	ex, err := ParseMarkup("call {{PHONE|138 1234 5678}} or {{EMAIL|a@b.cn}}")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Text != "call 138 1234 5678 or a@b.cn" || len(ex.Gold) != 2 {
		t.Fatalf("got %+v", ex)
	}
	if g := ex.Gold[0]; ex.Text[g.Start:g.End] != "138 1234 5678" || g.Type != pii.Phone {
		t.Fatalf("span %+v", g)
	}
	for _, bad := range []string{"{{PHONE|1", "x}}", "{{PHONE}}", "{{NAME|bob}}", "{{PHONE|}}", "a }} {{EMAIL|x}}"} {
		if _, err := ParseMarkup(bad); !errors.Is(err, ErrMarkup) {
			t.Errorf("ParseMarkup(%q) err = %v, want ErrMarkup", bad, err)
		}
	}
}

func TestParseRefusesBadLine(t *testing.T) {
	in := "{\"locale\":\"en\",\"text\":\"ok\"}\n# comment\n\n{\"text\":\"{{PHONE|1\"}\n"
	_, err := Parse(strings.NewReader(in))
	if err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Fatalf("err = %v, want line 4", err)
	}
	if _, err := Parse(strings.NewReader("{not json\n")); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

func TestEvaluateCounts(t *testing.T) {
	exs := []Example{
		mustMarkup(t, "phone {{PHONE|13812345678}} order 12345"),
		mustMarkup(t, "mail {{EMAIL|x@y.cn}} and {{ADDRESS|nowhere at all}}"),
		mustMarkup(t, "订单号 13912345678"),
	}
	rep := Evaluate(exs, pii.Options{})
	if c := rep.ByType[pii.Phone]; c.Gold != 1 || c.Recalled != 1 || c.Predicted != 1 || c.Correct != 1 {
		t.Errorf("phone counts %+v", c)
	}
	if c := rep.ByType[pii.Address]; c.Gold != 1 || c.Recalled != 0 {
		t.Errorf("address counts %+v", c)
	}
	if rep.Overall.Gold != 3 || rep.Overall.Recalled != 2 || len(rep.Misses) != 1 {
		t.Errorf("overall %+v misses %v", rep.Overall, rep.Misses)
	}
}

func TestEvaluateByLanguage(t *testing.T) {
	var exs []Example
	for _, l := range []struct{ locale, text string }{
		{"de-AT", "Tel. {{PHONE|+43 664 1234567}}"},
		{"de", "{{ADDRESS|nirgendwo ohne Nummer}}"},
		{"zh-TW", "電話 {{PHONE|0912-345-678}}"},
		{"zh-CN", "手机 {{PHONE|13812345678}}"},
		{"", "order 12345"},
	} {
		ex := mustMarkup(t, l.text)
		ex.Locale = l.locale
		exs = append(exs, ex)
	}
	rep := Evaluate(exs, pii.Options{})
	want := map[string]Counts{
		"de":    {Gold: 2, Predicted: 1, Recalled: 1, Correct: 1, Exact: 1},
		"zh-TW": {Gold: 1, Predicted: 1, Recalled: 1, Correct: 1, Exact: 1},
		"zh-CN": {Gold: 1, Predicted: 1, Recalled: 1, Correct: 1, Exact: 1},
		"-":     {},
	}
	if len(rep.ByLanguage) != len(want) {
		t.Fatalf("ByLanguage = %+v, want %+v", rep.ByLanguage, want)
	}
	for l, c := range want {
		if rep.ByLanguage[l] != c {
			t.Errorf("%s: %+v, want %+v", l, rep.ByLanguage[l], c)
		}
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil || !strings.Contains(b.String(), "\nde ") {
		t.Errorf("table without the language rows (%v):\n%s", err, b.String())
	}
}

func mustMarkup(t *testing.T, s string) Example {
	t.Helper()
	ex, err := ParseMarkup(s)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}
