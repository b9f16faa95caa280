package edge_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// inboundGate holds an inbound message whose text starts with "hold"
// until release is closed (telling held first), and records the order in
// which the inbound pipeline saw the others.
type inboundGate struct {
	held    chan string
	release chan struct{}
	mu      *sync.Mutex
	seen    *[]string
}

func (g inboundGate) Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	if hook == pluginhost.HookInbound {
		g.mu.Lock()
		*g.seen = append(*g.seen, env.Message.Text)
		g.mu.Unlock()
		if strings.HasPrefix(env.Message.Text, "hold") {
			g.held <- env.Message.Text
			select {
			case <-g.release:
			case <-ctx.Done():
				return pluginhost.Outcome{}, ctx.Err()
			}
		}
	}
	return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
}

func newInboundGate() inboundGate {
	return inboundGate{held: make(chan string, 4), release: make(chan struct{}), mu: new(sync.Mutex), seen: new([]string)}
}

// TestInboundPoolKeepsOrder: a shopper's messages sent back to back, with
// several inbound workers, go through the pipeline, are accepted and reach
// JetStream in the order sent.
func TestInboundPoolKeepsOrder(t *testing.T) {
	g := newInboundGate()
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) {
		c.Plugins = g
		c.InboundWorkers = 4
		c.MessageRate, c.MessageBurst = 1000, 100
	}})
	c := h.dial("demo")
	w := c.hello(chat.Frame{})
	const n = 40
	var ids, texts []string
	for i := range n {
		id := chat.NewID()
		ids, texts = append(ids, id), append(texts, fmt.Sprintf("message %02d", i))
		c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: texts[i], Lang: "en"})
	}
	for i := 0; i < n; {
		f := c.read()
		if f.Type != chat.FrameAccepted {
			continue // replies from minicentral
		}
		if f.ID != ids[i] {
			t.Fatalf("accepted #%d is %q, want %q", i, f.ID, ids[i])
		}
		i++
	}
	g.mu.Lock()
	seen := append([]string(nil), *g.seen...)
	g.mu.Unlock()
	if strings.Join(seen, ",") != strings.Join(texts, ",") {
		t.Fatalf("pipeline order %q", seen)
	}
	got, err := h.resp.WaitInbound(waitCtx(t), n)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range got {
		if e.Message.ConversationID == w.ConversationID {
			order = append(order, e.Message.ID)
		}
	}
	if strings.Join(order, ",") != strings.Join(ids, ",") {
		t.Fatalf("stream order %q, want %q", order, ids)
	}
}

// TestInboundPoolBackPressure: with one worker busy and the queue full, a
// third shopper's message is refused at once with unavailable (the edge is
// busy), counted, and nothing is lost: the held and the queued messages
// are accepted once the worker is free, and the refused one is accepted
// when resent with the same id.
func TestInboundPoolBackPressure(t *testing.T) {
	g := newInboundGate()
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) {
		c.Plugins = g
		c.InboundWorkers = 1
		c.InboundQueue = 1
	}})
	a, b, c := h.dial("demo"), h.dial("demo"), h.dial("demo")
	for _, cl := range []*client{a, b, c} {
		cl.hello(chat.Frame{})
	}
	ida, idb, idc := chat.NewID(), chat.NewID(), chat.NewID()
	a.send(chat.Frame{Type: chat.FrameMessage, ID: ida, Text: "hold me", Lang: "en"})
	select {
	case <-g.held: // a's message holds the only worker
	case <-time.After(time.Minute):
		t.Fatal("the held message never reached the pipeline")
	}
	b.send(chat.Frame{Type: chat.FrameMessage, ID: idb, Text: "queued", Lang: "en"})
	deadline := time.Now().Add(time.Minute)
	for edge.InboundQueued(h.node) < 1 { // b's message waits in the queue
		if time.Now().After(deadline) {
			t.Fatal("the second message never queued")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.send(chat.Frame{Type: chat.FrameMessage, ID: idc, Text: "refused", Lang: "en"})
	e := c.expectError(chat.CodeUnavailable)
	if e.ID != idc || !strings.Contains(e.Reason, "busy") {
		t.Fatalf("busy error %+v", e)
	}
	if v := metricValue(t, h.reg, "kefu_edge_inbound_busy_total", "", ""); v != 1 {
		t.Fatalf("kefu_edge_inbound_busy_total = %v", v)
	}
	close(g.release)
	if f := a.expect(chat.FrameAccepted); f.ID != ida {
		t.Fatalf("a: accepted %q", f.ID)
	}
	if f := b.expect(chat.FrameAccepted); f.ID != idb {
		t.Fatalf("b: accepted %q", f.ID)
	}
	c.send(chat.Frame{Type: chat.FrameMessage, ID: idc, Text: "refused", Lang: "en"})
	if f := c.expect(chat.FrameAccepted); f.ID != idc {
		t.Fatalf("c: accepted %q", f.ID)
	}
	got, err := h.resp.WaitInbound(waitCtx(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range got {
		n[e.Message.ID]++
	}
	if n[ida] != 1 || n[idb] != 1 || n[idc] != 1 || len(got) != 3 {
		t.Fatalf("stored %v", n)
	}
}
