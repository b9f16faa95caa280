package central

import (
	"context"
	"testing"

	"github.com/kefu-io/kefu/chat"
)

// BenchmarkProcess measures central's work for one shopper message that the
// bot answers: store in SQLite, route, knowledge search, store the reply,
// publish the reply and the events. JetStream delivery is not included.
func BenchmarkProcess(b *testing.B) {
	e := newEnv(b)
	s := e.start(e.config())
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-e.out:
			case <-e.evs:
			case <-done:
				return
			}
		}
	}()
	ctx := context.Background()
	for b.Loop() {
		en := envelope("demo", chat.NewID(), "", chat.NewID(), "What is your return policy?", "en")
		if err := s.process(ctx, en); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnnotate measures what central computes for a message without
// hints: language, intent and the combined anger (shipped models).
func BenchmarkAnnotate(b *testing.B) {
	e := newEnv(b)
	s := e.start(e.config())
	for b.Loop() {
		m := chat.Message{Text: "This is the third time I ask, where is my money?! I'll call my lawyer"}
		s.annotate(&m)
	}
}
