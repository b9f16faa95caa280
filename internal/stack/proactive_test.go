package stack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/proactive"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestProactiveNoticesEndToEnd drives proactive notices through the real
// stack (embedded NATS, central on SQLite, the edge with the built-in
// plugins in wazero, a shopper WebSocket): an order.delayed event posted
// to /v1/events reaches the shopper's open socket before they ask and is
// in their conversation's history; the client's ack marks it opened; a
// page frame of a shopper idle on a product page brings an offer, which
// passed the region's outbound pipeline (the geo-campaign plugin added
// the demo store's promotion to it); a promotion campaign's notice takes
// the region's campaign text from that plugin.
func TestProactiveNoticesEndToEnd(t *testing.T) {
	t.Parallel()
	s := startSecurityStack(t)
	tok := s.login(t, DemoSite, s.AgentEmail, s.AgentPassword)
	h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + tok}}
	zero := 0
	put := func(r proactive.Rule) {
		t.Helper()
		r.ControlPct, r.Enabled = &zero, true
		b, _ := json.Marshal(r)
		if res := do(t, "PUT", s.URL+"/v1/proactive/rules/"+r.ID, h, b); res.status != 200 {
			t.Fatalf("put rule %s: %d %s", r.ID, res.status, res.body)
		}
	}
	put(proactive.Rule{ID: "late", Trigger: proactive.TriggerEvent, EventType: "order.delayed",
		Text: map[string]string{"en": "Sorry: order {order_id} is delayed by the carrier; it arrives Friday."}})
	put(proactive.Rule{ID: "idle-offer", Trigger: proactive.TriggerIdle, IdleS: 20, RequireSKU: true,
		Text: map[string]string{"en": "Need help choosing {sku}? Ask me anything."}})

	// A shopper who wrote before: the notice comes on their open socket.
	ws, welcome := dialShopper(t, s, chat.Frame{Visitor: "v-late"})
	id := chat.NewID()
	ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: "hello, I have a question about delivery"})
	ws.expectAccepted(id)
	poll.Until(t, 15*time.Second, func() error {
		if _, err := s.Store().Conversation(t.Context(), DemoSite, welcome.ConversationID); err != nil {
			return err
		}
		return nil
	})
	ev, _ := json.Marshal(map[string]any{"id": "ev-late-1", "type": "order.delayed", "visitor": welcome.Visitor, "order_id": "A7001"})
	if res := do(t, "POST", s.URL+"/v1/events", h, ev); res.status != 202 {
		t.Fatalf("event: %d %s", res.status, res.body)
	}
	n := ws.expectMessage(func(f chat.Frame) bool { return chat.IsNoticeMessage(f.ID) })
	if !strings.HasPrefix(n.Text, "Sorry: order A7001 is delayed by the carrier; it arrives Friday.") || n.Role != chat.RoleBot {
		t.Fatalf("notice frame %+v", n)
	}
	msgs, err := s.Store().Messages(t.Context(), DemoSite, welcome.ConversationID, "", 100)
	if err != nil || !strings.Contains(fmt.Sprint(msgs), "A7001") {
		t.Fatalf("the notice is not in the conversation's history: %v %v", msgs, err)
	}
	ws.send(chat.Frame{V: 1, Type: chat.FrameAck, ID: n.ID}) // the widget rendered it
	poll.Until(t, 15*time.Second, func() error {
		ns, err := s.Store().Notices(t.Context(), DemoSite, "late", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 10)
		if err != nil || len(ns) != 1 || ns[0].OpenedAt.IsZero() || ns[0].State != store.NoticeSent {
			return fmt.Errorf("notices %+v %v", ns, err)
		}
		return nil
	})

	// A shopper idle on a product page who never wrote: an offer.
	short, ws3 := dialShopper(t, s, chat.Frame{Visitor: "v-short"})
	short.send(chat.Frame{V: 1, Type: chat.FramePage, IdleS: 10, Context: map[string]string{"url": "https://shop.example/p/jkt-1", "sku": "JKT-1"}})
	short.send(chat.Frame{V: 1, Type: chat.FramePing, ID: "p1"})
	short.expect(chat.FramePong) // the page report was read before this
	ws2, w2 := dialShopper(t, s, chat.Frame{Visitor: "v-idle"})
	ws2.send(chat.Frame{V: 1, Type: chat.FramePage, IdleS: 30,
		Context: map[string]string{"url": "https://shop.example/p/jkt-1?email=li.lei@example.com#x", "sku": "JKT-1"}})
	offer := ws2.expectMessage(func(f chat.Frame) bool { return chat.IsNoticeMessage(f.ID) })
	if !strings.HasPrefix(offer.Text, "Need help choosing JKT-1? Ask me anything.") || !strings.Contains(offer.Text, "WINTER15") {
		t.Fatalf("offer %q: want the rule's text with the geo-campaign promotion the outbound pipeline added", offer.Text)
	}
	c, err := s.Store().Conversation(t.Context(), DemoSite, w2.ConversationID)
	if err != nil || c.Visitor != w2.Visitor {
		t.Fatalf("offer conversation %+v %v", c, err)
	}
	ns, _ := s.Store().Notices(t.Context(), DemoSite, "idle-offer", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 10)
	if len(ns) != 1 || ns[0].Shopper != w2.Visitor || strings.Contains(ns[0].Ref, "li.lei") {
		t.Fatalf("idle notices %+v: want one, to %s (not %s, idle too short), without the URL's query", ns, w2.Visitor, ws3.Visitor)
	}

	// A promotion campaign: its text is the region's campaign, from the edge.
	put(proactive.Rule{ID: "promo", Trigger: proactive.TriggerCampaign, At: time.Now(), AudienceDays: 1, Promotion: true,
		Text: map[string]string{"en": "(regional promotion)"}, Cap: 1})
	poll.Until(t, 15*time.Second, func() error {
		ns, err := s.Store().Notices(t.Context(), DemoSite, "promo", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 10)
		if err != nil || len(ns) != 2 {
			rs, _ := s.Store().ProactiveRules(t.Context(), DemoSite)
			vs, _ := s.Store().RecentVisitors(t.Context(), DemoSite, "", time.Now().Add(-time.Hour), time.Now(), 0)
			return fmt.Errorf("promotion notices %+v %v, want one per recent shopper; rules %+v; recent %d", ns, err, rs, len(vs))
		}
		return nil
	})
	p := ws.expectMessage(func(f chat.Frame) bool { return chat.IsNoticeMessage(f.ID) && f.ID != n.ID })
	if !strings.Contains(p.Text, "WINTER15") || strings.Contains(p.Text, "(regional promotion)") {
		t.Fatalf("promotion notice %q: want the edge's campaign text", p.Text)
	}
}
