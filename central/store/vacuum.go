package store

import (
	"context"
	"fmt"
	"strings"
)

// Vacuuming after erasure (SECURITY.md, "Data at rest").
//
// Erase replaces a visitor's texts in place. SQLite runs with
// secure_delete and the WAL is truncated afterwards, so nothing more is
// needed there. PostgreSQL keeps the old row versions (dead tuples) in the
// table until VACUUM removes them: plain VACUUM prunes them from the pages
// (their bytes may linger in a page's free space until a new row reuses
// it); VACUUM FULL rewrites the tables, so no page of the database holds
// them any more (it locks each table exclusively while it copies it).

// ErasedTables are the tables whose rows Erase rewrites or deletes: the
// texts, photos, channel routes and vault tokens of messages, the last
// text, page context and visitor id of conversations, contact links, the
// visitor id of erasure requests, and what sits beside them (erasedBeside:
// knowledge misses, translations, notes, tickets, alerts, QA scores, CSAT
// comments, proactive notices, conversation facts, widget hits, webhook
// bodies).
var ErasedTables = []string{"messages", "conversations", "attachments", "contact_links", "erasures",
	"kb_misses", "message_texts", "notes", "tickets", "alerts", "qa_scores", "csat", "proactive_notices", "conv_stats",
	"widget_hits", "webhook_deliveries"}

// Vacuumer is a store whose erased rows stay on disk until vacuumed
// (PostgreSQL). VacuumErased runs VACUUM, or VACUUM FULL when full, on
// ErasedTables. It cannot run inside a transaction and may take long on
// big tables (FULL also blocks them); give ctx a generous deadline.
type Vacuumer interface {
	VacuumErased(ctx context.Context, full bool) error
}

// NeedsVacuum returns st as a Vacuumer when st is a PostgreSQL store; ok
// is false for SQLite (and for other stores), where erasure leaves
// nothing to vacuum.
func NeedsVacuum(st Store) (v Vacuumer, ok bool) {
	s, ok := st.(*sqlStore)
	if !ok || s.d.name != "postgres" {
		return nil, false
	}
	return s, true
}

// VacuumErased implements Vacuumer (PostgreSQL only; a no-op on SQLite).
func (s *sqlStore) VacuumErased(ctx context.Context, full bool) error {
	if s.d.name != "postgres" {
		return nil
	}
	stmt := "VACUUM "
	if full {
		stmt = "VACUUM FULL "
	}
	stmt += strings.Join(ErasedTables, ", ")
	if _, err := s.db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("store: %s: %w", stmt, err)
	}
	return nil
}

// Interface guards
var _ Vacuumer = (*sqlStore)(nil)
