package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/proccpu"
)

// BenchmarkSaveInboundReply measures SQLite's share of central's work per
// answered question: the question and the bot's answer stored in one
// transaction, as central's lanes store them: 64 writers at once (their
// transactions share commits), 1,000 visitors, each call with a context
// that can end (central's carries the message's timeout). cpu-ns/op is the
// process's CPU time (user + system) per question.
func BenchmarkSaveInboundReply(b *testing.B) {
	s, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	saveInboundReplies(b, s, func(i int64) store.Inbound {
		return inbound("demo", fmt.Sprintf("v%d", i%1000), msg(chat.NewID(), "", "where is my order?"))
	})
}

// BenchmarkSaveInboundReplyFirst compares a conversation's first message
// (a new visitor and the conversation id its edge made up: the row is
// created) with a later one (10,000 conversations created before the
// timer, written to in turn), as central's lanes store them: 64 writers
// at once, question and answer in one transaction. cpu-ns/op is the
// process's CPU time per question.
func BenchmarkSaveInboundReplyFirst(b *testing.B) {
	const convs = 10000
	for _, first := range []bool{true, false} {
		name := "later"
		if first {
			name = "first"
		}
		b.Run(name, func(b *testing.B) {
			s, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ids := make([]string, convs)
			for i := range ids {
				ids[i] = chat.NewID()
				if !first {
					in := inbound("demo", fmt.Sprintf("v%d", i), msg(chat.NewID(), ids[i], "hello"))
					if _, err := s.SaveInboundReply(ctx, in, nil); err != nil {
						b.Fatal(err)
					}
				}
			}
			saveInboundReplies(b, s, func(i int64) store.Inbound {
				visitor, conv := fmt.Sprintf("v%d", i%convs), ids[i%convs]
				if first {
					visitor, conv = fmt.Sprintf("n%d", i), chat.NewID()
				}
				return inbound("demo", visitor, msg(chat.NewID(), conv, "where is my order?"))
			})
		})
	}
}

// saveInboundReplies stores question next(i) and the bot's answer in one
// transaction per call, from 32 × GOMAXPROCS writers at once (their
// transactions share commits), each call with a context that can end
// (central's carries the message's timeout), and reports cpu-ns/op: the
// process's CPU time (user + system) per question.
func saveInboundReplies(b *testing.B, s store.Store, next func(i int64) store.Inbound) {
	var n atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	start := proccpu.Used()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			in := next(n.Add(1))
			plan := func(store.Conversation) *store.Reply {
				return &store.Reply{Message: chat.Message{ID: chat.NewID(), Role: chat.RoleBot, Source: chat.SourceCentral,
					Text: "You can follow your order from the link in its confirmation e-mail.", ReplyTo: in.Message.ID}}
			}
			c, cancel := context.WithTimeout(ctx, time.Minute)
			_, err := s.SaveInboundReply(c, in, plan)
			cancel()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(proccpu.Used()-start)/float64(b.N), "cpu-ns/op")
}
