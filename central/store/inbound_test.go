package store_test

import (
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// testInboundReply: SaveInboundReply stores the question and the plan's
// reply in one transaction, with the reply's miss and bot failures; a
// redelivered question asks no plan and stores nothing; a plan returning
// nil stores the question alone; the plan sees the conversation as the
// question left it (a queued one stays queued).
func testInboundReply(t *testing.T, s store.Store) {
	at := time.Now().Add(-time.Second)
	var seen []store.Conversation
	reply := func(id, text string, failed bool, miss *store.Miss) store.ReplyPlan {
		return func(c store.Conversation) *store.Reply {
			seen = append(seen, c)
			return &store.Reply{Message: chat.Message{ID: id, Role: chat.RoleBot, Source: chat.SourceCentral, Text: text, ReplyTo: "q1"},
				BotFailed: failed, Miss: miss}
		}
	}
	save := func(in store.Inbound, plan store.ReplyPlan) store.InboundSaved {
		t.Helper()
		got, err := s.SaveInboundReply(ctx, in, plan)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	miss := &store.Miss{Tenant: "demo", Text: "where is the moon", Lang: "en", Reason: "fallback", Score: 0.1, At: at}
	q1 := inbound("demo", "vr", msg("q1", "", "where is the moon"))
	got := save(q1, reply("r1", "sorry", true, miss))
	c := got.Conversation
	if !got.Created || !got.Stored || got.Reply == nil || got.Reply.Message.ConversationID != c.ID {
		t.Fatalf("first: %+v", got)
	}
	if len(seen) != 1 || seen[0].ID != c.ID || seen[0].Status != store.StatusBot || seen[0].LastText != "where is the moon" {
		t.Fatalf("plan saw %+v", seen)
	}
	if c.BotFailures != 1 || c.LastText != "sorry" {
		t.Fatalf("conversation returned %+v", c)
	}
	if row, err := s.Conversation(ctx, "demo", c.ID); err != nil || row.BotFailures != 1 || row.LastText != "sorry" || row.Status != store.StatusBot {
		t.Fatalf("conversation stored %+v %v", row, err)
	}
	// Redelivered: no plan, nothing stored again.
	again := save(q1, reply("r1-again", "sorry", true, miss))
	if again.Stored || again.Created || again.Reply != nil || again.Conversation.ID != c.ID || len(seen) != 1 {
		t.Fatalf("redelivery: %+v, plan runs %d", again, len(seen))
	}
	// A plan with nothing to say: the question alone.
	none := save(inbound("demo", "vr", msg("q2", "", "hello?")), func(store.Conversation) *store.Reply { return nil })
	if !none.Stored || none.Reply != nil || none.Conversation.ID != c.ID || none.Conversation.BotFailures != 1 {
		t.Fatalf("no reply: %+v", none)
	}
	// An answer resets the failures.
	ok := save(inbound("demo", "vr", msg("q3", "", "returns?")), reply("r3", "30 days", false, nil))
	if ok.Reply == nil || ok.Conversation.BotFailures != 0 || ok.Conversation.LastText != "30 days" {
		t.Fatalf("answer: %+v", ok)
	}
	ms, err := s.Messages(ctx, "demo", c.ID, "", 0)
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	if err != nil || len(ids) != 5 || ids[0] != "q1" || ids[1] != "r1" || ids[2] != "q2" || ids[3] != "q3" || ids[4] != "r3" {
		t.Fatalf("messages %v %v", ids, err)
	}
	misses, err := s.Misses(ctx, "demo", at.Add(-time.Minute), 0)
	if err != nil || len(misses) != 1 || misses[0].Text != miss.Text {
		t.Fatalf("misses %+v %v", misses, err)
	}
	// Queued: the plan sees it so (and central's plan then says nothing).
	if _, _, err := s.Handoff(ctx, "demo", c.ID, 10, "asked", time.Now()); err != nil {
		t.Fatal(err)
	}
	seen = nil
	save(inbound("demo", "vr", msg("q4", "", "anyone?")), func(c store.Conversation) *store.Reply {
		seen = append(seen, c)
		return nil
	})
	if len(seen) != 1 || seen[0].Status != store.StatusQueued {
		t.Fatalf("plan saw %+v", seen)
	}
}
