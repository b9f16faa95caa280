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
