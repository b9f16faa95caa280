package store

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// bucketBounds are the bucket starts in ms and whether the buckets can be
// read from the hourly rollups: every start but the first on a whole UTC
// hour, increasing, and a whole hour inside [starts[0], to).
func bucketBounds(starts []time.Time, to time.Time) (bounds []int64, aligned bool) {
	f, t := ms(starts[0]), ms(to)
	aligned = ceilHour(f) < floorHour(t) && f > 0
	bounds = make([]int64, len(starts))
	for i, st := range starts {
		bounds[i] = ms(st)
		if i > 0 && (bounds[i]%hourMS != 0 || bounds[i] <= bounds[i-1]) {
			aligned = false
		}
	}
	return bounds, aligned
}

// bucketOf returns the bucket of v (ms) among bounds, -1 before the first.
func bucketOf(bounds []int64, v int64) int {
	return sort.Search(len(bounds), func(i int) bool { return bounds[i] > v }) - 1
}

// bucketEnd is the end of bucket i.
func bucketEnd(starts []time.Time, to time.Time, i int) time.Time {
	if i+1 < len(starts) {
		return starts[i+1]
	}
	return to
}

// AggregateStatsSeries is AggregateStats of every bucket [starts[i],
// starts[i+1]) (the last one up to to) without percentiles, read at once:
// the rollup cells of the whole hours, and rows of the partial hours at
// the ends, are each read once and summed per bucket. Buckets not on
// whole UTC hours, or a filter by agent, are aggregated one by one.
func (s *sqlStore) AggregateStatsSeries(ctx context.Context, q StatsQuery, starts []time.Time, to time.Time, window time.Duration) ([]StatsAgg, error) {
	out := make([]StatsAgg, len(starts))
	if len(starts) == 0 {
		return out, nil
	}
	bounds, aligned := bucketBounds(starts, to)
	if !aligned || q.Agent != "" {
		for i := range starts {
			b := q
			b.From, b.To, b.NoPercentiles = starts[i], bucketEnd(starts, to, i), true
			a, err := s.AggregateStats(ctx, b, window)
			if err != nil {
				return nil, err
			}
			out[i] = a
		}
		return out, nil
	}
	if err := s.ensureRollupWindow(ctx, q.Tenant, window); err != nil {
		return nil, fmt.Errorf("store: aggregate stats series of %q: %w", q.Tenant, err)
	}
	f, t := bounds[0], ms(to)
	h0, h1 := ceilHour(f), floorHour(t)
	aggs := make([]*convAgg, len(starts))
	for i := range aggs {
		aggs[i] = newConvAgg()
	}
	days := true
	for _, b := range bounds[1:] {
		days = days && b%dayMS == 0
	}
	if err := s.readConvRollup(ctx, q, h0, h1, days, func(hour int64, c *convAgg) {
		if i := bucketOf(bounds, hour); i >= 0 {
			aggs[i].merge(c)
		}
	}); err != nil {
		return nil, fmt.Errorf("store: aggregate stats series of %q: %w", q.Tenant, err)
	}
	win := window.Milliseconds()
	for _, r := range [][2]int64{{f, h0}, {h1, t}} {
		if err := s.readFacts(ctx, q, r[0], r[1], func(row factRow) {
			if i := bucketOf(bounds, row.created); i >= 0 {
				aggs[i].addRow(row, win)
			}
		}); err != nil {
			return nil, fmt.Errorf("store: aggregate stats series of %q: %w", q.Tenant, err)
		}
	}
	for i, a := range aggs {
		out[i] = a.statsAgg()
	}
	// Orders: the hourly rollup of the whole hours, the rows of the rest.
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT hour, orders, revenue FROM order_rollup WHERE tenant = ? AND hour >= ? AND hour < ? ORDER BY hour`),
		q.Tenant, h0, h1)
	if err != nil {
		return nil, fmt.Errorf("store: orders of %q: %w", q.Tenant, err)
	}
	for rows.Next() {
		var hour int64
		var n int
		var v float64
		if err := rows.Scan(&hour, &n, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: orders of %q: %w", q.Tenant, err)
		}
		if i := bucketOf(bounds, hour); i >= 0 {
			out[i].Orders += n
			out[i].Revenue += v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: orders of %q: %w", q.Tenant, err)
	}
	for _, r := range [][2]int64{{f, h0}, {h1, t}} {
		if r[0] >= r[1] {
			continue
		}
		i := bucketOf(bounds, r[0])
		if j := bucketOf(bounds, r[1]-1); i != j || i < 0 {
			// A partial hour split between buckets cannot happen: the buckets after the first start on whole hours.
			return nil, fmt.Errorf("store: orders of %q: partial hour across buckets", q.Tenant)
		}
		n, v, err := s.ordersRows(ctx, q.Tenant, r[0], r[1])
		if err != nil {
			return nil, fmt.Errorf("store: orders of %q: %w", q.Tenant, err)
		}
		out[i].Orders += n
		out[i].Revenue += v
	}
	return out, nil
}

func init() {
	migrations = append(migrations, struct {
		version int
		stmt    string
	}{1552, `CREATE INDEX IF NOT EXISTS widget_hits_carried ON widget_hits (tenant, at, gap_ms) WHERE conversation_id = '' AND gap_ms >= 0`})
}

// ordersRows counts the tenant's order.placed events in [a, b) and sums
// their amounts from the rows.
func (s *sqlStore) ordersRows(ctx context.Context, tenant string, a, b int64) (int, float64, error) {
	var n int
	var v float64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM merchant_events WHERE tenant = ? AND type = 'order.placed'
		AND at >= ? AND at < ?`), tenant, a, b).Scan(&n, &v)
	return n, v, err
}

// AggregateHitsSeries is AggregateHits of every bucket [starts[i],
// starts[i+1]) (the last one up to to), read at once: the hit rollups of
// the whole hours and the rows of the partial ones, the hits naming a
// conversation and the sessions carried into each bucket in one query
// each. Buckets not on whole UTC hours, another gap than SessionGap, or a
// bucket with a hit naming a conversation outside it, are aggregated one
// by one.
func (s *sqlStore) AggregateHitsSeries(ctx context.Context, tenant string, starts []time.Time, to time.Time, gap time.Duration) ([]HitsAgg, error) {
	out := make([]HitsAgg, len(starts))
	if len(starts) == 0 {
		return out, nil
	}
	bounds, aligned := bucketBounds(starts, to)
	if !aligned || gap != SessionGap {
		for i := range starts {
			a, err := s.AggregateHits(ctx, tenant, starts[i], bucketEnd(starts, to, i), gap)
			if err != nil {
				return nil, err
			}
			out[i] = a
		}
		return out, nil
	}
	f, t := bounds[0], ms(to)
	h0, h1 := ceilHour(f), floorHour(t)
	unnamed := make([]int, len(starts))
	sessions := make([]int, len(starts))
	add := func(at int64, hits, u, st int) {
		if i := bucketOf(bounds, at); i >= 0 {
			out[i].Hits += hits
			unnamed[i] += u
			sessions[i] += st
		}
	}
	scan := func(query string, args ...any) error {
		rows, err := s.db.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var at int64
			var hits, u, st int
			if err := rows.Scan(&at, &hits, &u, &st); err != nil {
				return err
			}
			add(at, hits, u, st)
		}
		return rows.Err()
	}
	if err := scan(`SELECT hour, hits, unnamed, starts FROM hit_rollup WHERE tenant = ? AND hour >= ? AND hour < ?`, tenant, h0, h1); err != nil {
		return nil, fmt.Errorf("store: aggregate hits series of %q: %w", tenant, err)
	}
	for _, r := range [][2]int64{{f, h0}, {h1, t}} {
		if r[0] >= r[1] {
			continue
		}
		if err := scan(`SELECT at, 1, CASE WHEN conversation_id = '' THEN 1 ELSE 0 END, CASE WHEN `+hitStartSQL+` THEN 1 ELSE 0 END
			FROM widget_hits WHERE tenant = ? AND at >= ? AND at < ?`, tenant, r[0], r[1]); err != nil {
			return nil, fmt.Errorf("store: aggregate hits series of %q: %w", tenant, err)
		}
	}
	buckets := bucketsSQL(starts, to)
	perBucket := func(query string, args []any, f func(i int, a, b int)) error {
		rows, err := s.db.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i, a, b int
			if err := rows.Scan(&i, &a, &b); err != nil {
				return err
			}
			if i >= 0 && i < len(out) {
				f(i, a, b)
			}
		}
		return rows.Err()
	}
	inside := make([]int, len(starts))
	named := 0
	for i := range out {
		named += out[i].Hits - unnamed[i]
	}
	if named > 0 {
		// The hits naming a conversation of their own bucket, and those conversations the bot neither deflected nor handed off.
		if err := perBucket(`SELECT b.i, COUNT(*), COUNT(DISTINCT CASE WHEN c.handed_off = 0 AND c.deflected = 0 THEN h.conversation_id END)
			FROM `+buckets+` JOIN widget_hits h ON h.tenant = ? AND h.conversation_id <> '' AND h.at >= b.s AND h.at < b.e
			JOIN conv_stats c ON c.tenant = h.tenant AND c.id = h.conversation_id AND c.created_at >= b.s AND c.created_at < b.e
			GROUP BY b.i`, []any{tenant}, func(i, n, d int) { inside[i], out[i].DeflectedConvs = n, d }); err != nil {
			return nil, fmt.Errorf("store: aggregate hits series of %q: %w", tenant, err)
		}
	}
	// Sessions begun before a bucket and carried into it (AggregateHits):
	// hits whose predecessor (at most SessionGap before, so in the same
	// hour or the one before) lies before their bucket's start. One range
	// scan of the partial index widget_hits_carried for all buckets.
	carried := make([]int, len(starts))
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at, gap_ms FROM widget_hits WHERE tenant = ? AND conversation_id = '' AND gap_ms >= 0
		AND at >= ? AND at < ? AND at % 3600000 < gap_ms`), tenant, f, t)
	if err != nil {
		return nil, fmt.Errorf("store: aggregate hits series of %q: %w", tenant, err)
	}
	for rows.Next() {
		var at, g int64
		if err := rows.Scan(&at, &g); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: aggregate hits series of %q: %w", tenant, err)
		}
		if i := bucketOf(bounds, at); i >= 0 && at-g < bounds[i] {
			carried[i]++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: aggregate hits series of %q: %w", tenant, err)
	}
	for i := range out {
		if out[i].Hits-unnamed[i] != inside[i] {
			a, err := s.aggregateHitsExact(ctx, tenant, starts[i], bucketEnd(starts, to, i), gap)
			if err != nil {
				return nil, err
			}
			out[i] = a
			continue
		}
		out[i].Outside = out[i].Hits - inside[i]
		out[i].Sessions = sessions[i] + carried[i]
	}
	return out, nil
}
