package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite" // database/sql driver, pure Go
)

// OpenSQLite opens (creating if needed) the SQLite database at path, in WAL
// mode, and applies the schema. Write transactions start with BEGIN
// IMMEDIATE, so a writer waits on the busy timeout instead of failing on a
// lock upgrade; central's own writers queue in one group commit
// (groupcommit.go).
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, fmt.Errorf("store: open sqlite: %w: empty path", ErrInvalid)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
		}
	}
	if err := privateFile(path); err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	q := url.Values{}
	// Erased rows must not linger in free pages: secure_delete overwrites
	// deleted content with zeros (and Erase checkpoints and truncates the
	// WAL, which still holds the earlier page images).
	q.Add("_pragma", "secure_delete(ON)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Temporary storage in memory: the group commit runs each function in
	// a SAVEPOINT, whose page copies (the statement subjournal) spilled to
	// a temporary file past 64 KiB, a write system call per page (~9% of
	// central's CPU per message in BenchmarkPipeline's profile). Sorts and
	// temporary indexes of report queries stay in memory too; this store
	// never runs VACUUM (whose copy of the database would).
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	base, err := sqlite.NewConnector("file:" + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %q: %w", path, err)
	}
	db := sql.OpenDB(stmtCacheConnector{base}) // each connection keeps its prepared statements
	db.SetMaxOpenConns(8)
	// and keeps them all: database/sql keeps 2 idle connections unless
	// told, so under load it closed and reopened the others, each time
	// with an empty statement cache (stmtcache.go) and SQLite's schema
	// parsed anew (stmtCacheConnector.Connect took 1.6% of the server's
	// CPU in a `kefu bench stack` profile).
	db.SetMaxIdleConns(8)
	s := &sqlStore{db: db, cache: newTenantCache(tenantCacheTTL), d: dialect{name: "sqlite"}, group: newTxGroup(1, commitDelay)}
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

// privateFile creates path with mode 0600 when missing, and takes group
// and other permissions away from an existing file and its -wal and -shm
// companions (SQLite creates those with the database file's mode).
// Visitor and conversation ids in the database are shoppers' credentials.
func privateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, st.Mode().Perm()&0o700); err != nil {
				return err
			}
		}
	}
	return nil
}
