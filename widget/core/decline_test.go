package core

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/assets/kb"
	"github.com/kefu-io/kefu/central/knowledge"
)

func TestContainsTerm(t *testing.T) {
	tests := []struct {
		text, term string
		want       bool
	}{
		{"do you ship to the canary islands?", "canary islands", true},
		{"do you ship to uk?", "uk", true},
		{"a ukulele please", "uk", false},
		{"寄到加那利群岛要多久", "加那利群岛", true},
		{"ship to 香港 how long", "香港", true},
		{"is jersey a colour?", "jersey", true},
		{"", "uk", false},
	}
	for _, tt := range tests {
		if got := containsTerm(tt.text, tt.term); got != tt.want {
			t.Errorf("containsTerm(%q, %q) = %v", tt.text, tt.term, got)
		}
	}
}

// TestDeclineNamedTerms: a question naming a decline term gets no local
// answer, even from an entry that names it; other questions keep theirs.
func TestDeclineNamedTerms(t *testing.T) {
	entries := []Entry{
		{ID: "shipping_time", Local: true, Questions: map[string][]string{"en": {"how long does shipping take", "when will my parcel arrive"}},
			Answers: map[string]string{"en": "3-5 days"}},
		{ID: "canada", Local: true, Questions: map[string][]string{"en": {"do you deliver to canada"}}, Answers: map[string]string{"en": "Canada: 5-9 days"}},
	}
	c := New(DefaultConfig())
	if err := c.LoadPack(entries, []string{"Canary Islands", "Canada", "x"}); err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Answer("how long does shipping take"); !ok || r.FAQID != "shipping_time" {
		t.Errorf("generic question: %+v %v", r, ok)
	}
	for _, q := range []string{"how long does shipping take to the canary islands", "do you deliver to canada"} {
		if r, ok := c.Answer(q); ok || !r.Declined {
			t.Errorf("%q answered locally: %+v", q, r)
		}
	}
	if err := c.LoadPack(entries, nil); err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Answer("do you deliver to canada"); !ok || r.FAQID != "canada" {
		t.Errorf("without decline terms: %+v %v", r, ok)
	}
}

// demoDecline builds the demo knowledge pack's decline terms the way
// central does (knowledge.Hub.Pack).
func demoDecline(t testing.TB) []string {
	t.Helper()
	var docs []knowledge.Doc
	fsys := kb.Demo()
	err := fs.WalkDir(fsys, "docs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		pr, err := knowledge.Prepare(p, b)
		if err != nil {
			return err
		}
		docs = append(docs, knowledge.Doc{ID: pr.ID, Title: pr.Title, Derived: pr.Derived})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h := knowledge.NewHub(knowledge.HubOptions{})
	defer h.Close()
	if err := h.Load(context.Background(), "demo", docs, nil); err != nil {
		t.Fatal(err)
	}
	_, decline := h.Pack("demo")
	if len(decline) == 0 {
		t.Fatal("no decline terms")
	}
	return decline
}

// TestDeclineSpecificQuestions measures the browser on the demo shop: the
// specific questions of the held-out knowledge test set (a destination, a
// product line or a fee, assets/kb/eval/questions.jsonl) must get no local
// answer from the generic default pack, while the local-answer share on
// the intent set's test split stays what it was without decline terms.
func TestDeclineSpecificQuestions(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo knowledge and the intent model")
	}
	var specific []string
	f, err := os.Open(filepath.Join("..", "..", "assets", "kb", "eval", "questions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q struct {
			Q         string `json:"q"`
			ExpectDoc string `json:"expect_doc"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"ship-", "warranty-", "fee-"} {
			if strings.HasPrefix(q.ExpectDoc, p) && q.ExpectDoc != "warranty-overview" {
				specific = append(specific, q.Q)
			}
		}
	}
	m := loadIntentModel(t, "")
	run := func(decline []string) (specLocal int, generic, genericLocal int) {
		c := New(DefaultConfig())
		if err := c.LoadPack(defaultPack(t), decline); err != nil {
			t.Fatal(err)
		}
		if err := c.SetModel(ModelIntent, textClassifier{m}); err != nil {
			t.Fatal(err)
		}
		for _, q := range specific {
			if r, ok := c.Answer(q); ok {
				specLocal++
				if len(decline) > 0 {
					t.Logf("answered locally: %q → %s", q, r.FAQID)
				}
			}
		}
		for _, r := range readIntentRows(t, "test") {
			generic++
			res, ok := c.Answer(r.Text)
			if ok {
				genericLocal++
			}
			if res.Declined && testing.Verbose() {
				t.Logf("generic question declined: %q", r.Text)
			}
		}
		return
	}
	decline := demoDecline(t)
	s0, g, l0 := run(nil)
	s1, _, l1 := run(decline)
	t.Logf("specific questions: %d; answered locally without decline terms %d, with %d (%d terms)", len(specific), s0, s1, len(decline))
	t.Logf("intent test split: %d questions; local share without decline terms %s, with %s", g, ff(float64(l0)/float64(g)), ff(float64(l1)/float64(g)))
	// The goal is 0. Measured: 3, all paraphrases that name no fee ("pay
	// cash when the parcel arrives" for the cash-on-delivery fee, "return
	// label", "外币…手续费"): names alone cannot catch them. Fail on any
	// regression beyond that.
	if s1 > 3 {
		t.Errorf("%d specific questions answered locally with a generic entry (measured 3)", s1)
	}
	// Most generic questions declined are specific after all (a named
	// destination or product line the knowledge has a fact for); the cost
	// must stay small.
	if l0-l1 > g/50 {
		t.Errorf("decline terms cost %d local answers of %d generic questions (more than 2%%)", l0-l1, g)
	}
}
