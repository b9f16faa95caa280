package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// OpenSQLite opens (creating if needed) the SQLite database at path, in WAL
// mode, and applies the schema. Write transactions start with BEGIN
// IMMEDIATE, so concurrent writers queue on the busy timeout instead of
// failing on a lock upgrade.
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, fmt.Errorf("store: open sqlite: %w: empty path", ErrInvalid)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &sqlStore{db: db, d: dialect{name: "sqlite"}}
	for _, stmt := range schema("INTEGER PRIMARY KEY AUTOINCREMENT", "REAL") {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: sqlite schema %q: %w", path, err)
		}
	}
	if err := s.withTx(ctx, func(tx *sql.Tx) error { return s.migrate(ctx, tx) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: sqlite schema %q: %w", path, err)
	}
	return s, nil
}
