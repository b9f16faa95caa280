package qa

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/knowledge/knowledgetest"
	"github.com/kefu-io/kefu/chat"
)

// TestOffPolicyKnownAnswers scores hand-made conversations against the
// demo knowledge pack: a promise the knowledge contradicts scores 0 with
// both sides quoted and vetoes the pass; replies within policy and
// numbers that are not policy score 1.
func TestOffPolicyKnownAnswers(t *testing.T) {
	h := knowledgetest.DemoHub(t)
	rub := Rubric{SLA: time.Minute, Policy: KnowledgePolicy(context.Background(), h, "demo", nil)}
	conv := func(lines ...string) []chat.Message {
		var out []chat.Message
		for i, l := range lines {
			role, text, _ := strings.Cut(l, ": ")
			out = append(out, chat.Message{ID: "m" + string(rune('a'+i)), Role: chat.Role(role), Text: text, At: t0.Add(time.Duration(10+5*i) * time.Second)})
		}
		return out
	}
	tests := []struct {
		name  string
		msgs  []chat.Message
		score float64
		// the off_policy evidence expected: the reply's words, the fact's
		// words, the source document and the message quoted.
		promise, fact, doc, msg string
	}{
		{"return-window-en", conv("shopper: Can I still return the jacket next month?", "agent: Hi! Yes, you can return it within 60 days. Anything else?"),
			0, "60 days", "30 days", "returns-policy", "mb"},
		{"free-shipping-zh-subject-from-shopper", conv("shopper: 寄到加那利群岛要运费吗？", "agent: 您好，包邮的哦，祝您购物愉快。"),
			0, "包邮", "$14.90", "ship-canary-islands", "mb"},
		{"delivery-subject-from-shopper", conv("shopper: How long does delivery to Lanzarote take?", "agent: Hello! Sorry for the wait.",
			"shopper: ?", "agent: It arrives in 2 days. Anything else?"), 0, "2 days", "7–12 business days", "ship-canary-islands", "md"},
		{"refund-de", conv("shopper: Wann bekomme ich mein Geld?", "agent: Hallo! Wir erstatten den Betrag innerhalb von 24 Stunden."),
			0, "24 Stunden", "2 business days", "refund-timing", "mb"},
		{"within-policy-with-order-id-and-price", conv("shopper: Where is my order 100234?",
			"agent: Hi, order #100234 ($89.00) left our warehouse today and delivery to Tenerife takes 7–12 business days. Anything else?"),
			1, "", "", "", ""},
		{"within-policy-zh", conv("shopper: 退货期多久？", "agent: 您好，签收后30天内可以退货，祝您愉快。"), 1, "", "", "", ""},
	}
	for _, tc := range tests {
		res := Score(rub, tc.msgs, t0, true)
		it := item(res, OffPolicy)
		if !it.Applies || it.Score != tc.score {
			t.Errorf("%s: off_policy %+v, want score %v", tc.name, it, tc.score)
			continue
		}
		if tc.score == 1 {
			if it.Policy != nil {
				t.Errorf("%s: finding on a reply within policy: %+v", tc.name, it.Policy)
			}
			continue
		}
		p := it.Policy
		if p == nil || !strings.Contains(p.Sentence, tc.promise) || !strings.Contains(p.Fact, tc.fact) || p.Doc != tc.doc ||
			it.MessageID != tc.msg || !strings.Contains(it.Evidence, tc.promise) || !strings.Contains(it.Evidence, tc.fact) || p.Title == "" {
			t.Errorf("%s: evidence %+v policy %+v, want %q against %q from %s in %s", tc.name, it, p, tc.promise, tc.fact, tc.doc, tc.msg)
		}
		if res.Pass || res.Score >= PassScore {
			t.Errorf("%s: a promise outside policy passes: %+v", tc.name, res)
		}
	}
	// Without a knowledge check the item is left out.
	if it := item(Score(Rubric{SLA: time.Minute}, tests[0].msgs, t0, true), OffPolicy); it.Name != "" {
		t.Errorf("off_policy without knowledge: %+v", it)
	}
}
