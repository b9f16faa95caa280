package central

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/proccpu"
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

// BenchmarkPipeline measures central on its whole per-message path as the
// stack drives it: shopper envelopes published to JetStream as the edges
// publish them (1,000 shoppers, each sending several messages, so most
// messages join an open conversation), consumed in batches, stored in
// SQLite (or PostgreSQL with KEFU_TEST_CENTRAL_STORE=postgres), answered by
// the knowledge hub and published as replies; one op is one message, timed
// until every reply has arrived.
func BenchmarkPipeline(b *testing.B) {
	e := newEnv(b)
	e.start(e.config())
	replies := make(chan struct{}, 1024)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-e.out:
				replies <- struct{}{}
			case <-e.evs:
			case <-done:
				return
			}
		}
	}()
	const shoppers = 1000
	visitors := make([]string, shoppers)
	for i := range visitors {
		visitors[i] = chat.NewID()
	}
	questions := []string{"What is your return policy?", "How long does shipping take?", "How do I return an item?", "When will my package arrive?"}
	b.ReportAllocs()
	cpu0 := proccpu.Used()
	b.ResetTimer()
	go func() {
		for i := range b.N {
			en := envelope("demo", visitors[i%shoppers], "", chat.NewID(), questions[(i/shoppers)%len(questions)], "en")
			data, err := json.Marshal(en)
			if err != nil {
				b.Error(err)
				return
			}
			m := nats.NewMsg(chat.InboundVisitorSubject(en.Tenant, en.Visitor))
			m.Data = data
			m.Header.Set(nats.MsgIdHdr, en.Message.ID)
			for {
				_, err := e.js.PublishMsgAsync(m)
				if err == nil {
					break
				}
				if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
					b.Error(err)
					return
				}
				<-e.js.PublishAsyncComplete() // too many in flight: wait, then again
			}
		}
	}()
	timeout := time.After(5 * time.Minute)
	for range b.N {
		select {
		case <-replies:
		case <-timeout:
			b.Fatal("replies missing after 5 minutes")
		}
	}
	b.StopTimer()
	// The process's CPU time per message (both cores, user and system):
	// less sensitive than ns/op to what else runs on the machine.
	b.ReportMetric(float64(proccpu.Used()-cpu0)/float64(b.N), "cpu-ns/op")
}
