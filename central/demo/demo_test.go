package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/central/forecast"
	"github.com/kefu-io/kefu/central/store"
)

func TestSeedAndRemove(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	res, err := demo.Seed(ctx, st, demo.Options{Tenant: "demo", Days: 28, End: end, PerDay: 40, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Conversations < 28*30 || res.Messages < 3*res.Conversations || res.Orders == 0 || res.Hits == 0 {
		t.Fatalf("seeded %+v", res)
	}
	from := end.Add(-28 * 24 * time.Hour)
	stats, err := st.ConvStats(ctx, store.StatsQuery{Tenant: "demo", From: from, To: end})
	if err != nil || len(stats) != res.Conversations {
		t.Fatalf("stats %d of %d: %v", len(stats), res.Conversations, err)
	}
	orders, _ := st.MerchantEvents(ctx, "demo", analytics.EventOrderPlaced, from, end.Add(72*time.Hour))
	hits, _ := st.WidgetHits(ctx, "demo", from, end)
	sum := analytics.Summarize(analytics.Input{From: from, To: end, Stats: stats, Orders: orders, Hits: hits})
	t.Logf("28 demo days: %d conversations, deflection %.2f, handoff %.2f, FRT p50 %.0fs p90 %.0fs, CSAT %.2f (%d), conversion %.3f",
		sum.Conversations, *sum.DeflectionRate, *sum.HandoffRate, *sum.FRTP50, *sum.FRTP90, *sum.CSATAvg, sum.CSATCount, *sum.ConversionRate)
	for name, v := range map[string]float64{"deflection": *sum.DeflectionRate, "handoff": *sum.HandoffRate, "conversion": *sum.ConversionRate} {
		if v <= 0.05 || v >= 0.95 {
			t.Errorf("%s rate %v is not realistic", name, v)
		}
	}
	if *sum.CSATAvg < 3.5 || *sum.CSATAvg > 5 || *sum.FRTP50 <= 0 || *sum.FRTP90 < *sum.FRTP50 {
		t.Errorf("summary %+v", sum)
	}
	// 11.11 (3.5×) stands out from the Wednesday a week before.
	h, err := st.HourlyCounts(ctx, "demo", time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var wed, d11 float64
	for i := range 24 {
		wed += h[i]
		d11 += h[7*24+i]
	}
	if d11 < 2.5*wed {
		t.Errorf("11.11 volume %v vs %v a week before", d11, wed)
	}
	// The forecast model fits the demo history and learns the promotion.
	all, _ := st.HourlyCounts(ctx, "demo", from, end)
	m, err := forecast.Fit(all, from, nil, true)
	if err != nil || m.Effects["promotion"] < 2 {
		t.Fatalf("model %+v %v", m.Effects, err)
	}

	n, err := st.DeleteDemo(ctx, "demo")
	if err != nil || n != res.Conversations {
		t.Fatalf("removed %d of %d: %v", n, res.Conversations, err)
	}
	if left, _ := st.ConvStats(ctx, store.StatsQuery{Tenant: "demo", From: from, To: end}); len(left) != 0 {
		t.Fatalf("%d left", len(left))
	}
	if evs, _ := st.MerchantEvents(ctx, "demo", "", from, end.Add(72*time.Hour)); len(evs) != 0 {
		t.Fatalf("%d events left", len(evs))
	}
	if a, _ := st.AgentByEmail(ctx, "demo", "demo-agent-1@demo.invalid"); a.ID != "" {
		t.Fatal("demo agent left")
	}
}

// TestDelayedNoticesModel: the demo history's delayed orders carry
// notices split by the rule's control group, and the inbound of the
// reached shoppers reads back near the generator's assumed effect.
func TestDelayedNoticesModel(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	end := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	res, err := demo.Seed(ctx, st, demo.Options{Tenant: "demo", Days: 21, End: end, PerDay: 50, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.NoticeReport(ctx, "demo", end.Add(-21*24*time.Hour), end, 72*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	arms := map[string]store.NoticeReportRow{}
	for _, r := range rows {
		arms[r.Arm] = r
	}
	sent, ctl := arms["sent"], arms["control"]
	if res.Notices != sent.Notices+ctl.Notices || sent.Notices == 0 || ctl.Notices == 0 {
		t.Fatalf("notices %d, arms %+v", res.Notices, arms)
	}
	share := float64(ctl.Notices) / float64(res.Notices)
	sentRate, ctlRate := float64(sent.Inbound)/float64(sent.Notices), float64(ctl.Inbound)/float64(ctl.Notices)
	open := float64(sent.Opened) / float64(sent.Notices)
	t.Logf("%d delayed orders: control %.1f%%, opened %.2f, inbound reached %.3f vs control %.3f (change %+.1f%%; model %+.1f%%)",
		res.Notices, 100*share, open, sentRate, ctlRate, 100*(sentRate/ctlRate-1),
		100*(demo.DelayedOpened*(1-demo.DelayedOpenedEffect)+(1-demo.DelayedOpened)*(1-demo.DelayedUnopenedEffect)-1))
	if share < 0.06 || share > 0.14 || open < 0.6 || open > 0.8 {
		t.Errorf("control share %.3f, open rate %.3f", share, open)
	}
	if sentRate < 0.2 || sentRate > 0.4 || ctlRate < 0.25 || ctlRate > 0.55 || sentRate >= ctlRate {
		t.Errorf("inbound reached %.3f, control %.3f", sentRate, ctlRate)
	}
	// Removing the demo history removes its notices.
	if _, err := st.DeleteDemo(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	if ns, _ := st.Notices(ctx, "demo", "", end.Add(-60*24*time.Hour), end.Add(time.Hour), 10); len(ns) != 0 {
		t.Fatalf("%d notices left after DeleteDemo", len(ns))
	}
}
