package edge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// gatedPlugins holds an outbound reply whose text starts with "hold" until
// release is closed (telling held first) and passes everything else.
type gatedPlugins struct {
	held    chan string
	release chan struct{}
}

func (g gatedPlugins) Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	if hook == pluginhost.HookOutbound && strings.HasPrefix(env.Message.Text, "hold") {
		g.held <- env.Message.Text
		select {
		case <-g.release:
		case <-ctx.Done():
			return pluginhost.Outcome{}, ctx.Err()
		}
	}
	return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
}

// TestOutboundLanes: while a reply of conversation A is held in the
// outbound pipeline, a reply of conversation B (on another lane) is
// delivered; once A's is released, A's replies arrive all and in order.
// With one goroutine for every reply (before), B waited behind A.
func TestOutboundLanes(t *testing.T) {
	g := gatedPlugins{held: make(chan string, 1), release: make(chan struct{})}
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) {
		c.Plugins = g
		c.OutboundLanes = 4
	}})
	a := h.dial("demo")
	wa := a.hello(chat.Frame{})
	laneA := edge.OutboundLane(h.node, "demo-tenant", wa.ConversationID)
	var b *client
	var wb chat.Frame
	for range 64 { // each hello starts a conversation; find one on another lane
		c := h.dial("demo")
		w := c.hello(chat.Frame{})
		if edge.OutboundLane(h.node, "demo-tenant", w.ConversationID) != laneA {
			b, wb = c, w
			break
		}
	}
	if b == nil {
		t.Fatal("64 conversations all on one lane of 4")
	}
	say := func(conv, text string) {
		t.Helper()
		if _, err := h.resp.Say("demo-tenant", "eu", conv, text); err != nil {
			t.Fatal(err)
		}
	}
	say(wa.ConversationID, "hold 0")
	if got := <-g.held; got != "hold 0" {
		t.Fatalf("held %q", got)
	}
	const n = 20
	for i := 1; i <= n; i++ {
		say(wa.ConversationID, fmt.Sprintf("a %d", i))
	}
	say(wb.ConversationID, "b")
	if got := nextMessage(b); got.Text != "b" {
		t.Fatalf("B got %+v", got)
	}
	close(g.release)
	for i := 0; i <= n; i++ {
		want := fmt.Sprintf("a %d", i)
		if i == 0 {
			want = "hold 0"
		}
		if got := nextMessage(a); got.Text != want {
			t.Fatalf("A's reply %d: %q, want %q", i, got.Text, want)
		}
	}
}

// nextMessage reads frames until a message.
func nextMessage(c *client) chat.Frame {
	c.t.Helper()
	for {
		if f := c.read(); f.Type == chat.FrameMessage {
			return f
		}
	}
}
