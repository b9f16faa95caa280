package store

import (
	"context"
	"database/sql"
	"time"
)

// SetExactPercentileMax sets exactPercentileMax for a test and returns
// the function that restores it.
func SetExactPercentileMax(n int64) (restore func()) {
	old := exactPercentileMax
	exactPercentileMax = n
	return func() { exactPercentileMax = old }
}

// AggregateStatsExact is the row-by-row AggregateStats.
func AggregateStatsExact(ctx context.Context, st Store, q StatsQuery, window time.Duration) (StatsAgg, error) {
	return st.(*sqlStore).aggregateStatsExact(ctx, q, window)
}

// AggregateHitsExact is the row-by-row AggregateHits.
func AggregateHitsExact(ctx context.Context, st Store, tenant string, from, to time.Time, gap time.Duration) (HitsAgg, error) {
	return st.(*sqlStore).aggregateHitsExact(ctx, tenant, from, to, gap)
}

// SeriesAggregateExact is the row-by-row SeriesAggregate.
func SeriesAggregateExact(ctx context.Context, st Store, q StatsQuery, starts []time.Time, to time.Time, metric string) ([]BucketAgg, error) {
	return st.(*sqlStore).seriesAggregateExact(ctx, q, starts, to, metric)
}

// DropRollups empties the tenant's rollups and marks them pending, as a
// database from before the rollups is after its migration; Remigrate then
// runs migrate, which rebuilds them.
func DropRollups(ctx context.Context, st Store, tenant string) error {
	s := st.(*sqlStore)
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{"conv_rollup", "order_rollup", "hit_rollup"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE tenant = ?`), tenant); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE conv_stats SET order_ms = -1 WHERE tenant = ?`), tenant); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE widget_hits SET gap_ms = -1 WHERE tenant = ?`), tenant); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO rollup_state (tenant, window_ms, pending) VALUES (?, ?, 1)
			ON CONFLICT (tenant) DO UPDATE SET pending = 1`), tenant, DefaultConversionWindow.Milliseconds())
		return err
	})
}

// Remigrate runs migrate again (the migrations are done; pending rollups are rebuilt).
func Remigrate(ctx context.Context, st Store) error {
	s := st.(*sqlStore)
	return s.withTx(ctx, func(tx *sql.Tx) error { return s.migrate(ctx, tx) })
}
