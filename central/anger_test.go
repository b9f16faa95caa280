package central

import (
	"fmt"
	"testing"

	"github.com/kefu-io/kefu/central/router"
	"github.com/kefu-io/kefu/chat"
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

// TestAngerAccuracy measures central's combined anger (messageAnger over
// the shipped models, after central's own intent) at the router's threshold
// on the anger test set, and its false alarms on calm shopper messages.
//
// Floors: accuracy 0.66, above the 0.615 of answering "calm" always (which
// is what the keyword rule alone scores on this set: it never reaches the
// threshold there) and below the 0.71 measured, leaving room for retrained
// models; angry precision 0.75; false alarms on calm messages 1%, the reason
// for the corroboration rule (the model alone raises about 3%).
func TestAngerAccuracy(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	threshold := s.rt.Config().AngerThreshold
	rows, err := dataset.ReadFile("../models/data/anger/test.jsonl", []string{"label"})
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ tp, fp, fn, tn int }
	add := func(c *tally, angry, said bool) {
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
	var all, model, keyword tally
	byLang := map[string]*tally{}
	for _, r := range rows {
		angry := r.Label == "1"
		m := chat.Message{Text: r.Text}
		s.annotate(&m)
		if byLang[r.Locale] == nil {
			byLang[r.Locale] = &tally{}
		}
		add(&all, angry, m.Anger >= threshold)
		add(byLang[r.Locale], angry, m.Anger >= threshold)
		add(&model, angry, s.cfg.Anger.Score(r.Text) >= threshold)
		add(&keyword, angry, router.KeywordAnger(r.Text) >= threshold)
	}
	acc := func(c tally) float64 { return float64(c.tp+c.tn) / float64(c.tp+c.fp+c.fn+c.tn) }
	prec := func(c tally) float64 { return float64(c.tp) / max(1, float64(c.tp+c.fp)) }
	rec := func(c tally) float64 { return float64(c.tp) / max(1, float64(c.tp+c.fn)) }
	for _, x := range []struct {
		name string
		c    tally
	}{{"central (combined)", all}, {"anger.Scorer alone", model}, {"router.KeywordAnger alone", keyword}} {
		t.Logf("%-26s accuracy %.2f%%  angry precision %.2f%% recall %.2f%%  (%d rows, threshold %.2f)",
			x.name, 100*acc(x.c), 100*prec(x.c), 100*rec(x.c), len(rows), threshold)
	}
	for _, l := range []string{"zh", "en", "de", "fr", "es", "ja", "ko", "ru"} {
		if c := byLang[l]; c != nil {
			t.Logf("  %s accuracy %.2f%%", l, 100*acc(*c))
		}
	}

	// False alarms on calm messages: the intent dev set (12 languages; not
	// used by the anger model or its weights), without complaints.
	calm, err := dataset.ReadFile("../models/data/intent/dev.jsonl", []string{"intent"})
	if err != nil {
		t.Fatal(err)
	}
	var n, alarms, modelAlarms int
	for _, r := range calm {
		if r.Label == intentComplaint {
			continue
		}
		n++
		m := chat.Message{Text: r.Text}
		s.annotate(&m)
		if m.Anger >= threshold {
			alarms++
		}
		if s.cfg.Anger.Score(r.Text) >= threshold {
			modelAlarms++
		}
	}
	fa, modelFA := float64(alarms)/float64(n), float64(modelAlarms)/float64(n)
	t.Logf("false alarms on %d calm messages: central %.2f%%, anger.Scorer alone %.2f%%", n, 100*fa, 100*modelFA)

	if acc(all) < 0.66 || prec(all) < 0.75 || rec(all) <= rec(keyword) || fa > 0.01 {
		t.Fatalf("accuracy %.3f, precision %.3f, recall %.3f (keyword rule %.3f), false alarms %.3f: under the floors",
			acc(all), prec(all), rec(all), rec(keyword), fa)
	}
}
