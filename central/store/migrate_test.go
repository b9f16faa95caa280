package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kefu-io/kefu/central/internal/pgtest"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// schemaV0 is the messages table (and its conversation) as the first
// released schema made it, before migration 1 added the pii column.
func schemaV0(seqCol, float string) []string {
	return []string{
		`CREATE TABLE conversations (tenant TEXT NOT NULL, id TEXT NOT NULL, visitor TEXT NOT NULL, channel TEXT NOT NULL,
			region TEXT NOT NULL, lang TEXT NOT NULL, status TEXT NOT NULL, priority INTEGER NOT NULL, anger ` + float + ` NOT NULL,
			vip INTEGER NOT NULL, agent TEXT NOT NULL, reason TEXT NOT NULL, last_text TEXT NOT NULL, bot_failures INTEGER NOT NULL,
			queued_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`,
		`CREATE TABLE messages (seq ` + seqCol + `, tenant TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL,
			role TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL, reply_to TEXT NOT NULL, author TEXT NOT NULL,
			lang TEXT NOT NULL, intent TEXT NOT NULL, anger ` + float + ` NOT NULL, at BIGINT NOT NULL, UNIQUE (tenant, id))`,
		`INSERT INTO conversations VALUES ('demo', 'c0', 'v0', 'web', 'eu', 'en', 'bot', 0, 0, 0, '', '', 'old', 0, 0, 1, 1)`,
		`INSERT INTO messages (tenant, id, conversation_id, role, text, source, reply_to, author, lang, intent, anger, at)
			VALUES ('demo', 'm0', 'c0', 'shopper', 'old', '', '', '', 'en', '', 0, 1)`,
	}
}

// TestMigrate opens a database made by the first schema: the migration adds
// the pii column once (a second open changes nothing), old messages read
// with no tokens, new ones keep theirs.
func TestMigrate(t *testing.T) {
	type db struct {
		driver, dsn   string
		seqCol, float string
		open          func(dsn string) (store.Store, error)
	}
	sqlitePath := filepath.Join(t.TempDir(), "old.db")
	for name, d := range map[string]func() db{
		"sqlite": func() db {
			return db{"sqlite", sqlitePath, "INTEGER PRIMARY KEY AUTOINCREMENT", "REAL",
				func(dsn string) (store.Store, error) { return store.OpenSQLite(context.Background(), dsn) }}
		},
		"postgres": func() db {
			return db{"pgx", pgtest.DSN(t), "BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION",
				func(dsn string) (store.Store, error) { return store.OpenPostgres(context.Background(), dsn) }}
		},
	} {
		t.Run(name, func(t *testing.T) {
			d := d()
			raw, err := sql.Open(d.driver, d.dsn)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range schemaV0(d.seqCol, d.float) {
				if _, err := raw.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			raw.Close()
			for i := range 2 {
				s, err := d.open(d.dsn)
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				if m, err := s.Message(ctx, "demo", "m0"); err != nil || m.Text != "old" || m.PII != nil {
					t.Fatalf("old message: %+v %v", m, err)
				}
				id := []string{"m1", "m2"}[i]
				m := msg(id, "c0", "[EMAIL]")
				m.PII = []chat.PIIToken{{Type: "EMAIL", Token: "pii_" + id, Region: "eu"}}
				if _, _, stored, err := s.SaveInbound(ctx, inbound("demo", "v0", m)); err != nil || !stored {
					t.Fatalf("new message: %v %v", stored, err)
				}
				got, err := s.Message(ctx, "demo", id)
				if err != nil || !slices.Equal(got.PII, m.PII) {
					t.Fatalf("new message: %+v %v", got.PII, err)
				}
				s.Close()
			}
		})
	}
}
