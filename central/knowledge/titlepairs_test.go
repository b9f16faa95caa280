package knowledge

import "testing"

// TestTitlePairs: a bilingual document with title headings gives one FAQ
// pair per language (its title, its first sentences); one about a
// specific entity gives none (central answers it; the browser declines).
func TestTitlePairs(t *testing.T) {
	generic := "---\nid: refund-timing\ntitle: When refunds arrive\n---\n\n# Refund timing / 退款到账时间\n\n" +
		"We refund within 2 business days after the return reaches us. Cards take 3–7 days. PayPal 1 day.\n\n" +
		"退货到仓后 2 个工作日内退款。银行卡 3–7 天到账。PayPal 1 天。\n"
	p, err := Prepare("refund-timing.md", []byte(generic))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]FAQPair{}
	for _, f := range p.Derived.FAQ {
		got[f.Lang] = f
	}
	if len(p.Derived.FAQ) != 2 || got["en"].Question != "Refund timing" || got["zh"].Question != "退款到账时间" ||
		got["en"].Answer != "We refund within 2 business days after the return reaches us. Cards take 3–7 days." ||
		got["zh"].Answer != "退货到仓后 2 个工作日内退款。银行卡 3–7 天到账。" || got["en"].Passage == "" {
		t.Fatalf("FAQ pairs %+v", p.Derived.FAQ)
	}
	specific := "---\nid: ship-canary-islands\ntitle: Shipping to the Canary Islands\nentity: destination: Canary Islands | 加那利群岛\n---\n\n" +
		"# Canary Islands / 加那利群岛\n\nOutside the EU VAT area: 7–10 days, duties on delivery.\n\n加那利群岛不在欧盟增值税区内：7–10 天。\n"
	if p, err = Prepare("ship-canary-islands.md", []byte(specific)); err != nil {
		t.Fatal(err)
	}
	if len(p.Derived.FAQ) != 0 {
		t.Fatalf("a destination document gave FAQ pairs %+v", p.Derived.FAQ)
	}
	// A heading that is a question keeps its own pair, no title pairs.
	if p, err = Prepare("q.md", []byte("# Can I pay by invoice?\n\nYes, companies can pay by invoice within 30 days.\n")); err != nil {
		t.Fatal(err)
	}
	if len(p.Derived.FAQ) != 1 || p.Derived.FAQ[0].Question != "Can I pay by invoice?" {
		t.Fatalf("question heading: %+v", p.Derived.FAQ)
	}
}
