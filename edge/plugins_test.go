package edge_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
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
	case text == "answer badly":
		out.Verdict, out.Answer, out.Plugin = pluginhost.Answer, "\xff\xfe", "broken"
	case text == "answer and empty it":
		out.Verdict, out.Answer, out.Plugin = pluginhost.Answer, "fine", "broken"
		out.Envelope.Message.Text = ""
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

	// An edge answer comes at once, before accepted (which waits for
	// JetStream); the message and the answer go on to central.
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "answer me", Lang: "en"})
	r := c.expect(chat.FrameMessage)
	if r.Source != chat.SourceEdge || r.Role != chat.RoleBot || r.Text != "answered at the edge" || r.ReplyTo != id ||
		r.Author != "order-status" || r.ID != edge.EdgeAnswerID("demo-tenant", id) || r.ConversationID != w.ConversationID {
		t.Fatalf("edge answer %+v", r)
	}
	if a := c.expect(chat.FrameAccepted); a.ID != id {
		t.Fatalf("accepted %q", a.ID)
	}

	for _, tt := range []struct{ text, code string }{
		{"drop me", chat.CodeDropped},
		{"fail closed", chat.CodeUnavailable},
		{"panic", chat.CodeUnavailable},
		{"empty it", chat.CodeUnavailable},
		{"answer badly", chat.CodeUnavailable},        // no answer frame first
		{"answer and empty it", chat.CodeUnavailable}, // nor here
	} {
		id := chat.NewID()
		c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: tt.text})
		if e := c.expectError(tt.code); e.ID != id {
			t.Fatalf("%q: error for %q", tt.text, e.ID)
		}
		c.alive()
	}
	// accepted means JetStream stored it; central's consumer may still be on
	// its way, so wait for it before checking that nothing else arrived.
	if _, err := h.resp.WaitInbound(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	if e := h.resp.Inbound(); len(e) != 1 || e[0].Message.ID != id {
		t.Fatalf("refused messages reached central: %+v", e)
	}
	if e := h.resp.Inbound()[0]; e.Message.Text != "answer me" || e.Label(edge.LabelEdgeAnswerID) != r.ID ||
		e.Label(edge.LabelEdgeAnswerText) != r.Text || e.Label(edge.LabelEdgeAnswerPlugin) != "order-status" {
		t.Fatalf("answered envelope %+v", e)
	}

	esc := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: esc, Text: "escalate me"})
	c.expect(chat.FrameAccepted)
	if r := c.expect(chat.FrameMessage); r.Text != "[eu] echo: escalate me" {
		t.Fatalf("outbound pipeline not applied: %+v", r)
	}
	mod := chat.NewID()
	forged := map[string]string{edge.LabelEdgeAnswerID: "fake", edge.LabelEdgeAnswerText: "forged answer", "sku": "42",
		"vip": "1", "escalate": "now", "erasure": "1", "custom.cart_value": "129.90"}
	c.send(chat.Frame{Type: chat.FrameMessage, ID: mod, Text: "call me at 555-0100", Context: forged})
	c.expect(chat.FrameAccepted)
	if r := c.expect(chat.FrameMessage); r.Text != "[eu] echo: call me at [PHONE]" {
		t.Fatalf("modified text not forwarded: %+v", r)
	}
	got, err := h.resp.WaitInbound(waitCtx(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	if got[1].Message.ID != esc || got[1].Label("escalate") != "angry" {
		t.Fatalf("escalated envelope %+v", got[1])
	}
	if got[2].Message.ID != mod || got[2].Tenant != "demo-tenant" || got[2].Message.Text != "call me at [PHONE]" ||
		got[2].Label("pii") != "PHONE" || got[2].Label("sku") != "42" {
		t.Fatalf("modified envelope %+v", got[2])
	}
	for _, k := range []string{edge.LabelEdgeAnswerID, edge.LabelEdgeAnswerText, "vip", "escalate", "erasure"} {
		if v, ok := got[2].Labels[k]; ok {
			t.Fatalf("a client set the label %s=%q that only the merchant, edge or plugins may set", k, v)
		}
	}
	if got[2].Label("custom.cart_value") != "129.90" {
		t.Fatalf("custom context dropped: %+v", got[2].Labels)
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
	raw, err := st.GetLastMsgForSubject(waitCtx(t), chat.InboundSubject("demo-tenant")+".*")
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Header.Get(jetstream.MsgIDHeader); got != id {
		t.Fatalf("Nats-Msg-Id %q want %q", got, id)
	}
}

// An edge answer reaches the shopper even when JetStream is down; retries
// of the message (same socket, or a resumed one whose replay already held
// the answer) are accepted without sending the answer again, and the stream
// stores the message once, with the answer in its labels.
func TestEdgeAnswerRetryAndResume(t *testing.T) {
	h := newHarness(t, harnessOpts{noJetStream: true, config: func(c *edge.Config) { c.Plugins = scriptedPlugins{} }})
	c := h.dial("demo")
	w := c.hello(chat.Frame{})
	id := chat.NewID()
	msg := chat.Frame{Type: chat.FrameMessage, ID: id, Text: "answer me"}
	answerID := edge.EdgeAnswerID("demo-tenant", id)

	c.send(msg)
	if r := c.expect(chat.FrameMessage); r.ID != answerID || r.Text != "answered at the edge" {
		t.Fatalf("answer %+v", r)
	}
	if e := c.expectError(chat.CodeUnavailable); e.ID != id {
		t.Fatalf("unavailable for %q", e.ID)
	}
	store := t.TempDir()
	if err := h.srv.EnableJetStream(&server.JetStreamConfig{StoreDir: store}); err != nil {
		t.Fatal(err)
	}
	// Cleanups run last first: the server stops writing to store before it
	// is removed (CI saw "unlinkat …/streams: directory not empty").
	t.Cleanup(func() { h.srv.Shutdown(); h.srv.WaitForShutdown() })
	for range 2 { // the client's retry, and a retry after accepted
		c.send(msg)
		if a := c.expect(chat.FrameAccepted); a.ID != id {
			t.Fatalf("accepted %q", a.ID)
		}
	}
	c.alive() // the next frame is the pong: no second answer

	js, err := jetstream.New(h.nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(waitCtx(t), chat.StreamInbound)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := st.Info(waitCtx(t)); err != nil || info.State.Msgs != 1 {
		t.Fatalf("stream: %+v %v", info, err)
	}
	raw, err := st.GetLastMsgForSubject(waitCtx(t), chat.InboundSubject("demo-tenant")+".*")
	if err != nil {
		t.Fatal(err)
	}
	var env chat.Envelope
	if err := json.Unmarshal(raw.Data, &env); err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get(jetstream.MsgIDHeader) != id || env.Message.ID != id || env.Message.Text != "answer me" ||
		env.Label(edge.LabelEdgeAnswerID) != answerID || env.Label(edge.LabelEdgeAnswerText) != "answered at the edge" ||
		env.Label(edge.LabelEdgeAnswerPlugin) != "order-status" {
		t.Fatalf("published %+v (Nats-Msg-Id %q)", env, raw.Header.Get(jetstream.MsgIDHeader))
	}

	// Central's history holds the message and the answer, as central stores them.
	history := []chat.Message{
		{ID: id, ConversationID: w.ConversationID, Role: chat.RoleShopper, Text: "answer me"},
		{ID: answerID, ConversationID: w.ConversationID, Role: chat.RoleBot, Source: chat.SourceEdge, Author: "order-status",
			ReplyTo: id, Text: "answered at the edge"},
	}
	sub, err := h.nc.Subscribe(chat.SubjectHistory, func(m *nats.Msg) {
		b, _ := json.Marshal(chat.HistoryReply{Messages: history})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	c2 := h.dial("demo")
	c2.hello(chat.Frame{Visitor: w.Visitor, ConversationID: w.ConversationID})
	for _, want := range history {
		if m := c2.expect(chat.FrameMessage); m.ID != want.ID || m.Source != want.Source {
			t.Fatalf("replay %+v, want %+v", m, want)
		}
	}
	c2.send(msg) // the client never saw accepted on the old socket, say
	if a := c2.expect(chat.FrameAccepted); a.ID != id {
		t.Fatalf("accepted %q", a.ID)
	}
	c2.alive()
}
