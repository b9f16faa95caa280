package store_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// rollupHistory writes three days of random facts, orders and browser
// answers for tenant "demo" starting at from.
func rollupHistory(t *testing.T, s store.Store, from time.Time, n int) {
	t.Helper()
	stats, events, hits := randomHistory(from, n)
	// Written in pieces and out of order, as they arrive.
	half := len(events) / 2
	if err := s.ImportEvents(ctx, events[:half]); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(stats); i += 100 {
		if err := s.PutConvStats(ctx, stats[i:min(i+100, len(stats))]...); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ImportEvents(ctx, events[half:]); err != nil {
		t.Fatal(err)
	}
	for i := len(hits); i > 0; i -= 150 {
		if _, err := s.PutWidgetHits(ctx, hits[max(0, i-150):i]...); err != nil {
			t.Fatal(err)
		}
	}
}

// randomHistory makes three days of random facts, orders and browser
// answers for tenant "demo" starting at from.
func randomHistory(from time.Time, n int) ([]store.ConvStats, []store.MerchantEvent, []store.WidgetHit) {
	r := rand.New(rand.NewPCG(11, 5))
	var stats []store.ConvStats
	var events []store.MerchantEvent
	var hits []store.WidgetHit
	span := int64(72 * time.Hour)
	for i := range n {
		c := store.ConvStats{Tenant: "demo", ID: fmt.Sprintf("c%05d", i), Visitor: fmt.Sprintf("v%d", r.IntN(n/2)),
			Channel: []string{"web", "wechat", "app"}[r.IntN(3)], Team: []string{"", "vip"}[r.IntN(2)],
			CreatedAt:       from.Add(time.Duration(r.Int64N(span))).Truncate(time.Millisecond),
			FirstResponseMS: -1, AvgResponseMS: -1, ResolutionMS: -1, Messages: 1 + r.IntN(9), Demo: r.IntN(4) == 0}
		if r.IntN(3) == 0 {
			c.Contact = fmt.Sprintf("k%d", r.IntN(n/4))
		}
		if r.IntN(2) == 0 {
			c.HandedOff, c.AvgResponseMS, c.HandleMS = true, r.Int64N(300_000), r.Int64N(3_600_000)
			c.FirstResponseMS = int64(math.Exp(r.Float64() * 14)) // 1 ms … 20 min
			c.SLABreached = c.FirstResponseMS > 120_000
		} else {
			c.Deflected = r.IntN(2) == 0
		}
		if r.IntN(3) > 0 {
			c.ClosedAt, c.ResolutionMS = c.CreatedAt.Add(time.Hour), r.Int64N(7_200_000)
		}
		if r.IntN(2) == 0 {
			c.CSAT = 1 + r.IntN(5)
		}
		stats = append(stats, c)
		if r.IntN(3) == 0 { // an order by the same shopper, some outside the window
			e := store.MerchantEvent{Tenant: "demo", ID: fmt.Sprintf("o%05d", i), Type: "order.placed", Amount: float64(r.IntN(10000)) / 100,
				At: c.CreatedAt.Add(time.Duration(r.Int64N(int64(100 * time.Hour)))), Demo: c.Demo}
			if c.Contact != "" && r.IntN(2) == 0 {
				e.Contact = c.Contact
			} else {
				e.Visitor = c.Visitor
			}
			events = append(events, e)
		}
		if !c.HandedOff && r.IntN(4) == 0 { // a browser answer inside the conversation
			hits = append(hits, store.WidgetHit{Tenant: "demo", Visitor: c.Visitor, ConversationID: c.ID, FAQID: "faq", At: c.CreatedAt.Add(time.Second)})
		}
	}
	// Browser sessions: bursts of hits a few minutes apart, some over an hour apart.
	for v := range n / 2 {
		at := from.Add(-time.Hour).Add(time.Duration(r.Int64N(span)))
		for range 1 + r.IntN(4) {
			hits = append(hits, store.WidgetHit{Tenant: "demo", Visitor: fmt.Sprintf("b%d", v), FAQID: []string{"a", "b"}[r.IntN(2)],
				At: at.Truncate(time.Millisecond), Demo: v%3 == 0})
			at = at.Add(time.Duration(r.Int64N(int64(50 * time.Minute))))
		}
	}
	return stats, events, hits
}

// testRollups: the summary and series read from the hourly rollups equal
// the row-by-row aggregates, also after orders arrive late, a changed
// conversion window, the demo history's removal and a rebuild; with
// percentiles from the histograms they are within store.HistError.
func testRollups(t *testing.T, s store.Store) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rollupHistory(t, s, from, 1200)
	ranges := []store.StatsQuery{
		{Tenant: "demo", From: from.Add(90 * time.Minute), To: from.Add(50*time.Hour + 17*time.Minute)},
		{Tenant: "demo", From: from.Add(-time.Hour), To: from.Add(80 * time.Hour)},
		{Tenant: "demo", From: from.Add(5 * time.Hour), To: from.Add(29 * time.Hour), Channel: "wechat"},
		{Tenant: "demo", From: from.Add(7*time.Hour + time.Second), To: from.Add(40 * time.Hour), Team: "vip", Channel: "web"},
		{Tenant: "demo", From: from.Add(20 * time.Minute), To: from.Add(70 * time.Minute)},
	}
	check := func(step string, window time.Duration) {
		t.Helper()
		for _, q := range ranges {
			got, err := s.AggregateStats(ctx, q, window)
			if err != nil {
				t.Fatal(err)
			}
			want, err := store.AggregateStatsExact(ctx, s, q, window)
			if err != nil {
				t.Fatal(err)
			}
			if got.Revenue-want.Revenue < 1e-6 && want.Revenue-got.Revenue < 1e-6 {
				got.Revenue = want.Revenue
			}
			if got != want {
				t.Fatalf("%s, %+v:\n rollups %+v\n rows    %+v", step, q, got, want)
			}
			if q.Team != "" || q.Channel != "" {
				continue
			}
			gh, err := s.AggregateHits(ctx, q.Tenant, q.From, q.To, analytics.BrowserSessionGap)
			if err != nil {
				t.Fatal(err)
			}
			wh, err := store.AggregateHitsExact(ctx, s, q.Tenant, q.From, q.To, analytics.BrowserSessionGap)
			if err != nil {
				t.Fatal(err)
			}
			if gh != wh || wh.Sessions == 0 {
				t.Fatalf("%s, hits %v–%v: rollups %+v, rows %+v", step, q.From, q.To, gh, wh)
			}
		}
	}
	check("written", analytics.DefaultConversionWindow)
	// A late order converts conversations and adds revenue.
	if _, err := s.PutMerchantEvent(ctx, store.MerchantEvent{Tenant: "demo", ID: "late", Type: "order.placed", Visitor: "v1", Amount: 5,
		At: from.Add(30 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// A browser answer that splits a session, and one naming a conversation outside the period.
	if _, err := s.PutWidgetHits(ctx, store.WidgetHit{Tenant: "demo", Visitor: "b7", FAQID: "late", At: from.Add(33 * time.Hour)},
		store.WidgetHit{Tenant: "demo", Visitor: "x", ConversationID: "c00001", FAQID: "x", At: from.Add(79 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	check("late order and hits", analytics.DefaultConversionWindow)
	check("24 h window", 24*time.Hour)
	check("back to 72 h", analytics.DefaultConversionWindow)
	if _, err := s.DeleteDemo(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	check("demo removed", analytics.DefaultConversionWindow)
	if err := store.DropRollups(ctx, s, "demo"); err != nil {
		t.Fatal(err)
	}
	if err := store.Remigrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	check("rebuilt by migrate", analytics.DefaultConversionWindow)

	// Series: rollups (hour-aligned buckets) equal the rows.
	sf, st := from.Add(90*time.Minute), from.Add(70*time.Hour+10*time.Minute)
	for _, iv := range []analytics.Interval{analytics.Hour, analytics.Day} {
		_, clipped, err := analytics.SQLBounds(sf, st, iv, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []store.StatsQuery{{Tenant: "demo"}, {Tenant: "demo", Channel: "app", Team: "vip"}} {
			got, err := s.SeriesAggregate(ctx, q, clipped, st, "")
			if err != nil {
				t.Fatal(err)
			}
			want, err := store.SeriesAggregateExact(ctx, s, q, clipped, st, "")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("series %s %+v:\n rollups %+v\n rows    %+v", iv, q, got, want)
			}
		}
	}

	// Percentiles from the histograms: within HistError (+1 ms) of exact.
	defer store.SetExactPercentileMax(10)()
	near := func(what string, got, want int64) {
		t.Helper()
		if d := math.Abs(float64(got - want)); (got < 0) != (want < 0) || d > store.HistError*float64(want)+1 {
			t.Fatalf("%s: histogram %d, exact %d", what, got, want)
		}
	}
	for _, q := range ranges {
		got, err := s.AggregateStats(ctx, q, analytics.DefaultConversionWindow)
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.AggregateStatsExact(ctx, s, q, analytics.DefaultConversionWindow)
		if err != nil {
			t.Fatal(err)
		}
		near("frt p50", got.FRTP50MS, want.FRTP50MS)
		near("frt p90", got.FRTP90MS, want.FRTP90MS)
		near("resolution p50", got.ResolutionP50MS, want.ResolutionP50MS)
		got.FRTP50MS, got.FRTP90MS, got.ResolutionP50MS = want.FRTP50MS, want.FRTP90MS, want.ResolutionP50MS
		got.Revenue = want.Revenue
		if got != want {
			t.Fatalf("histogram path, %+v:\n rollups %+v\n rows    %+v", q, got, want)
		}
	}
	_, clipped, _ := analytics.SQLBounds(sf, st, analytics.Day, time.UTC)
	got, err := s.SeriesAggregate(ctx, store.StatsQuery{Tenant: "demo"}, clipped, st, "")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := store.SeriesAggregateExact(ctx, s, store.StatsQuery{Tenant: "demo"}, clipped, st, "")
	for i := range got {
		near("series frt p90", got[i].FRTP90MS, want[i].FRTP90MS)
		near("series resolution p50", got[i].ResolutionP50MS, want[i].ResolutionP50MS)
	}
}

// testRollupsConcurrent: writers storing facts of the same hours at once
// (central replicas) leave rollups equal to the rows.
func testRollupsConcurrent(t *testing.T, s store.Store) {
	from := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			var err error
			for i := range 20 {
				c := store.ConvStats{Tenant: "demo", ID: fmt.Sprintf("w%d-%d", w, i), Visitor: "v", Channel: "web",
					CreatedAt: from.Add(time.Duration(w*20+i) * 17 * time.Second), FirstResponseMS: int64(1000 * (w + i)), AvgResponseMS: -1,
					ResolutionMS: -1, HandedOff: true, Messages: 2}
				if err = s.PutConvStats(ctx, c); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	q := store.StatsQuery{Tenant: "demo", From: from.Add(-time.Hour), To: from.Add(2 * time.Hour)}
	got, err := s.AggregateStats(ctx, q, analytics.DefaultConversionWindow)
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.AggregateStatsExact(ctx, s, q, analytics.DefaultConversionWindow)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got.Conversations != 160 {
		t.Fatalf("rollups %+v\nrows    %+v", got, want)
	}
}

// testBulkLoad: history written with a Bulk (in pieces, some twice) has
// rollups equal to its rows once Finish rebuilt them, its messages in
// order, and no row twice; rows of another tenant are refused.
func testBulkLoad(t *testing.T, s store.Store) {
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	stats, events, hits := randomHistory(from, 900)
	ids := map[string]string{}
	var convs []store.ImportedConversation
	for _, c := range stats {
		id := chat.NewID()
		ids[c.ID] = id
		conv := store.Conversation{Tenant: "demo", ID: id, Visitor: c.Visitor, Channel: chat.Channel(c.Channel), Region: "cn", Lang: "en",
			Status: store.StatusClosed, CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt.Add(time.Minute)}
		var msgs []chat.Message
		for k := range 3 {
			msgs = append(msgs, chat.Message{ID: chat.NewID(), ConversationID: id, Role: chat.RoleShopper, Text: fmt.Sprintf("m%d", k),
				Lang: "en", At: c.CreatedAt.Add(time.Duration(k) * time.Second)})
		}
		convs = append(convs, store.ImportedConversation{Conv: conv, Messages: msgs, Stats: c})
	}
	for i := range hits {
		if hits[i].ConversationID != "" {
			hits[i].ConversationID = ids[hits[i].ConversationID]
		}
	}
	notices := []store.Notice{{Tenant: "demo", ID: "n1", Rule: "r", Shopper: "v1", Arm: "sent", State: "sent", CreatedAt: from}}
	b, err := s.BulkLoad(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"conversations": len(convs), "events": len(events), "hits": len(hits), "notices": 1}
	got := map[string]int{}
	for i := 0; i < len(convs); i += 250 {
		n, err := b.Conversations(ctx, convs[i:min(i+250, len(convs))])
		if err != nil {
			t.Fatal(err)
		}
		got["conversations"] += n
	}
	for _, part := range [][]store.MerchantEvent{events[:len(events)/2], events} { // the second half after the first again
		n, err := b.Events(ctx, part)
		if err != nil {
			t.Fatal(err)
		}
		got["events"] += n
	}
	for i := len(hits); i > 0; i -= 400 {
		n, err := b.Hits(ctx, hits[max(0, i-400):i])
		if err != nil {
			t.Fatal(err)
		}
		got["hits"] += n
	}
	for range 2 {
		n, err := b.Notices(ctx, notices)
		if err != nil {
			t.Fatal(err)
		}
		got["notices"] += n
	}
	n, err := b.Conversations(ctx, convs[:10]) // again: skipped
	if err != nil || n != 0 {
		t.Fatalf("conversations again: %d, %v", n, err)
	}
	other := convs[0]
	other.Conv.Tenant, other.Conv.ID = "other", chat.NewID()
	if _, err := b.Conversations(ctx, []store.ImportedConversation{other}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("another tenant's conversation: %v", err)
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
	msgs, err := s.Messages(ctx, "demo", convs[7].Conv.ID, "", 10)
	if err != nil || len(msgs) != 3 || msgs[0].Text != "m0" || msgs[2].Text != "m2" {
		t.Fatalf("messages %+v, %v", msgs, err)
	}
	for _, q := range []store.StatsQuery{
		{Tenant: "demo", From: from.Add(-time.Hour), To: from.Add(80 * time.Hour)},
		{Tenant: "demo", From: from.Add(5*time.Hour + 7*time.Minute), To: from.Add(29 * time.Hour), Channel: "wechat"},
	} {
		got, err := s.AggregateStats(ctx, q, analytics.DefaultConversionWindow)
		if err != nil {
			t.Fatal(err)
		}
		want, err := store.AggregateStatsExact(ctx, s, q, analytics.DefaultConversionWindow)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Revenue-want.Revenue) < 1e-6 {
			got.Revenue = want.Revenue
		}
		if got != want || got.Conversations == 0 || got.Conversions == 0 {
			t.Fatalf("%+v:\n rollups %+v\n rows    %+v", q, got, want)
		}
		gh, err := s.AggregateHits(ctx, q.Tenant, q.From, q.To, analytics.BrowserSessionGap)
		if err != nil {
			t.Fatal(err)
		}
		wh, err := store.AggregateHitsExact(ctx, s, q.Tenant, q.From, q.To, analytics.BrowserSessionGap)
		if err != nil {
			t.Fatal(err)
		}
		if gh != wh || wh.Sessions == 0 {
			t.Fatalf("hits %v–%v: rollups %+v, rows %+v", q.From, q.To, gh, wh)
		}
	}
}

// testAggregateSeries: AggregateStatsSeries and AggregateHitsSeries equal
// AggregateStats (without percentiles) and AggregateHits bucket by bucket
// — hourly and daily buckets with a partial first one, buckets not on
// whole hours, a channel filter, and a hit naming a conversation of
// another bucket.
func testAggregateSeries(t *testing.T, s store.Store) {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rollupHistory(t, s, from, 1200)
	if _, err := s.PutWidgetHits(ctx, store.WidgetHit{Tenant: "demo", Visitor: "x", ConversationID: "c00001", FAQID: "x", At: from.Add(79 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	every := func(f, to time.Time, step time.Duration) []time.Time {
		out := []time.Time{f}
		for b := f.Truncate(step).Add(step); b.Before(to); b = b.Add(step) {
			out = append(out, b)
		}
		return out
	}
	f, to := from.Add(90*time.Minute+7*time.Second), from.Add(80*time.Hour+10*time.Minute)
	for _, c := range []struct {
		name   string
		starts []time.Time
		q      store.StatsQuery
	}{
		{"hourly", every(f, to, time.Hour), store.StatsQuery{Tenant: "demo"}},
		{"daily", every(f, to, 24*time.Hour), store.StatsQuery{Tenant: "demo"}},
		{"daily, wechat", every(f, to, 24*time.Hour), store.StatsQuery{Tenant: "demo", Channel: "wechat"}},
		{"half hours", every(f, to, 30*time.Minute), store.StatsQuery{Tenant: "demo"}},
	} {
		got, err := s.AggregateStatsSeries(ctx, c.q, c.starts, to, analytics.DefaultConversionWindow)
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.AggregateHitsSeries(ctx, "demo", c.starts, to, analytics.BrowserSessionGap)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.starts) || len(hits) != len(c.starts) {
			t.Fatalf("%s: %d and %d buckets, want %d", c.name, len(got), len(hits), len(c.starts))
		}
		var convs, sessions, orders int
		for i, b0 := range c.starts {
			b1 := to
			if i+1 < len(c.starts) {
				b1 = c.starts[i+1]
			}
			q := c.q
			q.From, q.To, q.NoPercentiles = b0, b1, true
			want, err := s.AggregateStats(ctx, q, analytics.DefaultConversionWindow)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got[i].Revenue-want.Revenue) < 1e-6 {
				got[i].Revenue = want.Revenue
			}
			if got[i] != want {
				t.Fatalf("%s, bucket %d (%v):\n series %+v\n bucket %+v", c.name, i, b0, got[i], want)
			}
			wh, err := s.AggregateHits(ctx, "demo", b0, b1, analytics.BrowserSessionGap)
			if err != nil {
				t.Fatal(err)
			}
			if hits[i] != wh {
				t.Fatalf("%s, bucket %d (%v): hits series %+v, bucket %+v", c.name, i, b0, hits[i], wh)
			}
			convs, sessions, orders = convs+want.Conversations, sessions+wh.Sessions, orders+want.Orders
		}
		if convs == 0 || sessions == 0 || orders == 0 {
			t.Fatalf("%s: nothing compared (%d conversations, %d sessions, %d orders)", c.name, convs, sessions, orders)
		}
	}
}
