package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

func testProactive(t *testing.T, s store.Store) {
	now := time.Now().Truncate(time.Millisecond)
	r := store.ProactiveRule{Tenant: "demo", ID: "late", Spec: `{"id":"late"}`, Enabled: true}
	if err := s.PutProactiveRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Spec = `{"id":"late","name":"x"}`
	if err := s.PutProactiveRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	rules, err := s.ProactiveRules(ctx, "demo")
	if err != nil || len(rules) != 1 || rules[0].Spec != r.Spec || !rules[0].Enabled {
		t.Fatalf("rules %+v %v", rules, err)
	}
	if ts, err := s.ProactiveTenants(ctx); err != nil || len(ts) != 1 || ts[0] != "demo" {
		t.Fatalf("tenants %v %v", ts, err)
	}
	// A campaign run is claimed once.
	if ok, err := s.ClaimRuleRun(ctx, "demo", "late", time.Time{}, now); err != nil || !ok {
		t.Fatalf("claim %v %v", ok, err)
	}
	if ok, _ := s.ClaimRuleRun(ctx, "demo", "late", time.Time{}, now); ok {
		t.Fatal("claimed twice")
	}

	// The shopper wrote once before and once after the notice.
	c := mustInbound(t, s, inbound("demo", "v1", chat.Message{ID: chat.NewID(), Role: chat.RoleShopper, Text: "before", At: now.Add(-time.Hour)}))
	mustInbound(t, s, inbound("demo", "v1", chat.Message{ID: chat.NewID(), ConversationID: c.ID, Role: chat.RoleShopper, Text: "after", At: now.Add(time.Hour)}))
	sent := store.Notice{Tenant: "demo", ID: "n1", Rule: "late", Shopper: "v1", Ref: "ev1", Arm: "sent", State: store.NoticeSent,
		MessageID: "pn-1", ConversationID: c.ID, CreatedAt: now, SentAt: now}
	ctl := store.Notice{Tenant: "demo", ID: "n2", Rule: "late", Shopper: "v2", Ref: "ev2", Arm: "control", State: store.NoticeControl, CreatedAt: now}
	for _, n := range []store.Notice{sent, ctl} {
		if ok, err := s.PutNotice(ctx, n); err != nil || !ok {
			t.Fatalf("put %s: %v %v", n.ID, ok, err)
		}
	}
	if ok, err := s.PutNotice(ctx, sent); err != nil || ok {
		t.Fatalf("second put: %v %v", ok, err)
	}
	if _, err := s.PutNotice(ctx, store.Notice{Tenant: "demo", ID: "bad"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad notice: %v", err)
	}
	if n, err := s.CountNotices(ctx, "demo", "v1", "late", now.Add(-time.Minute)); err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	if n, _ := s.CountNotices(ctx, "demo", "v1", "", now.Add(time.Minute)); n != 0 {
		t.Fatalf("count after %d", n)
	}
	if ok, err := s.MarkNoticeOpened(ctx, "demo", "v1", "pn-1", now.Add(time.Second)); err != nil || !ok {
		t.Fatalf("opened %v %v", ok, err)
	}
	if ok, _ := s.MarkNoticeOpened(ctx, "demo", "v1", "pn-1", now.Add(2*time.Second)); ok {
		t.Fatal("opened twice")
	}
	// Pending until due.
	p := store.Notice{Tenant: "demo", ID: "n3", Rule: "late", Shopper: "v3", Ref: "ev3", Arm: "sent", State: store.NoticePending,
		CreatedAt: now, DueAt: now.Add(time.Hour)}
	if _, err := s.PutNotice(ctx, p); err != nil {
		t.Fatal(err)
	}
	if due, err := s.DueNotices(ctx, now, 10); err != nil || len(due) != 0 {
		t.Fatalf("due now %v %v", due, err)
	}
	due, err := s.DueNotices(ctx, now.Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].ID != "n3" {
		t.Fatalf("due later %+v %v", due, err)
	}
	p.State, p.SentAt = store.NoticeSent, now.Add(time.Hour)
	if err := s.UpdateNotice(ctx, p); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueNotices(ctx, now.Add(2*time.Hour), 10); len(due) != 0 {
		t.Fatalf("sent still due: %+v", due)
	}
	ns, err := s.Notices(ctx, "demo", "", now.Add(-time.Minute), now.Add(time.Minute), 0)
	if err != nil || len(ns) != 3 {
		t.Fatalf("notices %d %v", len(ns), err)
	}
	rep, err := s.NoticeReport(ctx, "demo", now.Add(-time.Minute), now.Add(time.Minute), 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.NoticeReportRow{}
	for _, row := range rep {
		got[row.Arm] = row
	}
	if g := got["sent"]; g.Notices != 2 || g.Opened != 1 || g.Inbound != 1 || g.InboundMessages != 1 || g.Shoppers != 2 {
		t.Fatalf("sent arm %+v", g)
	}
	if g := got["control"]; g.Notices != 1 || g.Inbound != 0 {
		t.Fatalf("control arm %+v", g)
	}
	if vs, err := s.RecentVisitors(ctx, "demo", "", now.Add(-24*time.Hour), now.Add(24*time.Hour), 0); err != nil || len(vs) != 1 || vs[0].ID != c.ID {
		t.Fatalf("recent %+v %v", vs, err)
	}
	if vs, _ := s.RecentVisitors(ctx, "demo", "us", now.Add(-24*time.Hour), now.Add(24*time.Hour), 0); len(vs) != 0 {
		t.Fatalf("recent in us %+v", vs)
	}
	if ok, _ := s.MarkNoticeOpened(ctx, "demo", "v2", "pn-1", now); ok {
		t.Fatal("another shopper opened v1's notice")
	}
	// A notice may open a conversation; another visitor cannot take it.
	oc, err := s.OpenConversation(ctx, store.Conversation{Tenant: "demo", ID: "c-new", Visitor: "v9", Channel: chat.ChannelWeb, Region: "eu"})
	if err != nil || oc.Status != store.StatusBot || oc.Visitor != "v9" {
		t.Fatalf("open %+v %v", oc, err)
	}
	if _, err := s.OpenConversation(ctx, store.Conversation{Tenant: "demo", ID: "c-new", Visitor: "v8"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("open another's: %v", err)
	}
	if err := s.DeleteProactiveRule(ctx, "demo", "late"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProactiveRule(ctx, "demo", "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}
