package core

import "testing"

// TestDecisionRules walks the rules of the package doc on the default pack
// with a fake intent model, one case per branch.
func TestDecisionRules(t *testing.T) {
	c := New(DefaultConfig())
	if err := c.LoadFAQ(defaultPack(t)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		text   string
		label  string
		p      float32
		faq    string
		intent string
	}{
		{"model alone, sole entry", "what do u accept, visa?", "payment_methods", 0.97, "payment_methods", "payment_methods"},
		{"model unsure, nothing similar", "what do u accept, visa?", "payment_methods", 0.9, "", "payment_methods"},
		{"model alone, main entry clearly closest", "How much is shipping?", "shipping_cost", 0.99, "shipping_cost", "shipping_cost"},
		{"sub-topic singled out", "Which countries do you ship to?", "shipping_cost", 0.99, "international_shipping", "shipping_cost"},
		{"sub-topic singled out by a new wording", "customs duties?", "shipping_cost", 0.99, "international_shipping", "shipping_cost"},
		// With sub-topics, the main entry must also be clearly the closest.
		{"main entry not told apart from its sub-topic", "postage?", "shipping_cost", 0.99, "", "shipping_cost"},
		{"edge intent stops even an exact paraphrase", "What is your return policy?", "human_agent", 0.35, "", "human_agent"},
		{"escalation entry is never local", "My item arrived damaged", "complaint", 0.2, "", "complaint"},
		{"contradicted similarity", "What is your return policy?", "shipping_cost", 0.6, "", "shipping_cost"},
		{"weak other label does not contradict", "What is your return policy?", "shipping_cost", 0.45, "return_policy", "return_policy"},
		{"entry without intent cannot be contradicted", "Do you offer gift wrapping?", "promotion", 0.8, "gift_wrapping", "promotion"},
		{"model alone never answers a live-data intent", "is the blue one in stock", "stock_availability", 0.99, "", "stock_availability"},
		{"order-specific text", "How do I return my order KD20240611-0042?", "return_policy", 0.99, "", "return_policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.SetModel(ModelIntent, fakeModel{tt.text: {tt.label, tt.p}}); err != nil {
				t.Fatal(err)
			}
			r, ok := c.Answer(tt.text)
			if r.FAQID != tt.faq || ok != (tt.faq != "") || r.Intent != tt.intent {
				t.Errorf("Answer(%q) = %+v, %v; want faq %q intent %q", tt.text, r, ok, tt.faq, tt.intent)
			}
		})
	}
}
