package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/store"
)

// testSeries: the database's per-bucket aggregates give every SQL metric
// the value Summarize gives over the same conversations.
func testSeries(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(7, 7))
	from := time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)
	to := from.Add(30 * time.Hour)
	var all []store.ConvStats
	for i := range 400 {
		c := store.ConvStats{Tenant: "demo", ID: fmt.Sprintf("c%03d", i), Channel: []string{"web", "wechat"}[i%2], Team: []string{"", "vip"}[i%3/2],
			CreatedAt:       from.Add(-2 * time.Hour).Add(time.Duration(r.Int64N(int64(34 * time.Hour)))).Truncate(time.Millisecond),
			FirstResponseMS: -1, AvgResponseMS: -1, ResolutionMS: -1, Agents: []string{"a1"}}
		if r.IntN(2) == 0 {
			c.HandedOff, c.FirstResponseMS, c.AvgResponseMS, c.HandleMS = true, r.Int64N(600_000), r.Int64N(300_000), r.Int64N(3_600_000)
			c.SLABreached = c.FirstResponseMS > 120_000
			if r.IntN(5) == 0 {
				c.FirstResponseMS = -1
			}
		}
		if r.IntN(3) > 0 {
			c.ClosedAt, c.ResolutionMS = c.CreatedAt.Add(time.Hour), r.Int64N(7_200_000)
		}
		if r.IntN(2) == 0 {
			c.CSAT = 1 + r.IntN(5)
		}
		all = append(all, c)
	}
	if err := s.PutConvStats(ctx, all...); err != nil {
		t.Fatal(err)
	}
	for _, iv := range []analytics.Interval{analytics.Hour, analytics.Day} {
		for _, q := range []store.StatsQuery{{Tenant: "demo"}, {Tenant: "demo", Channel: "wechat", Team: "vip"}} {
			starts, clipped, err := analytics.SQLBounds(from, to, iv, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			aggs, err := s.SeriesAggregate(ctx, q, clipped, to, "")
			if err != nil {
				t.Fatal(err)
			}
			// One metric asks for its own percentile only.
			if one, err := s.SeriesAggregate(ctx, q, clipped, to, "frt_p90_s"); err != nil || len(one) != len(aggs) || one[0].FRTP50MS != -1 ||
				one[0].FRTP90MS != aggs[0].FRTP90MS {
				t.Fatalf("frt_p90_s only: %+v %v", one, err)
			}
			for i := range starts {
				b1 := to
				if i+1 < len(starts) {
					b1 = starts[i+1]
				}
				var sub []store.ConvStats
				for _, c := range all {
					if !c.CreatedAt.Before(clipped[i]) && c.CreatedAt.Before(b1) && (q.Channel == "" || c.Channel == q.Channel) && (q.Team == "" || c.Team == q.Team) {
						sub = append(sub, c)
					}
				}
				want := analytics.Summarize(analytics.Input{From: clipped[i], To: b1, Stats: sub})
				for m := range analytics.SQLMetrics {
					got, w := analytics.BucketValue(m, aggs[i]), analytics.Value(want, m)
					if (got == nil) != (w == nil) || got != nil && *got != *w {
						t.Fatalf("%s %s %+v bucket %v: SQL %v, Summarize %v", iv, m, q, starts[i], fmtp(got), fmtp(w))
					}
				}
			}
		}
	}
}

func fmtp(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}
