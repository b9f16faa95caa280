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

// TestAnswerAllocs: a question's answer reuses the features, sort and
// similarity buffers of the last one (matchScratch) and looks features up
// in the index's own table; what is left is a lower-cased copy of a text
// with capitals (AngerScore, OrderSpecific). Before, 5–17 allocations a
// question: in the page every one was garbage the core, which runs with
// GOGC=off, never collects.
func TestAnswerAllocs(t *testing.T) {
	c := New(DefaultConfig())
	if err := c.LoadFAQ(defaultPack(t)); err != nil {
		t.Fatal(err)
	}
	_ = c.SetModel(ModelIntent, textClassifier{loadIntentModel(t, "")})
	_ = c.SetModel(ModelLangID, textClassifier{loadLangIDModel(t)})
	tests := []struct {
		q   string
		max float64
	}{
		{"what is your return policy?", 0},
		{"退货政策是什么?", 0},
		{"can i swap these sneakers for a bigger size, they pinch at the toes", 0},
		{"Wie lange dauert der Versand nach Österreich und was kostet das?", 2},
	}
	for _, tt := range tests {
		c.Answer(tt.q) // the buffers grow once
		n := testing.AllocsPerRun(50, func() { c.Answer(tt.q) })
		if n > tt.max {
			t.Errorf("Answer(%q): %v allocations, want at most %v", tt.q, n, tt.max)
		}
	}
}
