package central

import (
	"fmt"
	"testing"

	"github.com/kefu-io/kefu/central/router"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/racebuild"
	"github.com/kefu-io/kefu/models/dataset"
)

// Realistic messages through central with its shipped models: calm ones
// (a request for a human is not anger) stay under the router's anger
// threshold, furious ones pass it and hand off with reason anger.
func TestAngerRoutesRealMessages(t *testing.T) {
	tests := []struct {
		text  string
		angry bool
	}{
		{"What is your return policy?", false},
		{"Where is my order 12345?", false},
		{"I want to talk to a human", false},
		{"Thanks, that was quick!", false},
		{"退货政策是什么?", false},
		{"转人工", false},
		{"我的订单12345到哪了?", false},
		{"哈喽", false},
		{"Wo ist meine Bestellung?", false},
		{"Wie lange dauert der Versand nach Österreich?", false},
		{"Où est ma commande ?", false},
		{"Puis-je payer avec PayPal ?", false},
		{"¿Dónde está mi pedido?", false},
		{"¿Cuánto cuesta el envío?", false},
		{"注文した商品はいつ届きますか?", false},
		{"返品はできますか?", false},

		{"This is the third time I ask, where is my money?! I'll call my lawyer", true},
		{"WORST SHOP EVER, refund me NOW 😡", true},
		{"你们是骗子吗!!!再不退款我就投诉到12315", true},
		{"垃圾客服，我要投诉！！", true},
		{"Das ist eine Frechheit, ich will sofort mein Geld zurück!!!", true},
		{"C'est une honte, je veux être remboursé immédiatement !!!", true},
		{"¡Es una estafa! Quiero mi dinero YA", true},
		{"ふざけるな!いつまで待たせるんだ、返金しろ!", true},
	}
	e := newEnv(t)
	s := e.start(e.config())
	threshold := s.rt.Config().AngerThreshold
	for i, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			m := chat.Message{Text: tt.text}
			s.annotate(&m)
			t.Logf("anger %.3f (intent %q)", m.Anger, m.Intent)
			if (m.Anger >= threshold) != tt.angry {
				t.Fatalf("anger %.3f (threshold %.2f, intent %q), want angry=%v", m.Anger, threshold, m.Intent, tt.angry)
			}
			e.publish(envelope("demo", fmt.Sprintf("anger%d", i), "", chat.NewID(), tt.text, ""))
			r := e.reply()
			reason := "" // the bot answered
			if r.Message.Role == chat.RoleSystem {
				reason = e.handoffReason(r.Message.ConversationID)
			}
			if (reason == string(router.ReasonAnger)) != tt.angry {
				t.Fatalf("handoff reason %q (reply %q), want anger=%v", reason, r.Message.Text, tt.angry)
			}
		})
	}
}

// angerTally counts central's anger decisions against labels.
type angerTally struct{ tp, fp, fn, tn int }

func (c *angerTally) add(angry, said bool) {
	switch {
	case angry && said:
		c.tp++
	case said:
		c.fp++
	case angry:
		c.fn++
	default:
		c.tn++
	}
}

func (c angerTally) accuracy() float64 {
	return float64(c.tp+c.tn) / max(1, float64(c.tp+c.fp+c.fn+c.tn))
}
func (c angerTally) precision() float64 { return float64(c.tp) / max(1, float64(c.tp+c.fp)) }
func (c angerTally) recall() float64    { return float64(c.tp) / max(1, float64(c.tp+c.fn)) }

// angerMeasure is central's anger at the router's threshold on a labelled
// anger split, and its false alarms on calm shopper messages.
type angerMeasure struct {
	all, model, keyword angerTally
	byLang              map[string]*angerTally
	falseAlarms         float64 // central, on the calm messages
	modelFalseAlarms    float64 // anger.Scorer alone
	calm                int
}

// measureAnger annotates every row of the anger split file and every calm
// message (every calmEvery-th row of calmFile, if its intent is not
// complaint and its text is not in skip) through the running central s.
func measureAnger(t *testing.T, s *Service, split, calmFile string, skip map[string]bool, calmEvery int) angerMeasure {
	t.Helper()
	threshold := s.rt.Config().AngerThreshold
	rows, err := dataset.ReadFile(split, []string{"label"})
	if err != nil {
		t.Fatal(err)
	}
	m := angerMeasure{byLang: map[string]*angerTally{}}
	for _, r := range rows {
		angry := r.Label == "1"
		msg := chat.Message{Text: r.Text}
		s.annotate(&msg)
		if m.byLang[r.Locale] == nil {
			m.byLang[r.Locale] = &angerTally{}
		}
		m.all.add(angry, msg.Anger >= threshold)
		m.byLang[r.Locale].add(angry, msg.Anger >= threshold)
		m.model.add(angry, s.cfg.Anger.Score(r.Text) >= threshold)
		m.keyword.add(angry, router.KeywordAnger(r.Text) >= threshold)
	}
	for _, x := range []struct {
		name string
		c    angerTally
	}{{"central (combined)", m.all}, {"anger.Scorer alone", m.model}, {"router.KeywordAnger alone", m.keyword}} {
		t.Logf("%-26s accuracy %.2f%%  angry precision %.2f%% recall %.2f%%  (%d rows, threshold %.2f)",
			x.name, 100*x.c.accuracy(), 100*x.c.precision(), 100*x.c.recall(), len(rows), threshold)
	}
	for _, l := range []string{"zh", "en", "de", "fr", "es", "ja", "ko", "ru"} {
		if c := m.byLang[l]; c != nil {
			t.Logf("  %s accuracy %.2f%%  angry precision %.2f%% recall %.2f%%", l, 100*c.accuracy(), 100*c.precision(), 100*c.recall())
		}
	}
	calm, err := dataset.ReadFile(calmFile, []string{"intent"})
	if err != nil {
		t.Fatal(err)
	}
	var alarms, modelAlarms int
	for i, r := range calm {
		if r.Label == intentComplaint || skip[r.Text] || i%calmEvery != 0 {
			continue
		}
		m.calm++
		msg := chat.Message{Text: r.Text}
		s.annotate(&msg)
		if msg.Anger >= threshold {
			alarms++
		}
		if s.cfg.Anger.Score(r.Text) >= threshold {
			modelAlarms++
		}
	}
	m.falseAlarms, m.modelFalseAlarms = float64(alarms)/float64(max(1, m.calm)), float64(modelAlarms)/float64(max(1, m.calm))
	t.Logf("false alarms on %d calm messages: central %.2f%%, anger.Scorer alone %.2f%%", m.calm, 100*m.falseAlarms, 100*m.modelFalseAlarms)
	return m
}

// TestAngerAccuracy measures central's combined anger (messageAnger over
// the shipped models, after central's own intent) at the router's threshold
// on the anger test set, and its false alarms on calm shopper messages: the
// intent dev set (12 languages; used by neither the anger model nor its
// weights), without complaints. Report these numbers once; choose on dev
// (TestAngerDev).
//
// Floors, below the measured numbers (models/RESULTS.md) with room for
// retrained models: accuracy 0.80, angry precision 0.85, recall 0.60 and
// above the keyword rule's, false alarms on calm messages 1%.
func TestAngerAccuracy(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	m := measureAnger(t, s, "../models/data/anger/test.jsonl", "../models/data/intent/dev.jsonl", nil, 1)
	if m.all.accuracy() < 0.80 || m.all.precision() < 0.85 || m.all.recall() < 0.60 || m.all.recall() <= m.keyword.recall() || m.falseAlarms > 0.01 {
		t.Fatalf("accuracy %.3f, precision %.3f, recall %.3f (keyword rule %.3f), false alarms %.3f: under the floors",
			m.all.accuracy(), m.all.precision(), m.all.recall(), m.keyword.recall(), m.falseAlarms)
	}
}

// TestAngerDev is TestAngerAccuracy on the anger dev split, the numbers
// settings are chosen on. Its calm messages are the intent training rows
// that the anger training set did not borrow (the intent dev set stays for
// TestAngerAccuracy).
func TestAngerDev(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	used := map[string]bool{}
	for _, f := range []string{"train", "dev", "test"} {
		rows, err := dataset.ReadFile("../models/data/anger/"+f+".jsonl", []string{"label"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			used[r.Text] = true
		}
	}
	// The calm rows are the intent training set (~40,000 rows, 61 s under
	// the race detector on a loaded machine): under it every eighth row;
	// `make test` runs them all once more without it (EXHAUSTIVE).
	calmEvery := 1
	if racebuild.Enabled {
		calmEvery = 8
	}
	m := measureAnger(t, s, "../models/data/anger/dev.jsonl", "../models/data/intent/train.jsonl", used, calmEvery)
	if m.all.precision() < 0.85 || m.all.recall() < 0.60 || m.falseAlarms > 0.01 {
		t.Fatalf("dev precision %.3f, recall %.3f, false alarms %.3f: under the floors", m.all.precision(), m.all.recall(), m.falseAlarms)
	}
}
