package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Bulk loads imported history of one tenant (demo history, benchmarks) in
// large transactions, without the per-write upkeep of the rollups and the
// derived columns (conversions, browser-session gaps) that
// ImportConversations, ImportEvents and PutWidgetHits do: Finish rebuilds
// them once for the whole tenant.
//
// On PostgreSQL each call copies its rows (COPY) into temporary tables of
// one session and moves them with one INSERT … SELECT per table, skipping
// the rows already stored as the Import methods do; on SQLite each call is
// one transaction of prepared inserts.
//
// BulkLoad marks the tenant's rollups as pending: until Finish its reports
// read rollups that lack the loaded rows, and should the process end before
// Finish, the next open of the store rebuilds them (rebuildPending).
type Bulk struct {
	s      *sqlStore
	tenant string
	// conn is the PostgreSQL session that holds the staging tables.
	conn *sql.Conn
}

// bulkTables are the tables Bulk stages on PostgreSQL, with the columns
// it copies (the staging table of messages adds ord, the order of arrival).
var bulkTables = []struct{ table, cols string }{
	{"conversations", convCols},
	{"messages", "tenant, " + msgCols},
	{"conv_stats", convStatsCols},
	{"merchant_events", eventCols},
	{"widget_hits", hitCols},
	{"proactive_notices", noticeCols},
}

func stageName(table string) string { return "kefu_bulk_" + table }

func colList(cols string) []string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, strings.TrimSpace(c))
	}
	return out
}

func (s *sqlStore) BulkLoad(ctx context.Context, tenant string) (*Bulk, error) {
	if tenant == "" {
		return nil, fmt.Errorf("store: bulk load: %w: no tenant", ErrInvalid)
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO rollup_state (tenant, window_ms, pending) VALUES (?, ?, 1)
		ON CONFLICT (tenant) DO UPDATE SET pending = 1`), tenant, DefaultConversionWindow.Milliseconds()); err != nil {
		return nil, fmt.Errorf("store: bulk load of %q: %w", tenant, err)
	}
	b := &Bulk{s: s, tenant: tenant}
	if !s.d.dollar {
		return b, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: bulk load of %q: %w", tenant, err)
	}
	b.conn = conn
	for _, t := range bulkTables {
		cols := t.cols
		if t.table == "messages" {
			cols = "0::BIGINT AS ord, " + cols
		}
		if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS `+stageName(t.table)+` ON COMMIT DELETE ROWS AS SELECT `+cols+
			` FROM `+t.table+` WITH NO DATA`); err != nil {
			conn.Close()
			return nil, fmt.Errorf("store: bulk load of %q: staging %s: %w", tenant, t.table, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS kefu_bulk_new (id TEXT NOT NULL) ON COMMIT DELETE ROWS`); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: bulk load of %q: %w", tenant, err)
	}
	return b, nil
}

// pgTx runs f in a transaction on the bulk session's pgx connection.
func (b *Bulk) pgTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	return b.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		tx, err := c.Conn().Begin(ctx)
		if err != nil {
			return err
		}
		if err := f(tx); err != nil {
			_ = tx.Rollback(ctx)
			return err
		}
		return tx.Commit(ctx)
	})
}

// copyStage copies rows into the staging table of table.
func copyStage(ctx context.Context, tx pgx.Tx, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stageName(table)}, colList(cols), pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	return nil
}

func (b *Bulk) checkTenant(tenant, what string) error {
	if tenant != b.tenant {
		return fmt.Errorf("%w: %s of tenant %q in a bulk load of %q", ErrInvalid, what, tenant, b.tenant)
	}
	return nil
}

// Conversations writes whole conversations (row, messages, facts); ids
// already stored are skipped. It returns how many were written.
func (b *Bulk) Conversations(ctx context.Context, convs []ImportedConversation) (int, error) {
	for _, ic := range convs {
		if err := validImported(ic); err != nil {
			return 0, fmt.Errorf("store: bulk conversations: %w", err)
		}
		if err := b.checkTenant(ic.Conv.Tenant, "conversation"); err != nil {
			return 0, fmt.Errorf("store: bulk conversations: %w", err)
		}
	}
	n := 0
	var err error
	if b.conn == nil {
		err = b.s.withTx(ctx, func(tx *sql.Tx) error {
			stats, err := b.s.insertImported(ctx, tx, convs)
			if err != nil {
				return err
			}
			n = len(stats)
			stmt, err := tx.PrepareContext(ctx, b.s.q(convStatsUpsert))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, c := range stats {
				if _, err := stmt.ExecContext(ctx, convStatsArgs(c)...); err != nil {
					return fmt.Errorf("conversation %q: %w", c.ID, err)
				}
			}
			return nil
		})
	} else {
		err = b.pgTx(ctx, func(tx pgx.Tx) error {
			var cs, msgs, stats [][]any
			ord := 0
			for _, ic := range convs {
				c := ic.Conv
				cs = append(cs, []any{c.Tenant, c.ID, c.Visitor, string(c.Channel), c.Region, c.Lang, string(c.Status), c.Priority, c.Anger,
					b2i(c.VIP), c.Agent, c.Reason, c.LastText, c.BotFailures, ms(c.QueuedAt), ms(c.CreatedAt), ms(c.UpdatedAt)})
				for _, m := range ic.Messages {
					ord++
					msgs = append(msgs, []any{ord, c.Tenant, m.ID, m.ConversationID, string(m.Role), m.Text, string(m.Source), m.ReplyTo,
						m.Author, m.Lang, m.Intent, m.Anger, ms(m.At), "", string(m.Channel), m.ChannelID})
				}
				st := ic.Stats
				st.Tenant, st.ID = c.Tenant, c.ID
				stats = append(stats, convStatsArgs(st))
			}
			if err := copyStage(ctx, tx, "conversations", convCols, cs); err != nil {
				return err
			}
			if err := copyStage(ctx, tx, "messages", "ord, tenant, "+msgCols, msgs); err != nil {
				return err
			}
			if err := copyStage(ctx, tx, "conv_stats", convStatsCols, stats); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `WITH n AS (INSERT INTO conversations (`+convCols+`) SELECT `+convCols+` FROM kefu_bulk_conversations
				ON CONFLICT (tenant, id) DO NOTHING RETURNING id) INSERT INTO kefu_bulk_new SELECT id FROM n`)
			if err != nil {
				return fmt.Errorf("conversations: %w", err)
			}
			n = int(tag.RowsAffected())
			if _, err := tx.Exec(ctx, `INSERT INTO messages (tenant, `+msgCols+`) SELECT tenant, `+msgCols+` FROM kefu_bulk_messages
				WHERE conversation_id IN (SELECT id FROM kefu_bulk_new) ORDER BY ord ON CONFLICT (tenant, id) DO NOTHING`); err != nil {
				return fmt.Errorf("messages: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO conv_stats (`+convStatsCols+`) SELECT `+convStatsCols+` FROM kefu_bulk_conv_stats
				WHERE id IN (SELECT id FROM kefu_bulk_new)`+convStatsOnConflict); err != nil {
				return fmt.Errorf("conv stats: %w", err)
			}
			return nil
		})
	}
	if err != nil {
		return 0, fmt.Errorf("store: bulk conversations: %w", err)
	}
	return n, nil
}

// Events stores merchant events; ids already stored are skipped. It
// returns how many were stored.
func (b *Bulk) Events(ctx context.Context, events []MerchantEvent) (int, error) {
	rows := make([][]any, 0, len(events))
	for _, e := range events {
		if e.Tenant == "" || e.ID == "" || e.Type == "" || e.At.IsZero() {
			return 0, fmt.Errorf("store: bulk events: %w: event needs tenant, id, type and time", ErrInvalid)
		}
		if err := b.checkTenant(e.Tenant, "event"); err != nil {
			return 0, fmt.Errorf("store: bulk events: %w", err)
		}
		rows = append(rows, []any{e.Tenant, e.ID, e.Type, e.Contact, e.Visitor, e.OrderID, e.Amount, e.Currency,
			ms(e.At), e.Data, b2i(e.Demo), ms(e.ReceivedAt)})
	}
	n, err := b.load(ctx, "merchant_events", eventCols, `ON CONFLICT (tenant, id) DO NOTHING`, rows)
	if err != nil {
		return 0, fmt.Errorf("store: bulk events: %w", err)
	}
	return n, nil
}

// Hits stores widget hits; a hit already stored (PutWidgetHits) is
// skipped. It returns how many were new.
func (b *Bulk) Hits(ctx context.Context, hits []WidgetHit) (int, error) {
	rows := make([][]any, 0, len(hits))
	for _, h := range hits {
		if h.Tenant == "" || h.Visitor == "" || h.At.IsZero() || (h.FAQID == "" && h.Intent == "") {
			return 0, fmt.Errorf("store: bulk hits: %w: a hit needs tenant, visitor, time and a FAQ id or intent", ErrInvalid)
		}
		if err := b.checkTenant(h.Tenant, "hit"); err != nil {
			return 0, fmt.Errorf("store: bulk hits: %w", err)
		}
		rows = append(rows, []any{h.Tenant, h.Visitor, h.ConversationID, h.FAQID, h.Intent, h.Lang, h.Region, h.Score, ms(h.At), b2i(h.Demo)})
	}
	n, err := b.load(ctx, "widget_hits", hitCols, `ON CONFLICT (tenant, visitor, at, faq_id, intent) DO NOTHING`, rows)
	if err != nil {
		return 0, fmt.Errorf("store: bulk hits: %w", err)
	}
	return n, nil
}

// Notices stores proactive notices; ids already stored are skipped. It
// returns how many were stored.
func (b *Bulk) Notices(ctx context.Context, ns []Notice) (int, error) {
	rows := make([][]any, 0, len(ns))
	for _, n := range ns {
		if n.Tenant == "" || n.ID == "" || n.Rule == "" || n.Shopper == "" || n.State == "" || n.CreatedAt.IsZero() {
			return 0, fmt.Errorf("store: bulk notices: %w: tenant, id, rule, shopper, state and time are required", ErrInvalid)
		}
		if err := b.checkTenant(n.Tenant, "notice"); err != nil {
			return 0, fmt.Errorf("store: bulk notices: %w", err)
		}
		rows = append(rows, []any{n.Tenant, n.ID, n.Rule, n.Shopper, n.Ref, n.Arm, n.State, n.Reason, n.ConversationID,
			n.MessageID, n.Region, n.Channel, n.Text, ms(n.CreatedAt), ms(n.DueAt), ms(n.SentAt), ms(n.OpenedAt), b2i(n.Demo)})
	}
	n, err := b.load(ctx, "proactive_notices", noticeCols, `ON CONFLICT (tenant, id) DO NOTHING`, rows)
	if err != nil {
		return 0, fmt.Errorf("store: bulk notices: %w", err)
	}
	return n, nil
}

// load inserts rows (values of cols) into table in one transaction,
// skipping conflicts as onConflict says; it returns the rows inserted.
func (b *Bulk) load(ctx context.Context, table, cols, onConflict string, rows [][]any) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	n := 0
	if b.conn != nil {
		err := b.pgTx(ctx, func(tx pgx.Tx) error {
			if err := copyStage(ctx, tx, table, cols, rows); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO `+table+` (`+cols+`) SELECT `+cols+` FROM `+stageName(table)+` `+onConflict)
			n = int(tag.RowsAffected())
			return err
		})
		return n, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(colList(cols))), ", ")
	err := b.s.withTx(ctx, func(tx *sql.Tx) error {
		n = 0
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+table+` (`+cols+`) VALUES (`+marks+`) `+onConflict)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range rows {
			res, err := stmt.ExecContext(ctx, r...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += int(k)
		}
		return nil
	})
	return n, err
}

// Finish rebuilds the tenant's derived columns and rollups once, clears
// its pending mark and ends the load (also after a failed call: what was
// loaded is counted). On PostgreSQL it also refreshes the planner's
// statistics of the loaded tables. The Bulk is not usable afterwards.
func (b *Bulk) Finish(ctx context.Context) error {
	if b.conn != nil {
		for _, t := range bulkTables {
			_, _ = b.conn.ExecContext(ctx, `DROP TABLE IF EXISTS `+stageName(t.table))
		}
		_, _ = b.conn.ExecContext(ctx, `DROP TABLE IF EXISTS kefu_bulk_new`)
		b.conn.Close()
		b.conn = nil
		defer func() {
			for _, t := range bulkTables {
				_, _ = b.s.db.ExecContext(ctx, `ANALYZE `+t.table)
			}
		}()
	}
	err := b.s.withTx(ctx, func(tx *sql.Tx) error {
		if err := b.s.rebuildTenant(ctx, tx, b.tenant); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, b.s.q(`UPDATE rollup_state SET pending = 0 WHERE tenant = ?`), b.tenant)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish bulk load of %q: %w", b.tenant, err)
	}
	return nil
}
