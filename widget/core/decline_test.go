package core

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/central/knowledge/knowledgetest"
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
// demoKB and demoKBDoc are the browser entries central derives from the
// demo knowledge (knowledge.Hub.Pack) and each one's document, set by
// demoDecline.
var (
	demoKB    []Entry
	demoKBDoc map[string]string
)

func demoDecline(t testing.TB) []string {
	t.Helper()
	h := knowledgetest.DemoHub(t)
	kbEntries, decline := h.Pack("demo")
	if len(decline) == 0 {
		t.Fatal("no decline terms")
	}
	demoKB = demoKB[:0]
	demoKBDoc = map[string]string{}
	for _, e := range kbEntries {
		demoKB = append(demoKB, Entry{ID: e.ID, Intent: e.Intent, Questions: e.Questions, Answers: e.Answers, Local: e.Local})
		for _, tag := range e.Tags {
			if d, ok := strings.CutPrefix(tag, "doc:"); ok {
				demoKBDoc[e.ID] = d
			}
		}
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
	var specific, specificDoc []string
	var generic, genericDoc []string // the knowledge set's other questions
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
		isSpecific := false
		for _, p := range []string{"ship-", "warranty-", "fee-"} {
			if strings.HasPrefix(q.ExpectDoc, p) && q.ExpectDoc != "warranty-overview" {
				isSpecific = true
			}
		}
		switch {
		case isSpecific:
			specific, specificDoc = append(specific, q.Q), append(specificDoc, q.ExpectDoc)
		case q.ExpectDoc != "":
			generic, genericDoc = append(generic, q.Q), append(genericDoc, q.ExpectDoc)
		}
	}
	m := loadIntentModel(t, "")
	run := func(decline []string, kb []Entry) (specLocal int, intentQs, intentLocal int) {
		c := New(DefaultConfig())
		if err := c.LoadPack(append(defaultPack(t), kb...), decline); err != nil {
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
			intentQs++
			res, ok := c.Answer(r.Text)
			if ok {
				intentLocal++
			}
			if res.Declined && testing.Verbose() {
				t.Logf("generic question declined: %q", r.Text)
			}
		}
		return
	}
	decline := demoDecline(t)
	s0, g, l0 := run(nil, nil)
	s1, _, l1 := run(decline, nil)
	s2, _, l2 := run(decline, demoKB)
	// The knowledge set's generic questions (returns, payment, sizes…):
	// answered locally from the knowledge's entries, and rightly so?
	c := New(DefaultConfig())
	if err := c.LoadPack(append(defaultPack(t), demoKB...), decline); err != nil {
		t.Fatal(err)
	}
	kbLocal, kbRight := 0, 0
	for i, q := range generic {
		if r, ok := c.Answer(q); ok {
			kbLocal++
			if demoKBDoc[r.FAQID] == genericDoc[i] {
				kbRight++
			} else if testing.Verbose() {
				t.Logf("generic knowledge question answered locally from %s (%s), want %s: %q", r.FAQID, demoKBDoc[r.FAQID], genericDoc[i], q)
			}
		}
	}
	specWrong := 0
	for i, q := range specific {
		if r, ok := c.Answer(q); ok && demoKBDoc[r.FAQID] != specificDoc[i] {
			specWrong++
			t.Logf("specific question answered locally with the knowledge entries: %q → %s", q, r.FAQID)
		}
	}
	t.Logf("knowledge entries in the browser pack: %d; specific questions answered locally %d, wrongly %d; intent test split local share %s",
		len(demoKB), s2, specWrong, ff(float64(l2)/float64(g)))
	t.Logf("knowledge set's other %d questions: answered locally %d (%d from the expected document)", len(generic), kbLocal, kbRight)
	t.Logf("specific questions: %d; answered locally without decline terms %d, with %d (%d terms)", len(specific), s0, s1, len(decline))
	t.Logf("intent test split: %d questions; local share without decline terms %s, with %s", g, ff(float64(l0)/float64(g)), ff(float64(l1)/float64(g)))
	// The goal is 0. Measured: 3, all paraphrases that name no fee ("pay
	// cash when the parcel arrives" for the cash-on-delivery fee, "return
	// label", "外币…手续费"): names alone cannot catch them. Fail on any
	// regression beyond that.
	if s1 > 3 {
		t.Errorf("%d specific questions answered locally with a generic entry (measured 3)", s1)
	}
	// The knowledge's own entries (FAQ pairs derived from the demo
	// documents' titles, 110) answer generic knowledge questions in the
	// browser without answering specific ones wrongly or costing the intent
	// set's local share. Measured: 0 wrong of 182; 21 of the set's other
	// 100 questions answered locally from their expected document (18 were
	// answered locally before, all by default-pack entries); local share
	// 29.9% → 30.1%.
	if specWrong > 0 {
		t.Errorf("%d specific questions answered locally from the wrong document", specWrong)
	}
	if kbRight < 15 {
		t.Errorf("only %d generic knowledge questions answered locally from their document (measured 21)", kbRight)
	}
	if l1-l2 > g/100 {
		t.Errorf("the knowledge entries cost %d local answers of %d generic questions", l1-l2, g)
	}
	// Most generic questions declined are specific after all (a named
	// destination or product line the knowledge has a fact for); the cost
	// must stay small.
	if l0-l1 > g/50 {
		t.Errorf("decline terms cost %d local answers of %d generic questions (more than 2%%)", l0-l1, g)
	}
}
