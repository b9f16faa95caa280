package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

func testAnalytics(t *testing.T, s store.Store) {
	t0 := time.UnixMilli(1_700_000_000_000).UTC()
	c := mustInbound(t, s, inbound("demo", "v1", msg(chat.NewID(), "", "hi")))
	changed, err := s.ChangedConversations(ctx, "demo", time.Time{}, 0)
	if err != nil || len(changed) != 1 || changed[0].ID != c.ID {
		t.Fatalf("changed: %+v %v", changed, err)
	}
	if changed, _ := s.ChangedConversations(ctx, "demo", c.UpdatedAt.Add(time.Millisecond), 0); len(changed) != 0 {
		t.Fatalf("changed after: %+v", changed)
	}
	stats := []store.ConvStats{
		{Tenant: "demo", ID: c.ID, Visitor: "v1", Channel: "web", Team: "support", Agents: []string{"a1", "a2"}, CreatedAt: t0,
			FirstResponseMS: 4000, AvgResponseMS: -1, ResolutionMS: -1, HandedOff: true, CSAT: 5, MaxAnger: 0.5, Demo: true},
		{Tenant: "demo", ID: "other", Channel: "app", CreatedAt: t0.Add(time.Hour), FirstResponseMS: -1},
		{Tenant: "shop-b", ID: "b1", Channel: "web", CreatedAt: t0},
	}
	if err := s.PutConvStats(ctx, stats...); err != nil {
		t.Fatal(err)
	}
	stats[1].Messages = 7 // replace
	if err := s.PutConvStats(ctx, stats[1]); err != nil {
		t.Fatal(err)
	}
	if err := s.PutConvStats(ctx, store.ConvStats{ID: "x"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no tenant: %v", err)
	}
	all, err := s.ConvStats(ctx, store.StatsQuery{Tenant: "demo", From: t0, To: t0.Add(2 * time.Hour)})
	if err != nil || len(all) != 2 || all[0].ID != c.ID || all[1].Messages != 7 {
		t.Fatalf("range: %+v %v", all, err)
	}
	got := all[0]
	if got.FirstResponseMS != 4000 || !got.HandedOff || got.CSAT != 5 || len(got.Agents) != 2 || !got.Demo || got.MaxAnger != 0.5 || !got.CreatedAt.Equal(t0) {
		t.Fatalf("round trip: %+v", got)
	}
	for q, want := range map[store.StatsQuery]int{
		{Tenant: "demo", From: t0, To: t0.Add(time.Hour)}:                      1,
		{Tenant: "demo", From: t0, To: t0.Add(2 * time.Hour), Team: "support"}: 1,
		{Tenant: "demo", From: t0, To: t0.Add(2 * time.Hour), Channel: "app"}:  1,
		{Tenant: "demo", From: t0, To: t0.Add(2 * time.Hour), Agent: "a2"}:     1,
		{Tenant: "demo", From: t0, To: t0.Add(2 * time.Hour), Agent: "a"}:      0,
	} {
		if got, err := s.ConvStats(ctx, q); err != nil || len(got) != want {
			t.Errorf("%+v: %d %v", q, len(got), err)
		}
	}
	hc, err := s.HourlyCounts(ctx, "demo", t0.Add(-30*time.Minute), t0.Add(2*time.Hour))
	// From 21:00 (t0 is 22:13:20 UTC) to 00:13:20: three whole hours.
	if err != nil || len(hc) != 3 || hc[0] != 0 || hc[1] != 1 || hc[2] != 1 {
		t.Fatalf("hourly counts: %v %v", hc, err)
	}
	if _, err := s.ConvStat(ctx, "shop-b", c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant's stats: %v", err)
	}
	if wm, err := s.StatsWatermark(ctx, "demo"); err != nil || !wm.IsZero() {
		t.Fatalf("watermark: %v %v", wm, err)
	}
	if err := s.SetStatsWatermark(ctx, "demo", t0); err != nil {
		t.Fatal(err)
	}
	if wm, _ := s.StatsWatermark(ctx, "demo"); !wm.Equal(t0) {
		t.Fatalf("watermark %v", wm)
	}

	e := store.MerchantEvent{Tenant: "demo", ID: "e1", Type: "order.placed", Visitor: "v1", Amount: 12.5, Currency: "EUR", At: t0, Demo: true}
	if ok, err := s.PutMerchantEvent(ctx, e); !ok || err != nil {
		t.Fatalf("event: %v %v", ok, err)
	}
	if ok, err := s.PutMerchantEvent(ctx, e); ok || err != nil {
		t.Fatalf("event again: %v %v", ok, err)
	}
	if _, err := s.PutMerchantEvent(ctx, store.MerchantEvent{Tenant: "demo", ID: "e2"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad event: %v", err)
	}
	if evs, err := s.MerchantEvents(ctx, "demo", "order.placed", t0, t0.Add(time.Second)); err != nil || len(evs) != 1 || evs[0].Amount != 12.5 {
		t.Fatalf("events: %+v %v", evs, err)
	}
	if evs, _ := s.MerchantEvents(ctx, "demo", "order.delayed", t0, t0.Add(time.Second)); len(evs) != 0 {
		t.Fatalf("type filter: %+v", evs)
	}

	h := store.WidgetHit{Tenant: "demo", Visitor: "v1", FAQID: "returns", At: t0, Demo: true}
	if n, err := s.PutWidgetHits(ctx, h, h, store.WidgetHit{Tenant: "demo", Visitor: "v1", Intent: "x", At: t0}); n != 2 || err != nil {
		t.Fatalf("hits: %d %v", n, err)
	}
	if _, err := s.PutWidgetHits(ctx, store.WidgetHit{Tenant: "demo", Visitor: "v1", At: t0}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("hit without faq or intent: %v", err)
	}
	if hits, err := s.WidgetHits(ctx, "demo", t0, t0.Add(time.Second)); err != nil || len(hits) != 2 {
		t.Fatalf("hits: %+v %v", hits, err)
	}

	n, err := s.DeleteDemo(ctx, "demo")
	if err != nil || n != 1 {
		t.Fatalf("delete demo: %d %v", n, err)
	}
	if _, err := s.Conversation(ctx, "demo", c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("demo conversation left: %v", err)
	}
	if all, _ := s.ConvStats(ctx, store.StatsQuery{Tenant: "demo", From: t0, To: t0.Add(2 * time.Hour)}); len(all) != 1 {
		t.Fatalf("non-demo stats removed: %+v", all)
	}
	if evs, _ := s.MerchantEvents(ctx, "demo", "", t0, t0.Add(time.Second)); len(evs) != 0 {
		t.Fatalf("demo events left: %+v", evs)
	}
	if hits, _ := s.WidgetHits(ctx, "demo", t0, t0.Add(time.Second)); len(hits) != 1 {
		t.Fatalf("hits after demo delete: %+v", hits)
	}
}

func testAlerts(t *testing.T, s store.Store) {
	c := mustInbound(t, s, inbound("demo", "v1", msg(chat.NewID(), "", "投诉")))
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	a := store.AlertRecord{Tenant: "demo", ID: "a1", ConversationID: c.ID, MessageID: "m1", Kind: "sensitive", Words: []string{"投诉", "12315"},
		Text: "masked", Link: "/console/#c=" + c.ID, MessageAt: t0, CreatedAt: t0}
	got, created, err := s.RaiseAlert(ctx, a, []string{"wecom", "dingtalk"}, 10*time.Minute)
	if err != nil || !created || got.ID != "a1" {
		t.Fatalf("raise: %+v %v %v", got, created, err)
	}
	if _, created, _ := s.RaiseAlert(ctx, a, []string{"wecom"}, 10*time.Minute); created {
		t.Fatal("same id raised twice")
	}
	b := a
	b.ID, b.CreatedAt = "a2", t0.Add(time.Minute)
	if got, created, _ := s.RaiseAlert(ctx, b, []string{"wecom"}, 10*time.Minute); created || got.ID != "a1" {
		t.Fatalf("within cooldown: %+v %v", got, created)
	}
	b.CreatedAt = t0.Add(11 * time.Minute)
	if _, created, _ := s.RaiseAlert(ctx, b, nil, 10*time.Minute); !created {
		t.Fatal("after cooldown not raised")
	}
	if _, _, err := s.RaiseAlert(ctx, store.AlertRecord{Tenant: "demo"}, nil, 0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad alert: %v", err)
	}
	now := time.Now()
	ds, err := s.ClaimDeliveries(ctx, now, 30*time.Second, 10)
	if err != nil || len(ds) != 2 || ds[0].Alert == nil || ds[0].Alert.Words[1] != "12315" {
		t.Fatalf("claim: %+v %v", ds, err)
	}
	if again, _ := s.ClaimDeliveries(ctx, now, 30*time.Second, 10); len(again) != 0 {
		t.Fatalf("leased deliveries claimed again: %+v", again)
	}
	ds[0].Status, ds[0].Attempts, ds[0].SentAt, ds[0].LatencyMS = store.DeliverySent, 1, now, 420
	ds[1].Status, ds[1].Attempts, ds[1].NextAt, ds[1].LastError = store.DeliveryPending, 1, now.Add(time.Hour), "503"
	for _, d := range ds {
		if err := s.FinishDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if due, _ := s.ClaimDeliveries(ctx, now.Add(time.Minute), time.Second, 10); len(due) != 0 {
		t.Fatalf("not yet due: %+v", due)
	}
	if due, _ := s.ClaimDeliveries(ctx, now.Add(2*time.Hour), time.Second, 10); len(due) != 1 || due[0].Attempts != 1 {
		t.Fatalf("due after backoff: %+v", due)
	}
	ds[0].Status = "lost"
	if err := s.FinishDelivery(ctx, ds[0]); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad status: %v", err)
	}
	list, err := s.Alerts(ctx, "demo", 0)
	if err != nil || len(list) != 2 || list[1].ID != "a1" || len(list[1].Deliveries) != 2 {
		t.Fatalf("alerts: %+v %v", list, err)
	}
	if other, _ := s.Alerts(ctx, "shop-b", 0); len(other) != 0 {
		t.Fatalf("other tenant sees %+v", other)
	}
}
