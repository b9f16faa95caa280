package edge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// scriptedPlugins decides by the message text, standing in for
// pluginhost.Host at the edge.Plugins seam.
type scriptedPlugins struct{}

func (scriptedPlugins) Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	out := pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}
	text := env.Message.Text
	switch {
	case hook == pluginhost.HookOutbound && strings.Contains(text, "secret"):
		out.Verdict, out.Reason, out.Plugin = pluginhost.Drop, "leak", "dlp"
	case hook == pluginhost.HookOutbound:
		out.Verdict = pluginhost.Modify
		out.Envelope.Message.Text = "[" + region + "] " + text
	case text == "answer me":
		out.Verdict, out.Answer, out.Plugin = pluginhost.Answer, "answered at the edge", "order-status"
	case text == "drop me":
		out.Verdict, out.Reason, out.Plugin = pluginhost.Drop, "sensitive word", "sensitive-alert"
	case text == "escalate me":
		out.Verdict, out.Reason, out.Plugin = pluginhost.Escalate, "angry", "anger"
	case strings.HasPrefix(text, "call me at"):
		out.Verdict = pluginhost.Modify
		out.Envelope.Message.Text = "call me at [PHONE]"
		out.Envelope.Message.ID = "forged" // plugins must not change identity
		out.Envelope.Tenant = "other"
		out.Envelope.SetLabel("pii", "PHONE")
	case text == "fail closed":
		return pluginhost.Outcome{}, fmt.Errorf("pii-redact: trap: %w", pluginhost.ErrPluginFailed)
	case text == "panic":
		panic("plugin host bug")
	case text == "empty it":
		out.Verdict = pluginhost.Modify
		out.Envelope.Message.Text = ""
	}
	return out, nil
}

func TestPluginOutcomes(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.Plugins = scriptedPlugins{} }})
	c := h.dial("demo")
	w := c.hello(chat.Frame{})

	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "answer me"})
	c.expect(chat.FrameAccepted)
	r := c.expect(chat.FrameMessage)
	if r.Source != chat.SourceEdge || r.Role != chat.RoleBot || r.Text != "answered at the edge" || r.ReplyTo != id || r.Author != "order-status" {
		t.Fatalf("edge answer %+v", r)
	}

	for _, tt := range []struct{ text, code string }{
		{"drop me", chat.CodeDropped},
		{"fail closed", chat.CodeUnavailable},
		{"panic", chat.CodeUnavailable},
		{"empty it", chat.CodeUnavailable},
	} {
		id := chat.NewID()
		c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: tt.text})
		if e := c.expectError(tt.code); e.ID != id {
			t.Fatalf("%q: error for %q", tt.text, e.ID)
		}
		c.alive()
	}
	if e := h.resp.Inbound(); len(e) != 0 {
		t.Fatalf("refused messages reached central: %+v", e)
	}

	esc := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: esc, Text: "escalate me"})
	c.expect(chat.FrameAccepted)
	if r := c.expect(chat.FrameMessage); r.Text != "[eu] echo: escalate me" {
		t.Fatalf("outbound pipeline not applied: %+v", r)
	}
	mod := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: mod, Text: "call me at 555-0100"})
	c.expect(chat.FrameAccepted)
	if r := c.expect(chat.FrameMessage); r.Text != "[eu] echo: call me at [PHONE]" {
		t.Fatalf("modified text not forwarded: %+v", r)
	}
	got, err := h.resp.WaitInbound(waitCtx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Message.ID != esc || got[0].Label("escalate") != "angry" {
		t.Fatalf("escalated envelope %+v", got[0])
	}
	if got[1].Message.ID != mod || got[1].Tenant != "demo-tenant" || got[1].Message.Text != "call me at [PHONE]" ||
		got[1].Label("pii") != "PHONE" {
		t.Fatalf("modified envelope %+v", got[1])
	}

	// An outbound reply a plugin drops never reaches the shopper.
	if _, err := h.resp.Say("demo-tenant", "eu", w.ConversationID, "the secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.resp.Say("demo-tenant", "eu", w.ConversationID, "fine"); err != nil {
		t.Fatal(err)
	}
	if r := c.expect(chat.FrameMessage); r.Text != "[eu] fine" {
		t.Fatalf("got %+v", r)
	}
}

func TestJetStreamDownThenRetry(t *testing.T) {
	h := newHarness(t, harnessOpts{noJetStream: true})
	c := h.dial("demo")
	c.hello(chat.Frame{})
	id := chat.NewID()
	msg := chat.Frame{Type: chat.FrameMessage, ID: id, Text: "are you there?"}
	c.send(msg)
	if e := c.expectError(chat.CodeUnavailable); e.ID != id {
		t.Fatalf("unavailable for %q", e.ID)
	}
	c.alive()

	if err := h.srv.EnableJetStream(&server.JetStreamConfig{StoreDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the client's retry, and a retry of the retry
		c.send(msg)
		if a := c.expect(chat.FrameAccepted); a.ID != id {
			t.Fatalf("accepted %q", a.ID)
		}
	}
	js, err := jetstream.New(h.nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(waitCtx(t), chat.StreamInbound)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(waitCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1", info.State.Msgs)
	}
	raw, err := st.GetLastMsgForSubject(waitCtx(t), chat.InboundSubject("demo-tenant"))
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Header.Get(jetstream.MsgIDHeader); got != id {
		t.Fatalf("Nats-Msg-Id %q want %q", got, id)
	}
}
