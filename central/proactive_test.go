package central

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/proactive"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// shoppersByArm returns n shoppers of rule's treated group and n of its
// control group at pct.
func shoppersByArm(rule string, pct, n int) (treated, control []string) {
	for i := 0; len(treated) < n || len(control) < n; i++ {
		v := fmt.Sprintf("shopper-%d", i)
		if proactive.InControl(rule, v, pct) {
			if len(control) < n {
				control = append(control, v)
			}
		} else if len(treated) < n {
			treated = append(treated, v)
		}
	}
	return treated, control
}

// notice waits for the outbound notice message to visitor.
func (e *env) notice(visitor string) chat.Envelope {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case o := <-e.out:
			if o.Visitor == visitor && chat.IsNoticeMessage(o.Message.ID) {
				return o
			}
		case <-deadline:
			e.t.Fatalf("no notice to %s", visitor)
		}
	}
}

// TestProactiveOrderDelayed: an order.delayed event posted by the
// merchant reaches the shopper before they ask, in their conversation
// through the outbound path, once per event; the control group gets
// nothing; the caps, quiet hours and a shopper without a channel hold
// notices back; an acknowledged notice counts as opened; the report
// compares the arms.
func TestProactiveOrderDelayed(t *testing.T) {
	e, s, api, set := analyticsService(t)
	set.set("demo", SettingProactiveCap, "0")
	tok := api.login("demo", demoEmail, demoPassword)
	rule := proactive.Rule{ID: "late", Name: "Order delayed", Trigger: proactive.TriggerEvent, EventType: "order.delayed",
		Text: map[string]string{"en": "Sorry, order {order_id} is running late; it ships tomorrow.", "zh": "抱歉,订单 {order_id} 延迟了。"}, Enabled: true}
	pct := 50
	rule.ControlPct = &pct
	var got RuleView
	if code := api.do("PUT", "/v1/proactive/rules/late", tok, rule, &got); code != 200 || got.ID != "late" {
		t.Fatalf("put rule: %d %+v", code, got)
	}
	bad := rule
	bad.EventType = "delayed"
	if code := api.do("PUT", "/v1/proactive/rules/late", tok, bad, nil); code != 400 {
		t.Fatalf("bad rule: %d", code)
	}
	treated, control := shoppersByArm("late", pct, 3)

	// Shoppers who talked to the shop before: they have a channel.
	convOf := map[string]string{}
	for _, v := range []string{treated[0], treated[1], treated[2], control[0]} {
		e.publish(envelope("demo", v, "", chat.NewID(), "hello there", "en"))
		convOf[v] = e.replyBy(chat.RoleBot).Message.ConversationID
	}
	post := func(id, visitor, order string) int {
		t.Helper()
		return api.do("POST", "/v1/events", "key-events", EventRequest{ID: id, Type: "order.delayed", Visitor: visitor, OrderID: order}, nil)
	}

	// Treated: the notice arrives on the conversation's region, once.
	if code := post("ev-1", treated[0], "A100"); code != 202 {
		t.Fatalf("event: %d", code)
	}
	n := e.notice(treated[0])
	if n.Message.ConversationID != convOf[treated[0]] || n.Region != "eu" || n.Message.Role != chat.RoleBot ||
		n.Message.Text != "Sorry, order A100 is running late; it ships tomorrow." || n.Labels["notice"] != "late" {
		t.Fatalf("notice %+v", n)
	}
	var msgs []chat.Message
	api.do("GET", "/v1/conversations/"+convOf[treated[0]]+"/messages", tok, nil, &msgs)
	if last := msgs[len(msgs)-1]; last.ID != n.Message.ID || last.Author != "proactive" {
		t.Fatalf("the notice is not in the conversation's history: %+v", msgs)
	}
	if code := post("ev-1", treated[0], "A100"); code != 200 { // a retried event: nothing again
		t.Fatalf("retried event: %d", code)
	}
	// A second delay within the rule's 1/24h cap is held back.
	post("ev-2", treated[0], "A101")
	// Control: recorded, never sent.
	post("ev-3", control[0], "A102")
	// Nobody to reach: no conversation.
	post("ev-4", "never-wrote", "A103")

	// notices waits for want notices of which at most pending are still
	// pending: a notice is marked sent just after it is published, so the
	// shopper may see it before its state changes.
	notices := func(want, pending int) []NoticeView {
		t.Helper()
		var ns []NoticeView
		poll.Until(t, 10*time.Second, func() error {
			ns = nil
			api.do("GET", "/v1/proactive/notices?"+rangeQS(time.Now().Add(-time.Hour), time.Now().Add(time.Hour)), tok, nil, &ns)
			if len(ns) != want {
				return fmt.Errorf("%d notices, want %d", len(ns), want)
			}
			n := 0
			for _, v := range ns {
				if v.State == store.NoticePending {
					n++
				}
			}
			if n > pending {
				return fmt.Errorf("%d notices pending, want at most %d: %+v", n, pending, ns)
			}
			return nil
		})
		return ns
	}
	byShopper := map[string][]NoticeView{}
	for _, v := range notices(4, 0) {
		byShopper[v.Shopper] = append(byShopper[v.Shopper], v)
	}
	if ns := byShopper[treated[0]]; len(ns) != 2 {
		t.Fatalf("treated notices %+v", ns)
	}
	for _, v := range byShopper[treated[0]] {
		if v.State != store.NoticeSent && !(v.State == store.NoticeDropped && v.Reason == proactive.ReasonCap) {
			t.Fatalf("treated notice %+v", v)
		}
	}
	if ns := byShopper[control[0]]; len(ns) != 1 || ns[0].Arm != proactive.ArmControl || ns[0].MessageID != "" {
		t.Fatalf("control notice %+v", ns)
	}
	if ns := byShopper["never-wrote"]; len(ns) != 1 || ns[0].Reason != proactive.ReasonNoChannel {
		t.Fatalf("no-channel notice %+v", ns)
	}
	if m, _ := s.Store().Messages(bg, "demo", convOf[control[0]], "", 50); strings.Contains(fmt.Sprint(m), "A102") {
		t.Fatal("the control shopper got the notice")
	}

	// Quiet hours: the notice waits for their end, then goes out.
	now := time.Now().UTC()
	set.set("demo", SettingProactiveQuiet, fmt.Sprintf("%s-%s", now.Add(-time.Hour).Format("15:04"), now.Add(2*time.Hour).Format("15:04")))
	post("ev-5", treated[1], "A104")
	ns := notices(5, 1)
	var pending NoticeView
	for _, v := range ns {
		if v.Shopper == treated[1] {
			pending = v
		}
	}
	if pending.State != store.NoticePending || pending.DueAt == nil || pending.DueAt.Sub(now) < time.Hour {
		t.Fatalf("in quiet hours: %+v", pending)
	}
	stored, err := s.Store().Notices(bg, "demo", "late", now.Add(-time.Hour), now.Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range stored {
		if x.ID == pending.ID { // the quiet hours are over
			x.DueAt = time.Now().Add(-time.Second)
			if err := s.Store().UpdateNotice(bg, x); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.wakeProactive()
	if n := e.notice(treated[1]); n.Message.Text != "Sorry, order A104 is running late; it ships tomorrow." {
		t.Fatalf("after quiet hours: %+v", n)
	}

	// The widget acknowledged the first notice: opened.
	first := byShopper[treated[0]]
	var firstMsg string
	for _, v := range first {
		if v.State == store.NoticeSent {
			firstMsg = v.MessageID
		}
	}
	b, _ := json.Marshal(chat.NoticeOpened{Tenant: "demo", Visitor: treated[0], MessageID: firstMsg, At: time.Now().UnixMilli()})
	if err := e.nc.Publish(chat.NoticeOpenedSubject("demo"), b); err != nil {
		t.Fatal(err)
	}
	// The reached shopper writes back.
	e.publish(envelope("demo", treated[0], convOf[treated[0]], chat.NewID(), "ok thanks, when exactly?", "en"))
	var rep ProactiveReport
	poll.Until(t, 10*time.Second, func() error {
		rep = ProactiveReport{}
		api.do("GET", "/v1/proactive/report?"+rangeQS(time.Now().Add(-time.Hour), time.Now().Add(time.Hour)), tok, nil, &rep)
		if len(rep.Rules) != 1 || rep.Rules[0].Sent.Opened != 1 || rep.Rules[0].Sent.Inbound != 1 {
			return fmt.Errorf("report %+v", rep)
		}
		return nil
	})
	r := rep.Rules[0]
	if r.Rule != "late" || r.Sent.Notices != 2 || r.Control.Notices != 1 || r.Suppressed != 2 || r.Control.Inbound != 0 || r.InboundChange != nil {
		t.Fatalf("report %+v", r)
	}
	if *r.Sent.OpenRate != 0.5 || *r.Sent.InboundRate != 0.5 || *r.Control.InboundRate != 0 {
		t.Fatalf("rates %+v", r)
	}
}

// TestProactiveIdleOffer: a page report of a shopper idle on a product
// page opens the widget's conversation with an offer; a page without a
// product or a shorter idle time does nothing; quiet hours drop offers.
func TestProactiveIdleOffer(t *testing.T) {
	e, s, api, set := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	zero := 0
	rule := proactive.Rule{ID: "idle-offer", Trigger: proactive.TriggerIdle, IdleS: 30, RequireSKU: true,
		Text: map[string]string{"en": "Questions about {sku}? 10% off today with code HELLO10."}, ControlPct: &zero, Enabled: true}
	if code := api.do("PUT", "/v1/proactive/rules/idle-offer", tok, rule, nil); code != 200 {
		t.Fatalf("put: %d", code)
	}
	page := func(p chat.PageReport) {
		t.Helper()
		p.Tenant, p.Region, p.Channel = "demo", "eu", chat.ChannelWeb
		b, _ := json.Marshal(p)
		if err := e.nc.Publish(chat.PageSubject("demo"), b); err != nil {
			t.Fatal(err)
		}
	}
	page(chat.PageReport{Visitor: "v-short", ConversationID: chat.NewID(), SKU: "JKT-1", IdleS: 10})
	page(chat.PageReport{Visitor: "v-nosku", ConversationID: chat.NewID(), URL: "https://shop.example/about", IdleS: 60})
	conv := chat.NewID()
	page(chat.PageReport{Visitor: "v-idle", ConversationID: conv, SKU: "JKT-1", URL: "https://shop.example/p/jkt-1", IdleS: 45, Lang: "en"})
	n := e.notice("v-idle")
	if n.Message.ConversationID != conv || n.Message.Text != "Questions about JKT-1? 10% off today with code HELLO10." {
		t.Fatalf("offer %+v", n)
	}
	c, err := s.Store().Conversation(bg, "demo", conv)
	if err != nil || c.Visitor != "v-idle" || c.Region != "eu" {
		t.Fatalf("conversation %+v %v", c, err)
	}
	// The same page again: capped. Another visitor's conversation id: refused.
	page(chat.PageReport{Visitor: "v-idle", ConversationID: conv, SKU: "JKT-1", IdleS: 90})
	page(chat.PageReport{Visitor: "v-thief", ConversationID: conv, SKU: "JKT-1", IdleS: 90})
	// In quiet hours an offer is dropped, not deferred.
	now := time.Now().UTC()
	set.set("demo", SettingProactiveQuiet, fmt.Sprintf("%s-%s", now.Add(-time.Hour).Format("15:04"), now.Add(2*time.Hour).Format("15:04")))
	page(chat.PageReport{Visitor: "v-night", ConversationID: chat.NewID(), SKU: "JKT-2", IdleS: 45})
	var ns []NoticeView
	poll.Until(t, 10*time.Second, func() error {
		ns = nil
		api.do("GET", "/v1/proactive/notices?"+rangeQS(now.Add(-time.Hour), now.Add(time.Hour)), tok, nil, &ns)
		if len(ns) != 3 {
			return fmt.Errorf("%d notices, want 3", len(ns))
		}
		return nil
	})
	reasons := map[string]string{}
	for _, v := range ns {
		reasons[v.Shopper] = v.State + "/" + v.Reason
	}
	want := map[string]string{"v-idle": "sent/", "v-thief": "suppressed/no_channel", "v-night": "suppressed/quiet_hours"}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Fatalf("notices %v, want %v", reasons, want)
	}
	// A notice the shopper has not answered is not a conversation of the reports.
	var sum struct {
		Conversations int `json:"conversations"`
	}
	api.do("GET", "/v1/analytics/summary?"+rangeQS(now.Add(-time.Hour), now.Add(time.Hour)), tok, nil, &sum)
	if sum.Conversations != 0 {
		t.Fatalf("the offer counted as %d conversations", sum.Conversations)
	}
}

// TestProactiveCampaign: a scheduled campaign runs once at its time, to
// the latest conversation of every shopper active in its audience days,
// with the control group held out and the tenant's cap applied.
func TestProactiveCampaign(t *testing.T) {
	e, s, api, set := analyticsService(t)
	set.set("demo", SettingProactiveCap, "1/24h")
	tok := api.login("demo", demoEmail, demoPassword)
	treated, control := shoppersByArm("spring", 50, 2)
	for _, v := range append(append([]string{}, treated...), control...) {
		e.publish(envelope("demo", v, "", chat.NewID(), "hello there", "en"))
		e.replyBy(chat.RoleBot)
	}
	// treated[1] already had a notice today: the tenant cap holds the campaign back.
	if _, err := s.Store().PutNotice(bg, store.Notice{Tenant: "demo", ID: "earlier", Rule: "other", Shopper: treated[1], Ref: "x",
		Arm: proactive.ArmSent, State: store.NoticeSent, CreatedAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	pct := 50
	rule := proactive.Rule{ID: "spring", Trigger: proactive.TriggerCampaign, At: time.Now().Add(time.Second), AudienceDays: 7,
		Text: map[string]string{"en": "Spring sale starts now."}, ControlPct: &pct, Enabled: true}
	if code := api.do("PUT", "/v1/proactive/rules/spring", tok, rule, nil); code != 200 {
		t.Fatalf("put: %d", code)
	}
	if n := e.notice(treated[0]); n.Message.Text != "Spring sale starts now." {
		t.Fatalf("campaign notice %+v", n)
	}
	var ns []NoticeView
	poll.Until(t, 10*time.Second, func() error {
		ns = nil
		api.do("GET", "/v1/proactive/notices?rule=spring&"+rangeQS(time.Now().Add(-time.Hour), time.Now().Add(time.Hour)), tok, nil, &ns)
		if len(ns) != 4 {
			return fmt.Errorf("%d notices, want 4", len(ns))
		}
		return nil
	})
	got := map[string]string{}
	for _, v := range ns {
		got[v.Shopper] = v.Arm + "/" + v.Reason
	}
	want := map[string]string{treated[0]: "sent/", treated[1]: "suppressed/tenant_cap", control[0]: "control/", control[1]: "control/"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("campaign %v, want %v", got, want)
	}
	// It ran once: waking the loop again sends nothing more.
	s.wakeProactive()
	s.runCampaigns(bg)
	if all, _ := s.Store().Notices(bg, "demo", "spring", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), 0); len(all) != 4 {
		t.Fatalf("ran twice: %d notices", len(all))
	}
}
