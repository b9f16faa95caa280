package edge_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// hookCall is one Plugins.Run call.
type hookCall struct {
	region string
	hook   pluginhost.Hook
	env    chat.Envelope
}

// recordingPlugins passes everything and records the event-hook calls.
type recordingPlugins struct{ calls chan hookCall }

func (r recordingPlugins) Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	if hook == pluginhost.HookEvent {
		r.calls <- hookCall{region: region, hook: hook, env: env}
	}
	return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
}

func (r recordingPlugins) next(t *testing.T) hookCall {
	t.Helper()
	select {
	case c := <-r.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the event hook did not run")
	}
	return hookCall{}
}

func publishEvent(t *testing.T, nc *nats.Conn, ev chat.Event) {
	t.Helper()
	ev.V = chat.ProtocolVersion
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish(chat.EventsSubject(ev.Tenant), b); err != nil {
		t.Fatal(err)
	}
}

func TestErasureEventRunsEventHook(t *testing.T) {
	rec := recordingPlugins{calls: make(chan hookCall, 16)}
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.Plugins = rec }})
	c := h.dial("demo")
	w := c.hello(chat.Frame{Visitor: "shopper-1"})
	bystander := h.dial("demo")
	bystander.hello(chat.Frame{Visitor: "shopper-2"})

	// A tenant this edge does not serve: ignored (events of one publisher
	// arrive in order, so the next recorded call must be demo-tenant's).
	publishEvent(t, h.nc, chat.Event{Type: chat.EventErasure, Tenant: "stranger", ConversationID: w.ConversationID, Visitor: "shopper-1", Reason: "requested"})
	// Other events do not run the hook.
	publishEvent(t, h.nc, chat.Event{Type: chat.EventClosed, Tenant: "demo-tenant", ConversationID: w.ConversationID, Visitor: "shopper-1"})
	if f := c.expect(chat.FrameEvent); f.Event != string(chat.EventClosed) {
		t.Fatalf("event frame %+v", f)
	}

	for _, reason := range []string{"requested", "completed"} {
		publishEvent(t, h.nc, chat.Event{Type: chat.EventErasure, Tenant: "demo-tenant", ConversationID: w.ConversationID,
			Visitor: "shopper-1", Reason: reason, At: time.Now()})
		call := rec.next(t)
		env := call.env
		if call.region != "eu" || env.Tenant != "demo-tenant" || env.Region != "eu" || env.Visitor != "shopper-1" ||
			env.Message.ConversationID != w.ConversationID {
			t.Fatalf("%s: hook call %+v", reason, call)
		}
		want := map[string]string{"event": "conversation.erasure", "visitor": "shopper-1", "conversation": w.ConversationID, "reason": reason}
		for k, v := range want {
			if env.Labels[k] != v {
				t.Fatalf("%s: label %s = %q, want %q (labels %v)", reason, k, env.Labels[k], v, env.Labels)
			}
		}
		if f := c.expect(chat.FrameEvent); f.Event != string(chat.EventErasure) || f.Reason != reason || f.ConversationID != w.ConversationID {
			t.Fatalf("%s: event frame %+v", reason, f)
		}
		if reason == "requested" {
			c.alive() // the request alone keeps the connection
		}
	}
	// Completed: the visitor's connection is closed with a reason; others stay.
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err := c.conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure || ce.Text != edge.CloseReasonErased {
		t.Fatalf("after completed erasure: %v", err)
	}
	bystander.alive()
	select {
	case call := <-rec.calls:
		t.Fatalf("extra hook call %+v", call)
	default:
	}
}

func TestErasureEnvelope(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	env := edge.ErasureEnvelope("eu", chat.Event{Type: chat.EventErasure, Tenant: "t", ConversationID: "c1", Visitor: "v1", At: at})
	if env.V != chat.ProtocolVersion || env.Tenant != "t" || env.Region != "eu" || env.Visitor != "v1" || !chat.ValidID(env.Message.ID) ||
		env.Message.ConversationID != "c1" || !env.Message.At.Equal(at) || len(env.Labels) != 3 ||
		env.Label("event") != "conversation.erasure" || env.Label("visitor") != "v1" || env.Label("conversation") != "c1" {
		t.Fatalf("envelope %+v", env)
	}
}
