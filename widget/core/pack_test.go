package core

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/kefu-io/kefu/assets/faq"
	"github.com/kefu-io/kefu/chat"
)

// defaultPack loads the shipped default FAQ pack (assets/faq).
func defaultPack(t testing.TB) []Entry {
	t.Helper()
	var p chat.FAQPack
	if err := json.Unmarshal(faq.Default(), &p); err != nil {
		t.Fatal(err)
	}
	out := make([]Entry, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = Entry{ID: e.ID, Intent: e.Intent, Questions: e.Questions, Answers: e.Answers, Local: e.Local}
	}
	return out
}

func TestDefaultPack(t *testing.T) {
	c := New(DefaultConfig())
	if err := c.LoadFAQ(defaultPack(t)); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, faq, lang string }{
		{"退货政策是什么?", "return_policy", "zh"},
		{"What is your return policy?", "return_policy", "en"},
		{"what's your return policy", "return_policy", "en"},
		{"Where is my order?", "", "en"},
		{"我的订单到哪了", "", "zh"},
		{"Can you check order 2024112512345?", "", "en"},
	}
	for _, tt := range tests {
		r, ok := c.Answer(tt.text)
		if r.FAQID != tt.faq || ok != (tt.faq != "") || r.Lang != tt.lang {
			t.Errorf("Answer(%q) = %+v, %v; want %q %q", tt.text, r, ok, tt.faq, tt.lang)
		}
	}
}

// TestLeaveOneOut asks every third paraphrase of the default pack with that
// paraphrase removed from the cache, once with similarity alone (the
// browser before the model arrives: an honest estimate on unseen wordings)
// and once with the shipped intent model too (optimistic: the pack's
// paraphrases are among the model's training templates; TestIntentSet is
// the honest measure of the model). A wrong local answer is much worse than
// none (none costs one round trip), so precision is held high and coverage
// is only reported.
func TestLeaveOneOut(t *testing.T) {
	entries := defaultPack(t)
	full, err := buildIndex(entries)
	if err != nil {
		t.Fatal(err)
	}
	intent := textClassifier{loadIntentModel(t, "")}
	type q struct {
		entry int
		lang  string
		k     int
	}
	var qs []q
	for i, e := range entries {
		langs := make([]string, 0, len(e.Questions))
		for l := range e.Questions {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		for _, l := range langs {
			if len(e.Questions[l]) < 2 {
				continue // nothing left to match against
			}
			for k := range e.Questions[l] {
				qs = append(qs, q{i, l, k})
			}
		}
	}
	type tally struct{ answered, right int }
	var sim, withModel tally
	localQs := 0
	for n, x := range qs {
		if n%3 != 0 {
			continue // a third of the questions keeps the test fast
		}
		held := entries[x.entry].Questions[x.lang]
		text := held[x.k]
		rest := append(append([]string(nil), held[:x.k]...), held[x.k+1:]...)
		cp := append([]Entry(nil), entries...)
		qmap := map[string][]string{}
		for l, v := range cp[x.entry].Questions {
			qmap[l] = v
		}
		qmap[x.lang] = rest
		cp[x.entry].Questions = qmap
		c := New(DefaultConfig())
		if err := c.LoadFAQ(cp); err != nil {
			t.Fatal(err)
		}
		if full.local[x.entry] && !OrderSpecific(text) {
			localQs++
		}
		for _, m := range []struct {
			tally *tally
			model Classifier
		}{{&sim, nil}, {&withModel, intent}} {
			_ = c.SetModel(ModelIntent, m.model)
			r, ok := c.Answer(text)
			if !ok {
				continue
			}
			m.tally.answered++
			if r.FAQID == entries[x.entry].ID {
				m.tally.right++
			} else {
				t.Logf("wrong (model %v): %q (%s) → %s %.2f", m.model != nil, text, entries[x.entry].ID, r.FAQID, r.Score)
			}
		}
	}
	for _, m := range []struct {
		name string
		t    tally
	}{{"similarity only", sim}, {"with the intent model", withModel}} {
		precision := float64(m.t.right) / float64(max(m.t.answered, 1))
		coverage := float64(m.t.right) / float64(max(localQs, 1))
		t.Logf("%s: held-out paraphrases %d (every third asked), answerable %d, answered %d, right %d: precision %.3f coverage %.3f",
			m.name, len(qs), localQs, m.t.answered, m.t.right, precision, coverage)
		if precision < 0.9 {
			t.Errorf("%s: precision %.3f under 0.9", m.name, precision)
		}
	}
}
