// Package pgtest gives tests a PostgreSQL database of their own: it reads
// KEFU_TEST_POSTGRES_DSN or, when unset, runs scripts/pg-start.sh (found by
// walking up to go.mod) to start a loopback server, then creates a fresh
// schema that is dropped when the test ends. It never skips.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
)

var (
	once   sync.Once
	dsn    string
	dsnErr error
)

// ServerDSN returns the DSN of the test server, starting one if needed.
func ServerDSN() (string, error) {
	once.Do(func() {
		if v := os.Getenv("KEFU_TEST_POSTGRES_DSN"); v != "" {
			dsn = v
			return
		}
		root, err := repoRoot()
		if err != nil {
			dsnErr = err
			return
		}
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "pg-start.sh"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			dsnErr = fmt.Errorf("pgtest: scripts/pg-start.sh: %w", err)
			return
		}
		dsn = strings.TrimSpace(string(out))
	})
	return dsn, dsnErr
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("pgtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// DSN returns a DSN whose search_path is a new empty schema, dropped at the
// end of the test.
func DSN(t testing.TB) string {
	t.Helper()
	base, err := ServerDSN()
	if err != nil {
		t.Fatalf("postgres for tests: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "kefu_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres for tests: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("postgres for tests: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres for tests: dsn %q: %v", base, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
