package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/kefu-io/kefu/central/internal/pgtest"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestVacuumRemovesErasedTextsFromPostgres (issue 8 item 5, PostgreSQL):
// after Erase the old row versions still hold the erased text in the
// messages table's pages; VacuumErased removes them — plain VACUUM leaves
// no tuple, live or dead, holding the text, and VACUUM FULL leaves the
// text in no page of the erased tables at all (checked byte by byte with
// pageinspect). Another visitor's text stays. SQLite needs no vacuum.
func TestVacuumRemovesErasedTextsFromPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	s, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public`); err != nil {
		t.Fatalf("pageinspect (PostgreSQL contrib) is needed to look into the pages: %v", err)
	}

	const secret = "vacuum-probe jane.roe@example.com 4111 1111 1111 1111"
	for i := range 40 { // other rows on the same pages
		mustInbound(t, s, inbound("t1", "v-other", msg("o"+strconv.Itoa(i), "", "another shopper's message "+strconv.Itoa(i))))
	}
	conv := mustInbound(t, s, inbound("t1", "v-erased", msg("m1", "", secret)))
	mustInbound(t, s, inbound("t1", "v-erased", msg("m2", conv.ID, secret+" again")))
	req, _, err := s.RequestErasure(ctx, store.ErasureRequest{ID: "g1", Tenant: "t1", Visitor: "v-erased", ConversationID: conv.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, done, err := s.Erase(ctx, "t1", req.ID, "a1", "erased-x", time.Now()); err != nil || !done {
		t.Fatalf("erase: %v %v", done, err)
	}

	// tuples counts the tuples (live or dead) of table whose data holds
	// text; pages the pages whose bytes do.
	count := func(query, table, text string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, fmt.Sprintf(query, table, table), []byte(text)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const blocks = `generate_series(0, (pg_relation_size('%s') / current_setting('block_size')::int)::int - 1) AS b`
	tuples := func(table, text string) int {
		return count(`SELECT count(*) FROM `+blocks+`, public.heap_page_items(public.get_raw_page('%s', b)) h
			WHERE h.t_data IS NOT NULL AND position($1::bytea IN h.t_data) > 0`, table, text)
	}
	pages := func(table, text string) int {
		return count(`SELECT count(*) FROM `+blocks+` WHERE position($1::bytea IN public.get_raw_page('%s', b)) > 0`, table, text)
	}
	t.Logf("before the vacuum: %d tuples of messages hold the erased text", tuples("messages", secret))
	if n := tuples("messages", "another shopper's message 7"); n != 1 {
		t.Fatalf("the probe does not see the other visitor's row (%d tuples)", n)
	}

	// A transaction of another test on the shared server can keep the
	// dead rows visible for a moment (VACUUM keeps what a snapshot may
	// see): vacuum until they are gone.
	vacuumUntil := func(full bool, gone func() error) {
		t.Helper()
		poll.Until(t, 2*time.Minute, func() error {
			if err := s.(store.Vacuumer).VacuumErased(ctx, full); err != nil {
				t.Fatal(err)
			}
			return gone()
		})
	}
	vacuumUntil(false, func() error {
		if n := tuples("messages", secret); n != 0 {
			return fmt.Errorf("after VACUUM %d tuples of messages still hold the erased text", n)
		}
		return nil
	})
	vacuumUntil(true, func() error {
		for _, table := range store.ErasedTables {
			for _, text := range []string{secret, "v-erased"} {
				if n := pages(table, text); n != 0 {
					return fmt.Errorf("after VACUUM FULL %d pages of %s still hold %q", n, table, text)
				}
			}
		}
		return nil
	})
	if n := tuples("messages", "another shopper's message 7"); n != 1 {
		t.Fatalf("another visitor's message: %d tuples after the vacuum, want 1", n)
	}

	if _, ok := store.NeedsVacuum(s); !ok {
		t.Error("a PostgreSQL store does not ask for vacuuming")
	}
	lite, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if _, ok := store.NeedsVacuum(lite); ok {
		t.Error("a SQLite store asks for vacuuming")
	}
}
