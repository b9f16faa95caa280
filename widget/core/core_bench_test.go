package core

import "testing"

func BenchmarkAnswer(b *testing.B) {
	c := newCore(b)
	for _, q := range []string{"What is your return policy?", "退货政策是什么?", "I want to talk to a human about something else entirely"} {
		b.Run(q[:6], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Answer(q)
			}
		})
	}
}

// BenchmarkAnswerShipped is the browser's configuration: the default pack
// (31 entries, ~600 paraphrases in 12 languages) with the shipped langid
// and intent models. Answer must stay well under 100 µs natively.
func BenchmarkAnswerShipped(b *testing.B) {
	c := New(DefaultConfig())
	if err := c.LoadFAQ(defaultPack(b)); err != nil {
		b.Fatal(err)
	}
	_ = c.SetModel(ModelIntent, textClassifier{loadIntentModel(b, "")})
	_ = c.SetModel(ModelLangID, textClassifier{loadLangIDModel(b)})
	for _, q := range []string{
		"What is your return policy?",
		"退货政策是什么?",
		"can I swap these sneakers for a bigger size, they pinch at the toes",
		"Wie lange dauert der Versand nach Österreich und was kostet das?",
	} {
		b.Run(q[:6], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Answer(q)
			}
		})
	}
}

func BenchmarkLoadFAQ(b *testing.B) {
	entries := loadPack(b)
	c := New(DefaultConfig())
	b.ReportAllocs()
	for b.Loop() {
		if err := c.LoadFAQ(entries); err != nil {
			b.Fatal(err)
		}
	}
}
