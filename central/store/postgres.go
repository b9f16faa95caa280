package store

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// pgMigrateLock is the advisory lock key that serialises schema creation
// when several central replicas start at once.
const pgMigrateLock = 0x6b656675 // "kefu"

// pgWriteSlots is how many shared write transactions run at once on
// PostgreSQL (groupcommit.go), of the pool's 16 connections.
const pgWriteSlots = 4

// OpenPostgres connects to PostgreSQL at dsn (a pgx connection string or URL;
// a search_path parameter selects the schema) and applies the schema.
func OpenPostgres(ctx context.Context, dsn string) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16) // not the default 2: no reconnecting under load
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	s := &sqlStore{db: db, cache: newTenantCache(tenantCacheTTL), d: dialect{name: "postgres", dollar: true, forUpdate: " FOR UPDATE", skipLocked: " FOR UPDATE SKIP LOCKED"},
		group: newTxGroup(pgWriteSlots, 0)}
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrateLock); err != nil {
			return err
		}
		for _, stmt := range schema("BIGSERIAL PRIMARY KEY", "DOUBLE PRECISION") {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%q: %w", stmt, err)
			}
		}
		return s.migrate(ctx, tx)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: postgres schema: %w", err)
	}
	return s, nil
}
