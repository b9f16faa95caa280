package knowledge_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/knowledge/knowledgetest"
)

// TestExtractClaims reads quantities, units and relations in five languages.
func TestExtractClaims(t *testing.T) {
	tests := []struct {
		text     string
		rel      string // "" when the text states no claim
		min, max float64
		free     bool
	}{
		{"You can return items within 30 days of delivery.", knowledge.RelReturnWindow, 30, 30, false},
		{"Delivery takes 7–12 business days after dispatch.", knowledge.RelDeliveryTime, 7, 12, false},
		{"We refund within 24 hours.", knowledge.RelRefundTime, 1, 1, false},
		{"Headphones come with a 3-year warranty.", knowledge.RelWarranty, 1095, 1095, false},
		{"You have two weeks to send it back.", knowledge.RelReturnWindow, 14, 14, false},
		{"Shipping costs $14.90.", knowledge.RelShippingCost, 14.9, 14.9, false},
		{"Free shipping to Tenerife!", knowledge.RelShippingCost, 0, 0, true},
		{"No customs fees on this order.", knowledge.RelFee, 0, 0, true},
		{"签收后三十天内可以退货。", knowledge.RelReturnWindow, 30, 30, false},
		{"退款24小时内到账。", knowledge.RelRefundTime, 1, 1, false},
		{"耳机保修两年。", knowledge.RelWarranty, 730, 730, false},
		{"发货后 7–12 个工作日送达。", knowledge.RelDeliveryTime, 7, 12, false},
		{"寄到加那利群岛包邮。", knowledge.RelShippingCost, 0, 0, true},
		{"运费 6 美元。", knowledge.RelShippingCost, 6, 6, false},
		{"Sie können den Artikel innerhalb von 60 Tagen zurückgeben.", knowledge.RelReturnWindow, 60, 60, false},
		{"Der Versand ist kostenlos.", knowledge.RelShippingCost, 0, 0, true},
		{"Die Garantie beträgt drei Jahre.", knowledge.RelWarranty, 1095, 1095, false},
		{"Vous pouvez retourner l'article sous 60 jours.", knowledge.RelReturnWindow, 60, 60, false},
		{"La livraison coûte 14,90 €.", knowledge.RelShippingCost, 14.9, 14.9, false},
		{"Puede devolverlo en un plazo de 60 días.", knowledge.RelReturnWindow, 60, 60, false},
		{"El envío es gratis.", knowledge.RelShippingCost, 0, 0, true},
		// No claim: an order id, a price, a date, the past, a threshold, "feel free".
		{"Your order #100234 of $89.00 left our warehouse today.", "", 0, 0, false},
		{"You ordered 40 days ago.", "", 0, 0, false},
		{"请在3月5日前完成退货。", "", 0, 0, false},
		{"黑色星期五从前一个周四开始。", "", 0, 0, false},
		{"Feel free to ask if you need anything else.", "", 0, 0, false},
		{"Shipping to the Canary Islands is not free.", "", 0, 0, false},
		{"Orders over $49 ship free.", knowledge.RelShippingCost, 0, 0, true},
	}
	for _, tc := range tests {
		cs := knowledge.ExtractClaims(tc.text)
		if tc.rel == "" {
			if len(cs) != 0 {
				t.Errorf("%q: want no claim, got %+v", tc.text, cs)
			}
			continue
		}
		if len(cs) != 1 {
			t.Errorf("%q: want one claim, got %+v", tc.text, cs)
			continue
		}
		c := cs[0]
		if c.Relation != tc.rel || math.Abs(c.Min-tc.min) > 1e-9 || math.Abs(c.Max-tc.max) > 1e-9 || c.Free != tc.free || c.Sentence == "" {
			t.Errorf("%q: got %+v, want %s %v–%v free=%v", tc.text, c, tc.rel, tc.min, tc.max, tc.free)
		}
	}
}

// TestContradictionsDemoPack checks agents' replies against the demo
// knowledge pack (assets/kb): promises outside policy are found with the
// passage that says otherwise; replies within policy, and numbers that
// are not policy (order ids, prices, dates), are not.
func TestContradictionsDemoPack(t *testing.T) {
	h := knowledge.NewHub(knowledge.HubOptions{})
	defer h.Close()
	ctx := context.Background()
	if err := h.Load(ctx, "demo", knowledgetest.DemoDocs(t), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		reply, about string
		// rel, doc and policy (a part of the quoted policy sentence) of
		// the one conflict expected; rel "" expects none.
		rel, doc, policy, entity string
	}{
		{"You can return it within 60 days.", "", knowledge.RelReturnWindow, "returns-policy", "30 days", ""},
		{"Shipping to the Canary Islands is free.", "", knowledge.RelShippingCost, "ship-canary-islands", "$14.90", "Canary Islands"},
		{"We refund in 24 hours.", "", knowledge.RelRefundTime, "refund-timing", "2 business days", ""},
		{"Delivery to Tenerife takes 3 days.", "", knowledge.RelDeliveryTime, "ship-canary-islands", "7–12 business days", "Canary Islands"},
		{"Headphones come with a 3-year warranty.", "", knowledge.RelWarranty, "warranty-headphones", "2 years", "Headphones and earbuds"},
		{"Cash on delivery is free of charge.", "", knowledge.RelFee, "fee-cod", "$3.50", "Cash on delivery fee"},
		{"No customs fees when you order to the Canary Islands.", "", knowledge.RelFee, "ship-canary-islands", "$6 customs handling fee", "Canary Islands"},
		{"Good news: shipping is free for you!", "How much is shipping to Lanzarote?", knowledge.RelShippingCost, "ship-canary-islands", "$14.90", "Canary Islands"},
		{"您可以在60天内退货。", "", knowledge.RelReturnWindow, "returns-policy", "30 天内", ""},
		{"亲，寄到加那利群岛包邮哦。", "", knowledge.RelShippingCost, "ship-canary-islands", "运费 $14.90", "Canary Islands"},
		{"耳机保修三年。", "", knowledge.RelWarranty, "warranty-headphones", "保修2 年", "Headphones and earbuds"},
		{"退款24小时内到账。", "", knowledge.RelRefundTime, "refund-timing", "2 个工作日内退款", ""},
		{"Sie können den Artikel innerhalb von 60 Tagen zurückgeben.", "", knowledge.RelReturnWindow, "returns-policy", "30 days", ""},
		{"La livraison à Tenerife est gratuite.", "", knowledge.RelShippingCost, "ship-canary-islands", "$14.90", "Canary Islands"},
		{"Puede devolverlo en un plazo de 60 días.", "", knowledge.RelReturnWindow, "returns-policy", "30 days", ""},
		{"Delivery to Canada takes 2 days.", "", knowledge.RelDeliveryTime, "ship-canada", "5–9 business days", "Canada"},
		// Within policy.
		{"You can return it within 30 days.", "", "", "", "", ""},
		{"Express delivery to Canada arrives in 2–3 business days.", "", "", "", "", ""},
		{"您可以在30天内退货。", "", "", "", "", ""},
		{"Headphones have a 2 years warranty.", "", "", "", "", ""},
		{"Shipping to Germany is free over $49.", "", "", "", "", ""},
		{"Shipping to the Canary Islands is not free: it costs $14.90.", "", "", "", "", ""},
		{"We refund within 2 business days after the return reaches our warehouse.", "", "", "", "", ""},
		{"The Aurora Storm Jacket costs $129 and delivery to Tenerife takes 7–12 business days.", "", "", "", "", ""},
		// Numbers that are not policy.
		{"Your order #100234 of $89.00 left our warehouse today.", "", "", "", "", ""},
		{"Order 4412 was placed 40 days ago, so the 30-day return window has passed.", "", "", "", "", ""},
		{"请在3月5日前完成退货，订单号 20260305。", "", "", "", "", ""},
		{"Feel free to ask if you need anything else.", "", "", "", "", ""},
	}
	for _, tc := range tests {
		cs, err := h.Contradictions(ctx, "demo", tc.reply, tc.about)
		if err != nil {
			t.Fatal(err)
		}
		if tc.rel == "" {
			if len(cs) != 0 {
				t.Errorf("%q: want no conflict, got %+v", tc.reply, cs)
			}
			continue
		}
		if len(cs) != 1 {
			t.Errorf("%q: want one conflict, got %+v", tc.reply, cs)
			continue
		}
		c := cs[0]
		if c.Promise.Relation != tc.rel || c.Source.Doc != tc.doc || !strings.Contains(c.Policy.Sentence, tc.policy) || c.Entity != tc.entity ||
			c.Promise.Sentence == "" || c.Source.Passage == "" || c.Source.Title == "" {
			t.Errorf("%q: got %+v (policy %q), want %s from %s quoting %q about %q", tc.reply, c, c.Policy.Sentence, tc.rel, tc.doc, tc.policy, tc.entity)
		}
	}
	if cs, err := h.Contradictions(ctx, "nobody", "You can return it within 60 days.", ""); err != nil || len(cs) != 0 {
		t.Errorf("tenant without knowledge: %+v %v", cs, err)
	}
}

// TestDemoPackAgreesWithItself reads every passage of the demo pack as if
// an agent had written it (the document's title as the shopper's
// question): the knowledge must not contradict itself, so every finding
// here is a misreading.
func TestDemoPackAgreesWithItself(t *testing.T) {
	h := knowledge.NewHub(knowledge.HubOptions{})
	defer h.Close()
	ctx := context.Background()
	docs := knowledgetest.DemoDocs(t)
	if err := h.Load(ctx, "demo", docs, nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range docs {
		for _, p := range d.Derived.Passages {
			n++
			cs, err := h.Contradictions(ctx, "demo", p.Text, d.Title)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				t.Errorf("%s: %q (%s) contradicts %s: %q", d.ID, c.Promise.Sentence, c.Promise, c.Source.Doc, c.Policy.Sentence)
			}
		}
	}
	t.Logf("%d passages of %d documents read without a contradiction", n, len(docs))
}
