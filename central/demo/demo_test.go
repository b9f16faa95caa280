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
