package edge_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// TestQueueFramesToShopper: queue.position reaches the shopper with
// position and wait_s (also 0), typing and csat.request too; the agents'
// own events (notes, presence) do not.
func TestQueueFramesToShopper(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	w := c.hello(chat.Frame{})
	pub := func(ev chat.Event) {
		ev.V, ev.Tenant, ev.ConversationID = 1, "demo-tenant", w.ConversationID
		b, _ := json.Marshal(ev)
		if err := h.nc.Publish(chat.EventsSubject(ev.Tenant), b); err != nil {
			t.Fatal(err)
		}
	}
	pub(chat.Event{Type: chat.EventNote, Agent: "ann", Message: &chat.Message{ID: "n1", Text: "secret note"}})
	pub(chat.Event{Type: chat.EventPresence, Agent: "ann", Reason: "online"})
	pub(chat.Event{Type: chat.EventQueuePosition, Queue: &chat.QueueInfo{Position: 1, WaitS: 0}})
	pub(chat.Event{Type: chat.EventQueuePosition, Queue: &chat.QueueInfo{Position: 2, WaitS: 3600, Reason: chat.QueueClosed, OpensAt: 1_800_000_000_000}})
	pub(chat.Event{Type: chat.EventTyping, Agent: "Ann"})
	pub(chat.Event{Type: chat.EventCSATRequest})
	f := c.expect(chat.FrameEvent)
	if f.Event != "queue.position" || f.Position == nil || *f.Position != 1 || f.WaitS == nil || *f.WaitS != 0 || f.Reason != "" {
		t.Fatalf("first position %+v", f)
	}
	f = c.expect(chat.FrameEvent)
	if *f.Position != 2 || *f.WaitS != 3600 || f.Reason != chat.QueueClosed || f.At != 1_800_000_000_000 {
		t.Fatalf("after hours %+v", f)
	}
	if f = c.expect(chat.FrameEvent); f.Event != string(chat.EventTyping) || f.Author != "Ann" {
		t.Fatalf("typing %+v", f)
	}
	if f = c.expect(chat.FrameEvent); f.Event != string(chat.EventCSATRequest) {
		t.Fatalf("csat request %+v", f)
	}
}

// TestTypingAndCSATFrames: typing goes to central's typing subject
// (throttled), csat travels on JetStream with its label and is accepted;
// bad ratings are refused.
func TestTypingAndCSATFrames(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	sub, err := h.nc.SubscribeSync(chat.TypingSubject("demo-tenant"))
	if err != nil {
		t.Fatal(err)
	}
	_ = h.nc.Flush()
	c := h.dial("demo")
	c.send(chat.Frame{Type: chat.FrameTyping})
	c.expectError(chat.CodeNeedHello)
	w := c.hello(chat.Frame{})
	c.send(chat.Frame{Type: chat.FrameTyping})
	c.send(chat.Frame{Type: chat.FrameTyping}) // within a second: dropped
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var ev chat.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Type != chat.EventTyping || ev.ConversationID != w.ConversationID || ev.Reason != "shopper" {
		t.Fatalf("typing %+v %v", ev, err)
	}
	if _, err := sub.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatal("second typing within a second was forwarded")
	}
	for _, bad := range []chat.Frame{{Type: chat.FrameCSAT, ID: "r0", Rating: 6}, {Type: chat.FrameCSAT, Rating: 3}} {
		c.send(bad)
		c.expectError(chat.CodeBadFrame)
	}
	c.send(chat.Frame{Type: chat.FrameCSAT, ID: "r1", Score: 4, Text: "nice"})
	if f := c.expect(chat.FrameAccepted); f.ID != "r1" {
		t.Fatalf("accepted %+v", f)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := h.resp.WaitInbound(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if env := got[0]; env.Label(chat.LabelCSAT) != "4" || env.Message.Text != "nice" || env.Message.ConversationID != w.ConversationID {
		t.Fatalf("csat envelope %+v", env)
	}
}
