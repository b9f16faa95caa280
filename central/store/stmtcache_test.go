package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"modernc.org/sqlite"
)

// TestStatementCache: on a SQLite connection a query with arguments runs
// on its prepared statement (one per query text), with the same answers;
// a failed statement runs again; a statement still reading rows is not
// reused under them (the same query nested in a transaction runs
// unprepared); queries without arguments are not kept.
func TestStatementCache(t *testing.T) {
	ctx := t.Context()
	base, err := sqlite.NewConnector("file:" + filepath.Join(t.TempDir(), "cache.db") + "?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(stmtCacheConnector{base})
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection: every call below sees its cache
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const insert, byID, below = `INSERT INTO t (id, v) VALUES (?, ?)`, `SELECT v FROM t WHERE id = ?`, `SELECT id FROM t WHERE id < ? ORDER BY id`
	for i := range 20 {
		if _, err := db.ExecContext(ctx, insert, i, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, insert, 3, "again"); err == nil {
		t.Fatal("a duplicate id was inserted")
	}
	if _, err := db.ExecContext(ctx, insert, 100, "after the error"); err != nil {
		t.Fatalf("the statement after a failed run: %v", err)
	}
	for _, tc := range []struct {
		id   int
		want string
	}{{0, "v0"}, {7, "v7"}, {19, "v19"}, {100, "after the error"}, {7, "v7"}} {
		var v string
		if err := db.QueryRowContext(ctx, byID, tc.id).Scan(&v); err != nil || v != tc.want {
			t.Errorf("id %d: %q, %v; want %q", tc.id, v, err, tc.want)
		}
	}
	var v string
	if err := db.QueryRowContext(ctx, byID, 55).Scan(&v); !errors.Is(err, sql.ErrNoRows) {
		t.Errorf("missing id: %q, %v; want no rows", v, err)
	}

	// The same query nested in its own rows, in a transaction.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(q interface {
		Query(string, ...any) (*sql.Rows, error)
	}, n int, each func(int)) {
		t.Helper()
		rows, err := q.Query(below, n)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			each(id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var outer, inner int
	ids(tx, 4, func(id int) {
		outer++
		ids(tx, id, func(int) { inner++ })
	})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if outer != 4 || inner != 0+1+2+3 {
		t.Errorf("nested: %d outer rows and %d inner, want 4 and 6", outer, inner)
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stmtCacheConn)
		if !ok {
			return fmt.Errorf("connection is a %T, not the caching one", dc)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.stmts) != 3 {
			return fmt.Errorf("%d statements kept, want 3 (insert, by id, below)", len(c.stmts))
		}
		for q, cs := range c.stmts {
			if cs.busy {
				return fmt.Errorf("statement %q still busy", q)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// TestStatementsInATransactionIgnoreCancellation: a statement inside a
// transaction runs without its caller's cancellation (no interrupt that
// would roll back a group commit's shared transaction, and no watcher
// goroutine per statement), with or without a cached statement; outside a
// transaction a canceled context still stops it, and after the
// transaction's end again.
func TestStatementsInATransactionIgnoreCancellation(t *testing.T) {
	base, err := sqlite.NewConnector("file:" + filepath.Join(t.TempDir(), "cancel.db") + "?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(stmtCacheConnector{base})
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE t (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stmtCacheConn)
		if !ok {
			return fmt.Errorf("driver connection %T, want *stmtCacheConn", dc)
		}
		insert := func(query string, args ...driver.NamedValue) error {
			_, err := c.ExecContext(canceled, query, args)
			return err
		}
		if err := insert(`INSERT INTO t (id) VALUES (?)`, driver.NamedValue{Ordinal: 1, Value: int64(1)}); err == nil {
			return errors.New("outside a transaction: a canceled statement ran")
		}
		for _, end := range []string{"commit", "rollback"} {
			tx, err := c.BeginTx(context.Background(), driver.TxOptions{})
			if err != nil {
				return err
			}
			if err := insert(`INSERT INTO t (id) VALUES (?)`, driver.NamedValue{Ordinal: 1, Value: int64(2)}); err != nil {
				return fmt.Errorf("in a transaction, cached statement: %w", err)
			}
			if err := insert(`DELETE FROM t`); err != nil { // no arguments: not cached
				return fmt.Errorf("in a transaction, unprepared: %w", err)
			}
			rows, err := c.QueryContext(canceled, `SELECT id FROM t WHERE id > ?`, []driver.NamedValue{{Ordinal: 1, Value: int64(0)}})
			if err != nil {
				return fmt.Errorf("in a transaction, query: %w", err)
			}
			_ = rows.Close()
			if end == "commit" {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil {
				return err
			}
			if err := insert(`INSERT INTO t (id) VALUES (?)`, driver.NamedValue{Ordinal: 1, Value: int64(3)}); err == nil {
				return fmt.Errorf("after %s: a canceled statement ran", end)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
