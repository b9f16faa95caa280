package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Hourly rollups (issue 15): what the reports aggregate, kept per hour so
// that a 90-day summary reads a few thousand rows instead of every
// conversation.
//
//   - conv_rollup: per tenant × hour × channel × team, the sums and counts
//     of the conv_stats rows created in that hour, and histograms of first
//     response and resolution times (hist.go) for the percentiles.
//   - order_rollup: per tenant × hour, the order.placed events and their
//     amounts.
//   - hit_rollup: per tenant × hour, the widget hits, those naming no
//     conversation, and how many of those start a browser session
//     (widget_hits.gap_ms, see SessionGap).
//
// The rollups hold numbers and the channel and team ids only, never a text
// a shopper wrote. Every write of the rows they sum (conv_stats,
// merchant_events, widget_hits) recomputes the hours it touched in the
// same transaction, from the rows, so a rollup is never out of step. A
// migration marks the tenants with history as pending and migrate
// rebuilds them (rebuildPending).
//
// Queries read the whole hours of a period from the rollups and the
// partial hours at its ends from the rows. Percentiles over at most
// exactPercentileMax values are computed exactly from the rows; above
// that, from the histograms (within HistError). A filter by agent, or
// time-series buckets not aligned to whole UTC hours, use the rows.

const hourMS = int64(time.Hour / time.Millisecond)

// DefaultConversionWindow is the conversion window the rollups count
// conversions with until a query asks for another one (then the tenant's
// rollups are rebuilt with it; package central/analytics uses the same
// default).
const DefaultConversionWindow = 72 * time.Hour

// SessionGap splits a visitor's browser answers into sessions (package
// central/analytics, BrowserSessionGap): the hit rollups count the hits
// that follow the visitor's previous one by more than this, or have none.
const SessionGap = 30 * time.Minute

// exactPercentileMax is the most values a percentile is computed over
// exactly (from the rows); above, the rollups' histograms answer.
var exactPercentileMax int64 = 5000

func init() { migrations = append(migrations, rollupMigrations...) }

var rollupMigrations = []struct {
	version int
	stmt    string
}{
	// The time from a conversation's start to the first order.placed of
	// its visitor or contact at or after it (-1: none).
	{1530, `ALTER TABLE conv_stats ADD COLUMN order_ms BIGINT NOT NULL DEFAULT -1`},
	{1531, `CREATE INDEX IF NOT EXISTS conv_stats_visitor ON conv_stats (tenant, visitor, created_at)`},
	{1532, `CREATE INDEX IF NOT EXISTS conv_stats_contact ON conv_stats (tenant, contact, created_at)`},
	{1533, `CREATE TABLE IF NOT EXISTS conv_rollup (tenant TEXT NOT NULL, hour BIGINT NOT NULL, channel TEXT NOT NULL, team TEXT NOT NULL,
		conversations BIGINT NOT NULL, messages BIGINT NOT NULL, handed_off BIGINT NOT NULL, deflected BIGINT NOT NULL, closed BIGINT NOT NULL,
		sla_breaches BIGINT NOT NULL, csat_count BIGINT NOT NULL, csat_sum BIGINT NOT NULL, handle_ms BIGINT NOT NULL, avg_resp_sum_ms BIGINT NOT NULL,
		avg_resp_count BIGINT NOT NULL, frt_count BIGINT NOT NULL, resolution_count BIGINT NOT NULL, demo BIGINT NOT NULL, conversions BIGINT NOT NULL,
		frt_hist BYTEA NOT NULL, res_hist BYTEA NOT NULL, PRIMARY KEY (tenant, hour, channel, team))`},
	{1534, `CREATE TABLE IF NOT EXISTS order_rollup (tenant TEXT NOT NULL, hour BIGINT NOT NULL, orders BIGINT NOT NULL,
		revenue DOUBLE PRECISION NOT NULL, PRIMARY KEY (tenant, hour))`},
	// The time since the visitor's previous hit naming no conversation,
	// when at most SessionGap (-1: none that close).
	{1535, `ALTER TABLE widget_hits ADD COLUMN gap_ms BIGINT NOT NULL DEFAULT -1`},
	{1536, `CREATE INDEX IF NOT EXISTS widget_hits_named ON widget_hits (tenant, at) WHERE conversation_id <> ''`},
	{1537, `CREATE TABLE IF NOT EXISTS hit_rollup (tenant TEXT NOT NULL, hour BIGINT NOT NULL, hits BIGINT NOT NULL, unnamed BIGINT NOT NULL,
		starts BIGINT NOT NULL, PRIMARY KEY (tenant, hour))`},
	{1538, `CREATE TABLE IF NOT EXISTS rollup_state (tenant TEXT PRIMARY KEY, window_ms BIGINT NOT NULL, pending INTEGER NOT NULL)`},
	// Tenants with history get their rollups built once (rebuildPending).
	{1539, `INSERT INTO rollup_state (tenant, window_ms, pending) SELECT tenant, 259200000, 1 FROM (SELECT tenant FROM conv_stats
		UNION SELECT tenant FROM widget_hits UNION SELECT tenant FROM merchant_events) t`},
	// The conv_rollup cells summed per UTC day (hour holds the day's
	// start): a 90-day summary reads 90 rows per channel × team.
	{1540, `CREATE TABLE IF NOT EXISTS conv_rollup_day (tenant TEXT NOT NULL, hour BIGINT NOT NULL, channel TEXT NOT NULL, team TEXT NOT NULL,
		conversations BIGINT NOT NULL, messages BIGINT NOT NULL, handed_off BIGINT NOT NULL, deflected BIGINT NOT NULL, closed BIGINT NOT NULL,
		sla_breaches BIGINT NOT NULL, csat_count BIGINT NOT NULL, csat_sum BIGINT NOT NULL, handle_ms BIGINT NOT NULL, avg_resp_sum_ms BIGINT NOT NULL,
		avg_resp_count BIGINT NOT NULL, frt_count BIGINT NOT NULL, resolution_count BIGINT NOT NULL, demo BIGINT NOT NULL, conversions BIGINT NOT NULL,
		frt_hist BYTEA NOT NULL, res_hist BYTEA NOT NULL, PRIMARY KEY (tenant, hour, channel, team))`},
	{1541, `UPDATE rollup_state SET pending = 1`},
	// 1541 missed tenants whose history began after 1539 ran (they had no
	// rollup_state row): every tenant with history is rebuilt once.
	{1542, `INSERT INTO rollup_state (tenant, window_ms, pending) SELECT tenant, 259200000, 1 FROM (SELECT tenant FROM conv_stats
		UNION SELECT tenant FROM widget_hits UNION SELECT tenant FROM merchant_events) t WHERE true
		ON CONFLICT (tenant) DO UPDATE SET pending = 1`},
}

const dayMS = 24 * hourMS

func floorDay(v int64) int64 { return v - v%dayMS }

// cellKey names a rollup cell.
type cellKey struct {
	hour          int64
	channel, team string
}

// rollupCols are the columns of conv_rollup and conv_rollup_day after tenant.
const rollupCols = `hour, channel, team, conversations, messages, handed_off, deflected, closed, sla_breaches, csat_count, csat_sum, handle_ms,
	avg_resp_sum_ms, avg_resp_count, frt_count, resolution_count, demo, conversions, frt_hist, res_hist`

func scanCell(r interface{ Scan(...any) error }) (cellKey, *convAgg, error) {
	var k cellKey
	var fh, rh []byte
	c := newConvAgg()
	if err := r.Scan(&k.hour, &k.channel, &k.team, &c.conv, &c.msgs, &c.handed, &c.defl, &c.closed, &c.breaches, &c.csatN, &c.csatSum,
		&c.handle, &c.avgSum, &c.avgN, &c.frtN, &c.resN, &c.demo, &c.conversions, &fh, &rh); err != nil {
		return k, nil, err
	}
	if err := c.frt.merge(fh); err != nil {
		return k, nil, err
	}
	return k, c, c.res.merge(rh)
}

// writeCells replaces the tenant's cells of table in [a, b) with cells.
func (s *sqlStore) writeCells(ctx context.Context, tx *sql.Tx, table, tenant string, a, b int64, cells map[cellKey]*convAgg) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE tenant = ? AND hour >= ? AND hour < ?`), tenant, a, b); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	if len(cells) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO `+table+` (tenant, `+rollupCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	defer stmt.Close()
	for k, c := range cells {
		if _, err := stmt.ExecContext(ctx, tenant, k.hour, k.channel, k.team, c.conv, c.msgs, c.handed, c.defl, c.closed, c.breaches, c.csatN,
			c.csatSum, c.handle, c.avgSum, c.avgN, c.frtN, c.resN, c.demo, c.conversions, c.frt.encode(), c.res.encode()); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// rebuildConvDays recomputes the tenant's conv_rollup_day rows of the days
// in [d0, d1) from conv_rollup.
func (s *sqlStore) rebuildConvDays(ctx context.Context, tx *sql.Tx, tenant string, d0, d1 int64) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+rollupCols+` FROM conv_rollup WHERE tenant = ? AND hour >= ? AND hour < ?`), tenant, d0, d1)
	if err != nil {
		return fmt.Errorf("day rollup: %w", err)
	}
	cells := map[cellKey]*convAgg{}
	for rows.Next() {
		k, c, err := scanCell(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("day rollup: %w", err)
		}
		k.hour = floorDay(k.hour)
		if d := cells[k]; d != nil {
			d.merge(c)
		} else {
			cells[k] = c
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("day rollup: %w", err)
	}
	return s.writeCells(ctx, tx, "conv_rollup_day", tenant, d0, d1, cells)
}

// lockRollups serialises the rollup upkeep of tenants across
// transactions: on PostgreSQL (read committed) two writers recomputing the
// same hour would each miss the other's rows; a transaction-scoped
// advisory lock per tenant, taken in sorted order before the writes, makes
// the second wait and then read the first's. SQLite has one writer already.
func (s *sqlStore) lockRollups(ctx context.Context, tx *sql.Tx, tenants ...string) error {
	if !s.d.dollar {
		return nil
	}
	slices.Sort(tenants)
	for i, t := range tenants {
		if i > 0 && tenants[i-1] == t {
			continue
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(1530, hashtext($1))`, t); err != nil {
			return fmt.Errorf("rollup lock of %q: %w", t, err)
		}
	}
	return nil
}

func floorHour(v int64) int64 { return v - v%hourMS }
func ceilHour(v int64) int64  { return floorHour(v + hourMS - 1) }

// hourSet collects the hours (their start, ms) a write touched.
type hourSet map[int64]bool

func (h hourSet) addMS(v int64) { h[floorHour(v)] = true }

// ranges are the hours as contiguous [start, end) intervals.
func (h hourSet) ranges() [][2]int64 {
	hs := make([]int64, 0, len(h))
	for v := range h {
		hs = append(hs, v)
	}
	slices.Sort(hs)
	var out [][2]int64
	for _, v := range hs {
		if n := len(out); n > 0 && out[n-1][1] == v {
			out[n-1][1] = v + hourMS
			continue
		}
		out = append(out, [2]int64{v, v + hourMS})
	}
	return out
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// rollupWindow is the conversion window (ms) the tenant's rollups count with.
func (s *sqlStore) rollupWindow(ctx context.Context, q queryer, tenant string) (int64, error) {
	var w int64
	err := q.QueryRowContext(ctx, s.q(`SELECT window_ms FROM rollup_state WHERE tenant = ?`), tenant).Scan(&w)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultConversionWindow.Milliseconds(), nil
	}
	return w, err
}

// ---- conversation facts ----

// convAgg sums conversation facts: a rollup cell, a summary, a bucket.
type convAgg struct {
	conv, msgs, handed, defl, closed, breaches, csatN, csatSum int64
	handle, avgSum, avgN, frtN, resN, demo, conversions        int64
	frt, res                                                   hist
}

func newConvAgg() *convAgg { return &convAgg{frt: hist{}, res: hist{}} }

// factCols are the conv_stats columns the rollups read (scanFact).
const factCols = `created_at, channel, team, messages, handed_off, deflected, closed_at, sla_breached, csat, handle_ms, avg_resp_ms,
	frt_ms, resolution_ms, demo, order_ms`

type factRow struct {
	created                                   int64
	channel, team                             string
	messages, handed, defl, breach, csat, dem int64
	closed, handle, avgResp, frt, res, order  int64
}

func scanFact(r interface{ Scan(...any) error }) (factRow, error) {
	var f factRow
	err := r.Scan(&f.created, &f.channel, &f.team, &f.messages, &f.handed, &f.defl, &f.closed, &f.breach, &f.csat, &f.handle, &f.avgResp,
		&f.frt, &f.res, &f.dem, &f.order)
	return f, err
}

// addRow adds one conversation (Summarize's definitions; windowMS for
// conversions).
func (a *convAgg) addRow(f factRow, windowMS int64) {
	a.conv++
	a.msgs += f.messages
	a.handed += f.handed
	a.defl += f.defl
	if f.closed > 0 {
		a.closed++
	}
	if f.handed == 1 && f.breach == 1 {
		a.breaches++
	}
	if f.csat > 0 {
		a.csatN++
		a.csatSum += f.csat
	}
	a.handle += f.handle
	if f.avgResp >= 0 {
		a.avgN++
		a.avgSum += f.avgResp
	}
	if f.frt >= 0 {
		a.frtN++
		a.frt.add(f.frt)
	}
	if f.res >= 0 {
		a.resN++
		a.res.add(f.res)
	}
	a.demo += f.dem
	if f.order >= 0 && f.order <= windowMS {
		a.conversions++
	}
}

func (a *convAgg) merge(b *convAgg) {
	a.conv += b.conv
	a.msgs += b.msgs
	a.handed += b.handed
	a.defl += b.defl
	a.closed += b.closed
	a.breaches += b.breaches
	a.csatN += b.csatN
	a.csatSum += b.csatSum
	a.handle += b.handle
	a.avgSum += b.avgSum
	a.avgN += b.avgN
	a.frtN += b.frtN
	a.resN += b.resN
	a.demo += b.demo
	a.conversions += b.conversions
	for k, v := range b.frt {
		a.frt[k] += v
	}
	for k, v := range b.res {
		a.res[k] += v
	}
}

func (a *convAgg) statsAgg() StatsAgg {
	return StatsAgg{Conversations: int(a.conv), Messages: int(a.msgs), HandedOff: int(a.handed), Deflected: int(a.defl), Closed: int(a.closed),
		SLABreaches: int(a.breaches), CSATCount: int(a.csatN), CSATSum: int(a.csatSum), HandleMS: a.handle, AvgRespSumMS: a.avgSum,
		AvgRespCount: int(a.avgN), FRTCount: int(a.frtN), ResolutionCount: int(a.resN), Demo: int(a.demo), Conversions: int(a.conversions),
		FRTP50MS: -1, FRTP90MS: -1, ResolutionP50MS: -1}
}

func (a *convAgg) bucketAgg() BucketAgg {
	return BucketAgg{Conversations: int(a.conv), HandedOff: int(a.handed), Closed: int(a.closed), SLABreaches: int(a.breaches),
		CSATCount: int(a.csatN), CSATSum: int(a.csatSum), AvgRespCount: int(a.avgN), FRTCount: int(a.frtN), ResolutionCount: int(a.resN),
		HandleMS: a.handle, AvgRespSumMS: a.avgSum, FRTP50MS: -1, FRTP90MS: -1, ResolutionP50MS: -1}
}

// rebuildConvRollup recomputes the tenant's conv_rollup rows of the hours
// in [h0, h1) from conv_stats.
func (s *sqlStore) rebuildConvRollup(ctx context.Context, tx *sql.Tx, tenant string, h0, h1 int64) error {
	win, err := s.rollupWindow(ctx, tx, tenant)
	if err != nil {
		return err
	}
	cells := map[cellKey]*convAgg{}
	rows, err := tx.QueryContext(ctx, s.q(`SELECT `+factCols+` FROM conv_stats WHERE tenant = ? AND created_at >= ? AND created_at < ?`), tenant, h0, h1)
	if err != nil {
		return fmt.Errorf("conv rollup: %w", err)
	}
	for rows.Next() {
		f, err := scanFact(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("conv rollup: %w", err)
		}
		k := cellKey{floorHour(f.created), f.channel, f.team}
		c := cells[k]
		if c == nil {
			c = newConvAgg()
			cells[k] = c
		}
		c.addRow(f, win)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("conv rollup: %w", err)
	}
	if err := s.writeCells(ctx, tx, "conv_rollup", tenant, h0, h1, cells); err != nil {
		return err
	}
	d1 := int64(math.MaxInt64)
	if h1 < math.MaxInt64-dayMS {
		d1 = floorDay(h1 + dayMS - 1)
	}
	return s.rebuildConvDays(ctx, tx, tenant, floorDay(h0), d1)
}

// readConvRollup calls f with the rollup cells of q's tenant and filters
// (team, channel) in the hours [h0, h1), in time order: the whole UTC days
// from conv_rollup_day when days is set (f sees the day's start), the
// rest from conv_rollup.
func (s *sqlStore) readConvRollup(ctx context.Context, q StatsQuery, h0, h1 int64, days bool, f func(hour int64, c *convAgg)) error {
	d0, d1 := floorDay(h0+dayMS-1), floorDay(h1)
	if !days || d0 >= d1 {
		return s.readCells(ctx, "conv_rollup", q, h0, h1, f)
	}
	for _, p := range []struct {
		table string
		a, b  int64
	}{{"conv_rollup", h0, d0}, {"conv_rollup_day", d0, d1}, {"conv_rollup", d1, h1}} {
		if p.a >= p.b {
			continue
		}
		if err := s.readCells(ctx, p.table, q, p.a, p.b, f); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqlStore) readCells(ctx context.Context, table string, q StatsQuery, a, b int64, f func(hour int64, c *convAgg)) error {
	query := `SELECT ` + rollupCols + ` FROM ` + table + ` WHERE tenant = ? AND hour >= ? AND hour < ?`
	args := []any{q.Tenant, a, b}
	if q.Team != "" {
		query += ` AND team = ?`
		args = append(args, q.Team)
	}
	if q.Channel != "" {
		query += ` AND channel = ?`
		args = append(args, q.Channel)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY hour`), args...)
	if err != nil {
		return fmt.Errorf("%s of %q: %w", table, q.Tenant, err)
	}
	defer rows.Close()
	for rows.Next() {
		k, c, err := scanCell(rows)
		if err != nil {
			return fmt.Errorf("%s of %q: %w", table, q.Tenant, err)
		}
		f(k.hour, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s of %q: %w", table, q.Tenant, err)
	}
	return nil
}

// readFacts calls f with q's conv_stats rows created in [from, to) (ms).
func (s *sqlStore) readFacts(ctx context.Context, q StatsQuery, from, to int64, f func(factRow)) error {
	if from >= to {
		return nil
	}
	w := q
	w.From, w.To = time.UnixMilli(from), time.UnixMilli(to)
	where, args := s.statsWhere(w)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+factCols+where), args...)
	if err != nil {
		return fmt.Errorf("facts of %q: %w", q.Tenant, err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanFact(rows)
		if err != nil {
			return fmt.Errorf("facts of %q: %w", q.Tenant, err)
		}
		f(r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("facts of %q: %w", q.Tenant, err)
	}
	return nil
}

// ensureRollupWindow rebuilds the tenant's conversation rollups when they
// count conversions with another window than window.
func (s *sqlStore) ensureRollupWindow(ctx context.Context, tenant string, window time.Duration) error {
	w, err := s.rollupWindow(ctx, s.db, tenant)
	if err != nil {
		return err
	}
	if w == window.Milliseconds() {
		return nil
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockRollups(ctx, tx, tenant); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO rollup_state (tenant, window_ms, pending) VALUES (?, ?, 0)
			ON CONFLICT (tenant) DO UPDATE SET window_ms = excluded.window_ms`), tenant, window.Milliseconds()); err != nil {
			return err
		}
		return s.rebuildConvRollup(ctx, tx, tenant, 0, math.MaxInt64)
	})
}

// orderMinSQL is the first order.placed of the conversation's visitor (or
// contact) at or after its start.
const orderMinSQL = `(SELECT MIN(e.at) FROM merchant_events e WHERE e.tenant = conv_stats.tenant AND e.%[1]s = conv_stats.%[1]s
	AND e.type = 'order.placed' AND e.at >= conv_stats.created_at)`

var orderMSExpr = func() string {
	v, c := fmt.Sprintf(orderMinSQL, "visitor"), fmt.Sprintf(orderMinSQL, "contact")
	return `COALESCE((CASE WHEN conv_stats.visitor = '' AND conv_stats.contact = '' THEN NULL
		WHEN conv_stats.contact = '' THEN ` + v + ` WHEN conv_stats.visitor = '' THEN ` + c + `
		WHEN ` + v + ` IS NULL THEN ` + c + ` WHEN ` + c + ` IS NULL THEN ` + v + `
		WHEN ` + v + ` < ` + c + ` THEN ` + v + ` ELSE ` + c + ` END) - conv_stats.created_at, -1)`
}()

// applyOrders sets order_ms of the conversations an order.placed follows
// and returns the hours of the conversations changed.
func (s *sqlStore) applyOrders(ctx context.Context, tx *sql.Tx, events []MerchantEvent, hours map[string]hourSet) error {
	var stmts [2]*sql.Stmt
	for i, col := range []string{"visitor", "contact"} {
		st, err := tx.PrepareContext(ctx, s.q(`UPDATE conv_stats SET order_ms = ? - created_at WHERE tenant = ? AND `+col+` = ?
			AND created_at <= ? AND (order_ms < 0 OR order_ms > ? - created_at) RETURNING created_at`))
		if err != nil {
			return err
		}
		defer st.Close()
		stmts[i] = st
	}
	for _, e := range events {
		if e.Type != "order.placed" {
			continue
		}
		at := ms(e.At)
		for i, who := range []string{e.Visitor, e.Contact} {
			if who == "" {
				continue
			}
			rows, err := stmts[i].QueryContext(ctx, at, e.Tenant, who, at, at)
			if err != nil {
				return err
			}
			for rows.Next() {
				var c int64
				if err := rows.Scan(&c); err != nil {
					rows.Close()
					return err
				}
				tenantHours(hours, e.Tenant).addMS(c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

func tenantHours(m map[string]hourSet, tenant string) hourSet {
	h := m[tenant]
	if h == nil {
		h = hourSet{}
		m[tenant] = h
	}
	return h
}

// ---- orders ----

func (s *sqlStore) rebuildOrderRollup(ctx context.Context, tx *sql.Tx, tenant string, h0, h1 int64) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM order_rollup WHERE tenant = ? AND hour >= ? AND hour < ?`), tenant, h0, h1); err != nil {
		return fmt.Errorf("order rollup: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO order_rollup (tenant, hour, orders, revenue)
		SELECT tenant, at - at % 3600000, COUNT(*), SUM(amount) FROM merchant_events WHERE tenant = ? AND type = 'order.placed'
		AND at >= ? AND at < ? GROUP BY tenant, at - at % 3600000`), tenant, h0, h1); err != nil {
		return fmt.Errorf("order rollup: %w", err)
	}
	return nil
}

// orders counts the tenant's order.placed events in [f, t) and sums their
// amounts: the rollup for the whole hours, the rows for the rest.
func (s *sqlStore) orders(ctx context.Context, tenant string, f, t int64) (int, float64, error) {
	h0, h1 := ceilHour(f), floorHour(t)
	var n int
	var sum float64
	exact := func(a, b int64) error {
		if a >= b {
			return nil
		}
		var k int
		var v float64
		err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM merchant_events WHERE tenant = ? AND type = 'order.placed'
			AND at >= ? AND at < ?`), tenant, a, b).Scan(&k, &v)
		n, sum = n+k, sum+v
		return err
	}
	if h0 >= h1 {
		return n, sum, exact(f, t)
	}
	var k int
	var v float64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(orders), 0), COALESCE(SUM(revenue), 0) FROM order_rollup WHERE tenant = ?
		AND hour >= ? AND hour < ?`), tenant, h0, h1).Scan(&k, &v); err != nil {
		return 0, 0, err
	}
	n, sum = k, v
	if err := exact(f, h0); err != nil {
		return 0, 0, err
	}
	return n, sum, exact(h1, t)
}

// ---- widget hits ----

// hitKey orders a visitor's hits (at, faq_id, intent): the unique key.
type hitKey struct {
	at           int64
	faq, intent  string
	gap, newGap  int64
	named, fresh bool
}

// updateGaps recomputes gap_ms of the visitor's hits naming no
// conversation in [from − SessionGap, to + SessionGap] after hits at
// [from, to] were added, adding the hours of the hits changed to hours.
func (s *sqlStore) updateGaps(ctx context.Context, tx *sql.Tx, tenant, visitor string, from, to int64, hours hourSet) error {
	g := SessionGap.Milliseconds()
	rows, err := tx.QueryContext(ctx, s.q(`SELECT at, faq_id, intent, gap_ms FROM widget_hits WHERE tenant = ? AND visitor = ?
		AND conversation_id = '' AND at >= ? AND at <= ? ORDER BY at, faq_id, intent`), tenant, visitor, from-g, to+g)
	if err != nil {
		return err
	}
	var list []hitKey
	for rows.Next() {
		var k hitKey
		if err := rows.Scan(&k.at, &k.faq, &k.intent, &k.gap); err != nil {
			rows.Close()
			return err
		}
		list = append(list, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range list {
		if list[i].at < from {
			continue // its predecessor did not change
		}
		gap := int64(-1)
		if i > 0 && list[i].at-list[i-1].at <= g {
			gap = list[i].at - list[i-1].at
		}
		if gap == list[i].gap {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE widget_hits SET gap_ms = ? WHERE tenant = ? AND visitor = ? AND at = ? AND faq_id = ?
			AND intent = ?`), gap, tenant, visitor, list[i].at, list[i].faq, list[i].intent); err != nil {
			return err
		}
		hours.addMS(list[i].at)
	}
	return nil
}

// rebuildGaps recomputes gap_ms of all the tenant's hits.
func (s *sqlStore) rebuildGaps(ctx context.Context, tx *sql.Tx, tenant string) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT visitor, at, faq_id, intent, gap_ms FROM widget_hits WHERE tenant = ? AND conversation_id = ''
		ORDER BY visitor, at, faq_id, intent`), tenant)
	if err != nil {
		return err
	}
	type change struct {
		visitor     string
		at, gap     int64
		faq, intent string
	}
	var changes []change
	g := SessionGap.Milliseconds()
	prevV, prevAt := "", int64(0)
	first := true
	for rows.Next() {
		var c change
		var old int64
		if err := rows.Scan(&c.visitor, &c.at, &c.faq, &c.intent, &old); err != nil {
			rows.Close()
			return err
		}
		c.gap = -1
		if !first && c.visitor == prevV && c.at-prevAt <= g {
			c.gap = c.at - prevAt
		}
		first, prevV, prevAt = false, c.visitor, c.at
		if c.gap != old {
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE widget_hits SET gap_ms = ? WHERE tenant = ? AND visitor = ? AND at = ? AND faq_id = ?
			AND intent = ?`), c.gap, tenant, c.visitor, c.at, c.faq, c.intent); err != nil {
			return err
		}
	}
	return nil
}

// hitStartSQL is true for a hit that starts a browser session in the rollups.
const hitStartSQL = `(conversation_id = '' AND (gap_ms < 0 OR gap_ms > ` + "1800000" + `))`

func (s *sqlStore) rebuildHitRollup(ctx context.Context, tx *sql.Tx, tenant string, h0, h1 int64) error {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM hit_rollup WHERE tenant = ? AND hour >= ? AND hour < ?`), tenant, h0, h1); err != nil {
		return fmt.Errorf("hit rollup: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO hit_rollup (tenant, hour, hits, unnamed, starts)
		SELECT tenant, at - at % 3600000, COUNT(*), SUM(CASE WHEN conversation_id = '' THEN 1 ELSE 0 END),
		SUM(CASE WHEN `+hitStartSQL+` THEN 1 ELSE 0 END) FROM widget_hits WHERE tenant = ? AND at >= ? AND at < ?
		GROUP BY tenant, at - at % 3600000`), tenant, h0, h1); err != nil {
		return fmt.Errorf("hit rollup: %w", err)
	}
	return nil
}

// ---- rebuilding ----

// rebuildTenant recomputes every derived column and rollup of the tenant.
func (s *sqlStore) rebuildTenant(ctx context.Context, tx *sql.Tx, tenant string) error {
	if err := s.lockRollups(ctx, tx, tenant); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE conv_stats SET order_ms = `+orderMSExpr+` WHERE tenant = ?`), tenant); err != nil {
		return fmt.Errorf("order times: %w", err)
	}
	if err := s.rebuildGaps(ctx, tx, tenant); err != nil {
		return fmt.Errorf("hit gaps: %w", err)
	}
	if err := s.rebuildConvRollup(ctx, tx, tenant, 0, math.MaxInt64); err != nil {
		return err
	}
	if err := s.rebuildOrderRollup(ctx, tx, tenant, 0, math.MaxInt64); err != nil {
		return err
	}
	return s.rebuildHitRollup(ctx, tx, tenant, 0, math.MaxInt64)
}

// rebuildPending builds the rollups of the tenants a migration marked.
func (s *sqlStore) rebuildPending(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT tenant FROM rollup_state WHERE pending = 1`)
	if err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	tenants, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var t string
		return t, r.Scan(&t)
	})
	if err != nil {
		return fmt.Errorf("rollups: %w", err)
	}
	for _, t := range tenants {
		if err := s.rebuildTenant(ctx, tx, t); err != nil {
			return fmt.Errorf("rollups of %q: %w", t, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE rollup_state SET pending = 0 WHERE tenant = ?`), t); err != nil {
			return fmt.Errorf("rollups of %q: %w", t, err)
		}
	}
	return nil
}
