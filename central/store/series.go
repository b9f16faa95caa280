package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SeriesStore aggregates conversation facts per time bucket in the
// database, for the time series that need only conv_stats (package
// central/analytics, SQLSeries).
type SeriesStore interface {
	// SeriesAggregate aggregates the conv_stats rows of q (its From and To
	// are ignored) per bucket: bucket i holds the conversations created
	// in [starts[i], starts[i+1]), the last one up to to. Percentiles are
	// computed only for metric frt_p50_s, frt_p90_s or resolution_p50_s,
	// or for every one when metric is "" (each costs a sort).
	SeriesAggregate(ctx context.Context, q StatsQuery, starts []time.Time, to time.Time, metric string) ([]BucketAgg, error)
}

// BucketAgg is one bucket of SeriesAggregate: sums, counts and nearest-rank
// percentiles (-1 when the bucket has no value).
type BucketAgg struct {
	Conversations, HandedOff, Closed, SLABreaches int
	CSATCount, CSATSum, AvgRespCount              int
	FRTCount, ResolutionCount                     int
	HandleMS, AvgRespSumMS                        int64
	FRTP50MS, FRTP90MS, ResolutionP50MS           int64
}

// bucketsSQL is a derived table (i, s, e) of the buckets, as literals.
func bucketsSQL(starts []time.Time, to time.Time) string {
	var b strings.Builder
	b.WriteString(`(SELECT column1 AS i, column2 AS s, column3 AS e FROM (VALUES `)
	for i, s := range starts {
		e := to
		if i+1 < len(starts) {
			e = starts[i+1]
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(" + strconv.Itoa(i) + ", CAST(" + strconv.FormatInt(ms(s), 10) + " AS BIGINT), CAST(" + strconv.FormatInt(ms(e), 10) + " AS BIGINT))")
	}
	b.WriteString(`) v) b`)
	return b.String()
}

// seriesPercentiles are the percentile metrics a series computes per bucket.
var seriesPercentiles = []struct {
	metric string
	col    string
	p      int
	set    func(*BucketAgg, int64)
}{
	{"frt_p50_s", "frt_ms", 50, func(a *BucketAgg, v int64) { a.FRTP50MS = v }},
	{"frt_p90_s", "frt_ms", 90, func(a *BucketAgg, v int64) { a.FRTP90MS = v }},
	{"resolution_p50_s", "resolution_ms", 50, func(a *BucketAgg, v int64) { a.ResolutionP50MS = v }},
}

// SeriesAggregate reads the whole hours from the rollups (rollup.go) and
// the partial hours at the ends from the rows, when every bucket but the
// first starts on a whole UTC hour; otherwise, or by agent, it aggregates
// the rows (seriesAggregateExact). Percentiles are exact while the series
// holds at most exactPercentileMax values, else read from the histograms.
func (s *sqlStore) SeriesAggregate(ctx context.Context, q StatsQuery, starts []time.Time, to time.Time, metric string) ([]BucketAgg, error) {
	if len(starts) == 0 {
		return []BucketAgg{}, nil
	}
	f, t := ms(starts[0]), ms(to)
	h0, h1 := ceilHour(f), floorHour(t)
	bounds := make([]int64, len(starts))
	aligned := q.Agent == "" && h0 < h1 && f > 0
	for i, st := range starts {
		bounds[i] = ms(st)
		if i > 0 && (bounds[i]%hourMS != 0 || bounds[i] <= bounds[i-1]) {
			aligned = false
		}
	}
	if !aligned {
		return s.seriesAggregateExact(ctx, q, starts, to, metric)
	}
	bucket := func(v int64) int { return sort.Search(len(bounds), func(i int) bool { return bounds[i] > v }) - 1 }
	aggs := make([]*convAgg, len(starts))
	for i := range aggs {
		aggs[i] = newConvAgg()
	}
	// Whole UTC days from the day rollups when every bucket boundary is one.
	days := true
	for _, b := range bounds[1:] {
		days = days && b%dayMS == 0
	}
	if err := s.readConvRollup(ctx, q, h0, h1, days, func(hour int64, c *convAgg) {
		if i := bucket(hour); i >= 0 {
			aggs[i].merge(c)
		}
	}); err != nil {
		return nil, fmt.Errorf("store: series of %q: %w", q.Tenant, err)
	}
	for _, r := range [][2]int64{{f, h0}, {h1, t}} {
		if err := s.readFacts(ctx, q, r[0], r[1], func(row factRow) {
			if i := bucket(row.created); i >= 0 {
				aggs[i].addRow(row, 0)
			}
		}); err != nil {
			return nil, fmt.Errorf("store: series of %q: %w", q.Tenant, err)
		}
	}
	out := make([]BucketAgg, len(starts))
	var frtN, resN int64
	for i, a := range aggs {
		out[i] = a.bucketAgg()
		frtN, resN = frtN+a.frtN, resN+a.resN
	}
	for _, r := range seriesPercentiles {
		if metric != "" && metric != r.metric {
			continue
		}
		n := frtN
		if r.col == "resolution_ms" {
			n = resN
		}
		if n <= exactPercentileMax {
			if err := s.seriesPercentileExact(ctx, q, starts, to, r.col, r.p, out, r.set); err != nil {
				return nil, fmt.Errorf("store: series percentiles of %q: %w", q.Tenant, err)
			}
			continue
		}
		for i, a := range aggs {
			h, k := a.frt, a.frtN
			if r.col == "resolution_ms" {
				h, k = a.res, a.resN
			}
			if k > 0 {
				r.set(&out[i], h.rank(nearestRank(k, float64(r.p))))
			}
		}
	}
	return out, nil
}

// seriesJoin is the join of the buckets with q's conv_stats rows.
func (s *sqlStore) seriesJoin(q StatsQuery, starts []time.Time, to time.Time) (string, []any) {
	join := ` FROM ` + bucketsSQL(starts, to) + ` JOIN conv_stats c ON c.tenant = ? AND c.created_at >= b.s AND c.created_at < b.e`
	args := []any{q.Tenant}
	if q.Team != "" {
		join += ` AND c.team = ?`
		args = append(args, q.Team)
	}
	if q.Channel != "" {
		join += ` AND c.channel = ?`
		args = append(args, q.Channel)
	}
	if q.Agent != "" {
		join += ` AND (',' || c.agents || ',') LIKE ?`
		args = append(args, "%,"+q.Agent+",%")
	}
	return join, args
}

// seriesPercentileExact sets the nearest-rank p-th percentile of col per
// bucket (rank ceil(p/100 × n)) from the rows.
func (s *sqlStore) seriesPercentileExact(ctx context.Context, q StatsQuery, starts []time.Time, to time.Time, col string, p int,
	out []BucketAgg, set func(*BucketAgg, int64)) error {
	join, args := s.seriesJoin(q, starts, to)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT i, v FROM (SELECT b.i AS i, c.`+col+` AS v,
		ROW_NUMBER() OVER (PARTITION BY b.i ORDER BY c.`+col+`) AS rn, COUNT(*) OVER (PARTITION BY b.i) AS n`+join+
		` AND c.`+col+` >= 0) x WHERE rn = (n * `+strconv.Itoa(p)+` + 99) / 100`), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var v int64
		if err := rows.Scan(&i, &v); err != nil {
			return err
		}
		if i >= 0 && i < len(out) {
			set(&out[i], v)
		}
	}
	return rows.Err()
}

// seriesAggregateExact aggregates the conv_stats rows per bucket.
func (s *sqlStore) seriesAggregateExact(ctx context.Context, q StatsQuery, starts []time.Time, to time.Time, metric string) ([]BucketAgg, error) {
	out := make([]BucketAgg, len(starts))
	for i := range out {
		out[i].FRTP50MS, out[i].FRTP90MS, out[i].ResolutionP50MS = -1, -1, -1
	}
	if len(starts) == 0 {
		return out, nil
	}
	join, args := s.seriesJoin(q, starts, to)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT b.i, COUNT(*), SUM(c.handed_off), SUM(CASE WHEN c.closed_at > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN c.handed_off = 1 AND c.sla_breached = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN c.csat > 0 THEN 1 ELSE 0 END), SUM(c.csat),
		SUM(CASE WHEN c.avg_resp_ms >= 0 THEN 1 ELSE 0 END), SUM(CASE WHEN c.frt_ms >= 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN c.resolution_ms >= 0 THEN 1 ELSE 0 END), SUM(c.handle_ms), SUM(CASE WHEN c.avg_resp_ms >= 0 THEN c.avg_resp_ms ELSE 0 END)`+
		join+` GROUP BY b.i`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: series of %q: %w", q.Tenant, err)
	}
	for rows.Next() {
		var i int
		var a BucketAgg
		if err := rows.Scan(&i, &a.Conversations, &a.HandedOff, &a.Closed, &a.SLABreaches, &a.CSATCount, &a.CSATSum, &a.AvgRespCount,
			&a.FRTCount, &a.ResolutionCount, &a.HandleMS, &a.AvgRespSumMS); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: series of %q: %w", q.Tenant, err)
		}
		if i >= 0 && i < len(out) {
			a.FRTP50MS, a.FRTP90MS, a.ResolutionP50MS = -1, -1, -1
			out[i] = a
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: series of %q: %w", q.Tenant, err)
	}
	for _, r := range seriesPercentiles {
		if metric != "" && metric != r.metric {
			continue
		}
		if err := s.seriesPercentileExact(ctx, q, starts, to, r.col, r.p, out, r.set); err != nil {
			return nil, fmt.Errorf("store: series percentiles of %q: %w", q.Tenant, err)
		}
	}
	return out, nil
}
