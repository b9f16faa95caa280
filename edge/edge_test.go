package edge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/internal/metric"
)

func TestHappyPath(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	c.alive() // ping works before hello
	w := c.hello(chat.Frame{Visitor: "v-1"})
	if w.Visitor != "v-1" || w.MaxText != chat.MaxTextBytes || w.Site != "demo" {
		t.Fatalf("welcome %+v", w)
	}
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "where is my order?", Lang: "en",
		Context: map[string]string{"sku": "A-1", "url": "https://shop/p/1"}})
	if a := c.expect(chat.FrameAccepted); a.ID != id || a.ConversationID != w.ConversationID {
		t.Fatalf("accepted %+v", a)
	}
	r := c.expect(chat.FrameMessage)
	if r.Text != "echo: where is my order?" || r.ReplyTo != id || r.Role != chat.RoleBot ||
		r.Source != chat.SourceCentral || r.ConversationID != w.ConversationID || !chat.ValidID(r.ID) {
		t.Fatalf("reply %+v", r)
	}
	c.send(chat.Frame{Type: chat.FrameAck, ID: r.ID})
	c.alive()

	got, err := h.resp.WaitInbound(waitCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	env := got[0]
	if env.Tenant != "demo-tenant" || env.Region != "eu" || env.Visitor != "v-1" || env.Channel != chat.ChannelWeb ||
		env.Direction != chat.Inbound || env.Message.ID != id || env.Message.Role != chat.RoleShopper ||
		env.Message.ConversationID != w.ConversationID || env.Label("sku") != "A-1" || env.Label("site") != "demo" {
		t.Fatalf("stored envelope %+v", env)
	}
}

func TestResumeAfterReconnect(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	w := c.hello(chat.Frame{Visitor: "v-r"})
	conv := w.ConversationID

	m1 := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: m1, Text: "one"})
	c.expect(chat.FrameAccepted)
	r1 := c.expect(chat.FrameMessage)
	c.send(chat.Frame{Type: chat.FrameAck, ID: r1.ID})

	// The reply to m2 is published while the shopper is disconnected, and an
	// agent says something too: both must arrive once after the resume.
	h.resp.Hold()
	m2 := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: m2, Text: "two"})
	c.expect(chat.FrameAccepted)
	if _, err := h.resp.WaitInbound(waitCtx(t), 2); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.Close()
	if err := h.resp.Release(); err != nil {
		t.Fatal(err)
	}
	agent, err := h.resp.Say("demo-tenant", "eu", conv, "an agent here")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.nc.Flush(); err != nil {
		t.Fatal(err)
	}

	c2 := h.dial("demo")
	w2 := c2.hello(chat.Frame{Visitor: "v-r", ConversationID: conv, ResumeAfter: r1.ID})
	if w2.ConversationID != conv || w2.Reason != "" {
		t.Fatalf("not resumed: %+v", w2)
	}
	// Replay: m2 (the shopper's own, stored), its reply, the agent's message.
	want := []struct {
		role chat.Role
		text string
	}{{chat.RoleShopper, "two"}, {chat.RoleBot, "echo: two"}, {chat.RoleAgent, "an agent here"}}
	seen := map[string]bool{}
	for i, wt := range want {
		f := c2.expect(chat.FrameMessage)
		if f.Role != wt.role || f.Text != wt.text {
			t.Fatalf("replay %d: got %s %q want %s %q", i, f.Role, f.Text, wt.role, wt.text)
		}
		if seen[f.ID] || f.ID == r1.ID {
			t.Fatalf("message %s twice", f.ID)
		}
		seen[f.ID] = true
		if i == 2 && f.ID != agent.ID {
			t.Fatalf("agent message id %s want %s", f.ID, agent.ID)
		}
	}
	// The conversation goes on; the next frame after the replay is the new
	// message's accepted, so nothing extra (no doubles) was queued.
	m3 := chat.NewID()
	c2.send(chat.Frame{Type: chat.FrameMessage, ID: m3, Text: "three"})
	if a := c2.expect(chat.FrameAccepted); a.ID != m3 || a.ConversationID != conv {
		t.Fatalf("accepted %+v", a)
	}
	if r := c2.expect(chat.FrameMessage); r.Text != "echo: three" || r.ReplyTo != m3 {
		t.Fatalf("reply %+v", r)
	}
	c2.alive()
	if n := len(h.resp.Messages("demo-tenant", conv)); n != 7 { // one, echo, two, echo, agent, three, echo
		t.Fatalf("central stored %d messages, want 7", n)
	}
}

// A history longer than the send queue is replayed whole: the replay's
// frames do not count against SendQueue (they did, and every resume of a
// long conversation was closed as a slow consumer, then again on each
// reconnect).
func TestResumeReplaysMoreThanTheSendQueue(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.SendQueue = 2 }})
	c := h.dial("demo")
	conv := c.hello(chat.Frame{Visitor: "v-long"}).ConversationID
	m1 := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: m1, Text: "one"})
	c.expect(chat.FrameAccepted)
	r1 := c.expect(chat.FrameMessage)
	_ = c.conn.Close()

	const missed = 60
	for i := range missed {
		if _, err := h.resp.Say("demo-tenant", "eu", conv, fmt.Sprintf("agent line %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c2 := h.dial("demo")
	if w := c2.hello(chat.Frame{Visitor: "v-long", ConversationID: conv, ResumeAfter: r1.ID}); w.ConversationID != conv || w.Reason != "" {
		t.Fatalf("not resumed: %+v", w)
	}
	for i := range missed {
		if f := c2.expect(chat.FrameMessage); f.Text != fmt.Sprintf("agent line %d", i) {
			t.Fatalf("replay %d: %q", i, f.Text)
		}
	}
	c2.alive()
}

func TestResumeRefusedStartsNewConversation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	w := c.hello(chat.Frame{ConversationID: chat.NewID(), ResumeAfter: "x1"})
	if !strings.HasPrefix(w.Reason, "resume_refused") {
		t.Fatalf("welcome %+v", w)
	}
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "hi"})
	c.expect(chat.FrameAccepted)
	if r := c.expect(chat.FrameMessage); r.ConversationID != w.ConversationID {
		t.Fatalf("reply in %s, want %s", r.ConversationID, w.ConversationID)
	}
}

// TestResumeIsNotAttachedUntilOwnershipVerified: while central cannot
// verify that a conversation is the visitor's, a hello naming it gets no
// welcome into it: an unavailable error with reason resume_unavailable, the
// connection closes with 1013 (try again later), and a reply published to
// that conversation meanwhile reaches nobody on that socket (issue 8 item 7).
func TestResumeIsNotAttachedUntilOwnershipVerified(t *testing.T) {
	h := newHarness(t, harnessOpts{noCentral: true, config: func(c *edge.Config) { c.HistoryTimeout = 200 * time.Millisecond }})
	c := h.dial("demo")
	victim := chat.NewID()
	c.send(chat.Frame{V: 1, Type: chat.FrameHello, Visitor: "attacker", ConversationID: victim})
	f := c.expectError(chat.CodeUnavailable)
	if !strings.HasPrefix(f.Reason, edge.ReasonResumeUnavailable) || f.ConversationID != "" {
		t.Fatalf("error %+v, want reason %s and no conversation", f, edge.ReasonResumeUnavailable)
	}
	// A reply to the victim's conversation, published now, must not arrive.
	reply := chat.Envelope{V: 1, Tenant: "demo-tenant", Region: "eu", Channel: chat.ChannelWeb, Visitor: "victim", Direction: chat.Outbound,
		Message: chat.Message{ID: chat.NewID(), ConversationID: victim, Role: chat.RoleAgent, Text: "your address is …", At: time.Now()}}
	b, _ := json.Marshal(reply)
	if err := h.nc.Publish(chat.OutboundSubject("eu", "demo-tenant"), b); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != edge.CloseTryAgainLater {
				t.Fatalf("connection ended with %v, want close %d", err, edge.CloseTryAgainLater)
			}
			break
		}
		if strings.Contains(string(data), reply.Message.ID) || strings.Contains(string(data), "welcome") {
			t.Fatalf("unverified socket got %s", data)
		}
	}
}

func TestRepliesReachEverySocketOfTheConversation(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	a := h.dial("demo")
	w := a.hello(chat.Frame{Visitor: "v-m"})
	id := chat.NewID()
	a.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "first"})
	a.expect(chat.FrameAccepted)
	r1 := a.expect(chat.FrameMessage)

	b := h.dial("demo")
	b.hello(chat.Frame{Visitor: "v-m", ConversationID: w.ConversationID, ResumeAfter: r1.ID})
	msg, err := h.resp.Say("demo-tenant", "eu", w.ConversationID, "for both tabs")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, b} {
		if f := c.expect(chat.FrameMessage); f.ID != msg.ID {
			t.Fatalf("got %+v", f)
		}
	}
	// Another tenant's reply with the same conversation id never arrives.
	if _, err := h.resp.Say("other-tenant", "eu", w.ConversationID, "not yours"); err != nil {
		t.Fatal(err)
	}
	a.alive()
	b.alive()
}

// A shopper's message, once central stored it (conversation.message),
// reaches the visitor's other connections to the conversation as stored
// (after the region's plugins); the connection that sent it does not get
// it back, and central's other messages still come only as replies.
func TestShopperMessageReachesOtherTabs(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	a := h.dial("demo")
	w := a.hello(chat.Frame{Visitor: "v-m"})
	id := chat.NewID()
	a.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "call me on 13800138000"})
	a.expect(chat.FrameAccepted)
	r1 := a.expect(chat.FrameMessage)
	b := h.dial("demo")
	b.hello(chat.Frame{Visitor: "v-m", ConversationID: w.ConversationID, ResumeAfter: r1.ID})

	stored := chat.Message{ID: id, ConversationID: w.ConversationID, Role: chat.RoleShopper, Text: "call me on [phone]"}
	bot := chat.Message{ID: chat.NewID(), ConversationID: w.ConversationID, Role: chat.RoleBot, Text: "not from the events"}
	for _, ev := range []chat.Event{
		{V: 1, Type: chat.EventMessage, Tenant: "demo-tenant", ConversationID: w.ConversationID, Message: &bot},
		{V: 1, Type: chat.EventMessage, Tenant: "other-tenant", ConversationID: w.ConversationID, Message: &stored},
		{V: 1, Type: chat.EventMessage, Tenant: "demo-tenant", ConversationID: w.ConversationID, Message: &stored},
		{V: 1, Type: chat.EventAssigned, Tenant: "demo-tenant", ConversationID: w.ConversationID, Agent: "alice"},
	} {
		data, _ := json.Marshal(ev)
		if err := h.nc.Publish(chat.EventsSubject(ev.Tenant), data); err != nil {
			t.Fatal(err)
		}
	}
	f := b.expect(chat.FrameMessage)
	if f.ID != id || f.Role != chat.RoleShopper || f.Text != stored.Text || f.ConversationID != w.ConversationID {
		t.Fatalf("other tab got %+v", f)
	}
	if f := b.expect(chat.FrameEvent); f.Author != "alice" {
		t.Fatalf("other tab got %+v", f)
	}
	// The events are handled in order: the sender's next frame is the assignment.
	if f := a.expect(chat.FrameEvent); f.Author != "alice" {
		t.Fatalf("sender got %+v", f)
	}
}

func TestEventsForwarded(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	w := c.hello(chat.Frame{})
	for _, ev := range []chat.Event{
		{V: 1, Type: chat.EventMessage, Tenant: "demo-tenant", ConversationID: w.ConversationID}, // not forwarded
		{V: 1, Type: chat.EventAssigned, Tenant: "other", ConversationID: w.ConversationID, Agent: "x"},
		{V: 1, Type: chat.EventAssigned, Tenant: "demo-tenant", ConversationID: w.ConversationID, Agent: "alice", At: time.Now()},
	} {
		b, _ := json.Marshal(ev)
		if err := h.nc.Publish(chat.EventsSubject(ev.Tenant), b); err != nil {
			t.Fatal(err)
		}
	}
	f := c.expect(chat.FrameEvent)
	if f.Event != string(chat.EventAssigned) || f.Author != "alice" || f.ConversationID != w.ConversationID || f.At == 0 {
		t.Fatalf("event %+v", f)
	}
}

func TestMalformedFramesKeepTheConnection(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	tests := []struct {
		name  string
		frame string
		code  string
	}{
		{"not json", `hello there`, chat.CodeBadFrame},
		{"json array", `[1,2]`, chat.CodeBadFrame},
		{"missing type", `{"id":"a"}`, chat.CodeBadFrame},
		{"unknown type", `{"type":"shout"}`, chat.CodeBadFrame},
		{"edge-only type", `{"type":"welcome"}`, chat.CodeBadFrame},
		{"wrong field type", `{"type":"message","id":5,"text":"x"}`, chat.CodeBadFrame},
		{"future version", `{"v":9,"type":"hello"}`, chat.CodeBadVersion},
		{"message before hello", `{"type":"message","id":"m1","text":"hi"}`, chat.CodeNeedHello},
		{"ack before hello", `{"type":"ack","id":"m1"}`, chat.CodeNeedHello},
		{"hello with bad visitor", `{"type":"hello","visitor":"a b"}`, chat.CodeBadFrame},
		{"hello with another site", `{"type":"hello","site":"shop2"}`, chat.CodeBadFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw([]byte(tt.frame))
			c.expectError(tt.code)
			c.alive()
		})
	}
	c.t = t
	c.hello(chat.Frame{})
	for _, tt := range []struct{ name, frame string }{
		{"message without id", `{"type":"message","text":"hi"}`},
		{"message without text", `{"type":"message","id":"m1"}`},
		{"message with bad id", `{"type":"message","id":"m 1","text":"hi"}`},
		{"message with bad utf8", "{\"type\":\"message\",\"id\":\"m1\",\"text\":\"\xff\"}"},
		{"message with wrong conversation", `{"type":"message","id":"m1","text":"hi","conversation_id":"other"}`},
		{"second hello", `{"type":"hello"}`},
		{"ack without id", `{"type":"ack"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw([]byte(tt.frame))
			c.expectError(chat.CodeBadFrame)
			c.alive()
		})
	}
	c.t = t
	// A binary frame is refused the same way.
	if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	c.expectError(chat.CodeBadFrame)
	c.alive()
	if got := len(h.resp.Inbound()); got != 0 {
		t.Fatalf("%d bad messages reached central", got)
	}
}

func TestOversized(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.MaxText = 100; c.MaxFrame = 1000 }})
	c := h.dial("demo")
	c.hello(chat.Frame{})
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: strings.Repeat("x", 101)})
	e := c.expectError(chat.CodeTooLarge)
	if e.ID != id || e.MaxText != 100 || !strings.Contains(e.Reason, "100") {
		t.Fatalf("too_large frame %+v", e)
	}
	c.alive()
	c.sendRaw([]byte(`{"type":"ping","id":"` + strings.Repeat("p", 2000) + `"}`))
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, _, err := c.conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig || !strings.Contains(ce.Text, "1000 bytes") {
		t.Fatalf("want close 1009 with a reason, got %v", err)
	}
}

func TestRateLimited(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.MessageRate = 0.001; c.MessageBurst = 2 }})
	c := h.dial("demo")
	c.hello(chat.Frame{})
	for i := range 2 {
		c.send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "hi"})
		c.expect(chat.FrameAccepted)
		if r := c.expect(chat.FrameMessage); r.Text != "echo: hi" {
			t.Fatalf("reply %d: %+v", i, r)
		}
	}
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "hi"})
	if e := c.expectError(chat.CodeRateLimited); e.ID != id {
		t.Fatalf("rate_limited for %q", e.ID)
	}
	c.alive()
}

func TestUnknownSiteAndOrigin(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	for _, site := range []string{"nope", ""} {
		_, resp, err := h.dialRaw(site, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial site %q: err %v resp %v", site, err, resp)
		}
	}
	hdr := http.Header{"Origin": {"https://evil.example"}}
	if _, resp, err := h.dialRaw("shop2", hdr); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("refused origin: err %v resp %v", err, resp)
	}
	hdr = http.Header{"Origin": {"https://shop2.example"}}
	ok, _, err := h.dialRaw("shop2", hdr)
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	ok.hello(chat.Frame{})
	for _, r := range []struct{ method, path string }{
		{"GET", "/w/config?site=nope"},
		{"GET", "/w/config"},
		{"POST", "/w/hits?site=nope"},
		{"GET", "/w/models/intent.kmod?site=nope"},
		{"GET", "/w/anything?site=nope"},
	} {
		st, body := h.do(r.method, r.path, nil, "")
		if st != http.StatusForbidden || !strings.Contains(body, "unknown_site") {
			t.Errorf("%s %s: %d %s", r.method, r.path, st, body)
		}
	}
}

func TestCloseSendsGoingAway(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	c := h.dial("demo")
	c.hello(chat.Frame{})
	if err := h.node.Close(); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, _, err := c.conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway || ce.Text != "edge shutting down" {
		t.Fatalf("want close 1001, got %v", err)
	}
	// New connections are refused the same way.
	c2 := h.dial("demo")
	_ = c2.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, _, err := c2.conn.ReadMessage(); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Fatalf("after close: %v", err)
	}
}

func TestMetricsCount(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	before := metricValue(t, h.reg, "kefu_edge_errors_total", "code", chat.CodeBadFrame)
	inBefore := metricValue(t, h.reg, "kefu_edge_frames_in_total", "type", "message")
	c := h.dial("demo")
	c.hello(chat.Frame{})
	c.sendRaw([]byte("nope"))
	c.expectError(chat.CodeBadFrame)
	c.send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "hi"})
	c.expect(chat.FrameAccepted)
	if got := metricValue(t, h.reg, "kefu_edge_errors_total", "code", chat.CodeBadFrame) - before; got != 1 {
		t.Fatalf("bad_frame errors counted %v", got)
	}
	if got := metricValue(t, h.reg, "kefu_edge_frames_in_total", "type", "message") - inBefore; got != 1 {
		t.Fatalf("message frames counted %v", got)
	}
	if metricValue(t, h.reg, "kefu_edge_publish_seconds", "", "") == 0 {
		t.Fatal("publish latency not observed")
	}
}

// metricValue reads a counter (or a histogram's sample count) from the
// registry g.
func metricValue(t *testing.T, g metric.Gatherer, name, label, value string) float64 {
	t.Helper()
	for _, f := range g.Gather() {
		if f.Name != name {
			continue
		}
		for _, m := range f.Metrics {
			match := label == ""
			for _, lp := range m.Labels {
				if lp.Name == label && lp.Value == value {
					match = true
				}
			}
			if !match {
				continue
			}
			if f.Type == metric.HistogramType {
				return float64(m.Count)
			}
			return m.Value
		}
	}
	return 0
}
