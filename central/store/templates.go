package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// KBTemplate is a tenant's stored state of a hot-topic template (enabled,
// edited texts and dates, or a template of its own): JSON written by
// central (kbtemplates.go).
type KBTemplate struct {
	Tenant    string
	ID        string
	Data      []byte
	UpdatedAt time.Time
}

// HotTemplates lists tenant's stored template states by id.
func (s *sqlStore) HotTemplates(ctx context.Context, tenant string) ([]KBTemplate, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, data, updated_at FROM kb_templates WHERE tenant = ? ORDER BY id`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: templates of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (KBTemplate, error) {
		t := KBTemplate{Tenant: tenant}
		var data string
		var at int64
		err := r.Scan(&t.ID, &data, &at)
		t.Data, t.UpdatedAt = []byte(data), fromMS(at)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: templates of %q: %w", tenant, err)
	}
	return out, nil
}

// PutHotTemplate creates or replaces a template state and increments the
// tenant's knowledge revision.
func (s *sqlStore) PutHotTemplate(ctx context.Context, t KBTemplate) error {
	if t.Tenant == "" || t.ID == "" || len(t.ID) > 64 || len(t.Data) == 0 {
		return fmt.Errorf("store: put template: %w: empty tenant, id or data, or an id over 64 bytes", ErrInvalid)
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = time.Now()
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO kb_templates (tenant, id, data, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant, id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`),
			t.Tenant, t.ID, string(t.Data), ms(t.UpdatedAt)); err != nil {
			return fmt.Errorf("store: put template %q of %q: %w", t.ID, t.Tenant, err)
		}
		return s.bumpRevision(ctx, tx, t.Tenant)
	})
}

// DeleteHotTemplate removes a template state (ErrNotFound when there is
// none) and increments the tenant's knowledge revision.
func (s *sqlStore) DeleteHotTemplate(ctx context.Context, tenant, id string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM kb_templates WHERE tenant = ? AND id = ?`), tenant, id)
		if err != nil {
			return fmt.Errorf("store: delete template %q of %q: %w", id, tenant, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: template %q of %q: %w", id, tenant, ErrNotFound)
		}
		return s.bumpRevision(ctx, tx, tenant)
	})
}

func init() { migrations = append(migrations, templateMigrations...) }

// templateMigrations are the table of hot-topic template states (knowledge range 1100–1199).
var templateMigrations = []struct {
	version int
	stmt    string
}{
	{1122, `CREATE TABLE IF NOT EXISTS kb_templates (tenant TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, updated_at BIGINT NOT NULL,
		PRIMARY KEY (tenant, id))`},
}
