package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/internal/pgtest"
)

// groupStores opens each implementation with a scratch table.
func groupStores(t *testing.T) map[string]*sqlStore {
	t.Helper()
	out := map[string]*sqlStore{}
	lite, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	out["sqlite"] = lite.(*sqlStore)
	pg, err := OpenPostgres(context.Background(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	out["postgres"] = pg.(*sqlStore)
	for name, s := range out {
		if _, err := s.db.Exec(`CREATE TABLE group_rows (id TEXT PRIMARY KEY)`); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

func insertRow(s *sqlStore, id string) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(s.q(`INSERT INTO group_rows (id) VALUES (?)`), id)
		return err
	}
}

func groupRows(t *testing.T, s *sqlStore) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT id FROM group_rows ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// inOneGroup runs fs through s.withTx from as many goroutines, all queued
// while every slot is held, and runs them as one group; it
// returns each caller's error. What each caller sees is checked right after
// its own return: the row it wrote is committed (read on another
// connection) exactly when it returned no error.
func inOneGroup(t *testing.T, s *sqlStore, ids []string, fs []func(tx *sql.Tx) error) []error {
	t.Helper()
	for range cap(s.group.slots) {
		s.group.slots <- struct{}{}
	}
	errs := make([]error, len(fs))
	visible := make([]bool, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.withTx(context.Background(), f)
			var n int
			if err := s.db.QueryRow(s.q(`SELECT COUNT(*) FROM group_rows WHERE id = ?`), ids[i]).Scan(&n); err == nil {
				visible[i] = n == 1
			}
		}()
	}
	deadline := time.Now().Add(time.Minute)
	for len(s.group.queue) < len(fs) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d transactions queued", len(s.group.queue), len(fs))
		}
		time.Sleep(time.Millisecond) // polling a condition, not waiting for one
	}
	// The test holds every slot, so it runs the group itself: released
	// slots could be taken by two callers at once (PostgreSQL has four),
	// each draining part of the queue into a group of its own.
	batch := s.group.take()
	if len(batch) != len(fs) {
		t.Fatalf("took %d of %d queued transactions", len(batch), len(fs))
	}
	s.group.run(s.db, batch)
	for range cap(s.group.slots) {
		<-s.group.slots
	}
	wg.Wait()
	for i := range fs {
		if (errs[i] == nil) != visible[i] {
			t.Errorf("caller %d returned %v but its row visible=%v after the return", i, errs[i], visible[i])
		}
	}
	return errs
}

// TestGroupCommit: write transactions asked for at once share one
// transaction; one that fails (an error, a panic) rolls back its own
// writes only; when the shared commit fails, the others run again each on
// its own and are committed once; every caller returns after its commit.
func TestGroupCommit(t *testing.T) {
	poison := errors.New("refused")
	for _, tc := range []struct {
		name       string
		failCommit bool // the shared transaction's commit fails
		wantShared int  // shared transactions run (afterRun calls)
	}{
		{"one shared commit", false, 1},
		{"shared commit failed, each on its own", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for name, s := range groupStores(t) {
				t.Run(name, func(t *testing.T) {
					var shared int
					s.group.afterRun = func(tx *sql.Tx) error {
						shared++
						if tc.failCommit {
							return errors.New("commit refused")
						}
						return nil
					}
					var ids []string
					var fs []func(tx *sql.Tx) error
					for i := range 20 {
						id := fmt.Sprintf("m%02d", i)
						ids = append(ids, id)
						switch i {
						case 7: // writes, then fails: its write must not stay
							fs = append(fs, func(tx *sql.Tx) error {
								if err := insertRow(s, id)(tx); err != nil {
									return err
								}
								return poison
							})
						case 12: // writes, then panics
							fs = append(fs, func(tx *sql.Tx) error {
								if err := insertRow(s, id)(tx); err != nil {
									return err
								}
								panic("boom")
							})
						case 15: // a statement error (a duplicate key) mid-group: the key
							// was committed before the group, so the error does not
							// depend on where the caller lands in the group's order
							// (the goroutines queue in any order)
							fs = append(fs, func(tx *sql.Tx) error {
								if err := insertRow(s, "pre")(tx); err != nil {
									return err
								}
								return insertRow(s, id)(tx)
							})
						default:
							fs = append(fs, insertRow(s, id))
						}
					}
					if _, err := s.db.Exec(s.q(`INSERT INTO group_rows (id) VALUES (?)`), "pre"); err != nil {
						t.Fatal(err)
					}
					errs := inOneGroup(t, s, ids, fs)
					if shared != tc.wantShared {
						t.Errorf("shared transactions: %d, want %d", shared, tc.wantShared)
					}
					want := []string{"pre"}
					for i, err := range errs {
						switch i {
						case 7:
							if !errors.Is(err, poison) {
								t.Errorf("poison: %v", err)
							}
						case 12:
							if !errors.Is(err, errPanic) {
								t.Errorf("panic: %v", err)
							}
						case 15:
							if err == nil {
								t.Errorf("duplicate key: no error")
							}
						default:
							if err != nil {
								t.Errorf("caller %d: %v", i, err)
							}
							want = append(want, ids[i])
						}
					}
					slices.Sort(want)
					if got := groupRows(t, s); !slices.Equal(got, want) {
						t.Errorf("rows %v, want %v", got, want)
					}
				})
			}
		})
	}
}

// TestGroupCommitContextEnded: a caller whose context ended while queued
// gets its error and writes nothing; the others commit.
func TestGroupCommitContextEnded(t *testing.T) {
	for name, s := range groupStores(t) {
		t.Run(name, func(t *testing.T) {
			ended, cancel := context.WithCancel(context.Background())
			cancel()
			ids := []string{"a", "b", "c"}
			var errs [3]error
			for range cap(s.group.slots) {
				s.group.slots <- struct{}{}
			}
			var wg sync.WaitGroup
			for i, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := context.Background()
					if id == "b" {
						// queued first with a live context, then ended:
						// enqueue with a context ending as soon as it is queued
						c = endedAfterQueued{ended}
					}
					errs[i] = s.withTx(c, insertRow(s, id))
				}()
			}
			deadline := time.Now().Add(time.Minute)
			for len(s.group.queue) < len(ids) {
				if time.Now().After(deadline) {
					t.Fatal("not queued")
				}
				time.Sleep(time.Millisecond)
			}
			for range cap(s.group.slots) {
				<-s.group.slots
			}
			wg.Wait()
			if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], context.Canceled) {
				t.Fatalf("errors %v", errs)
			}
			if got := groupRows(t, s); !slices.Equal(got, []string{"a", "c"}) {
				t.Fatalf("rows %v", got)
			}
		})
	}
}

// endedAfterQueued is a context whose Done channel is nil (so queueing it
// never gives up) but whose Err reports the end: as seen by a slot, its
// caller's context ended while it waited.
type endedAfterQueued struct{ context.Context }

func (endedAfterQueued) Done() <-chan struct{} { return nil }

// TestGroupCommitWaitsForCompany: under load (the group before had
// company) a small group waits the delay, and a writer arriving meanwhile
// joins it; an idle store (the group before was alone) and a store
// without a delay never wait.
func TestGroupCommitWaitsForCompany(t *testing.T) {
	req := func() *txReq { return &txReq{ctx: context.Background(), done: make(chan error, 1)} }
	for _, tc := range []struct {
		name  string
		delay time.Duration
		last  int32
		want  int
	}{
		{"under load", time.Millisecond, 2, 2},
		{"idle", time.Millisecond, 1, 1},
		{"no delay", 0, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newTxGroup(1, tc.delay)
			g.last.Store(tc.last)
			var waits []time.Duration
			g.sleep = func(d time.Duration) {
				waits = append(waits, d)
				g.queue <- req() // a writer arrives while the slot waits
			}
			g.queue <- req()
			batch := g.take()
			if len(batch) != tc.want || len(waits) != tc.want-1 {
				t.Fatalf("group of %d after waits %v, want %d", len(batch), waits, tc.want)
			}
			if tc.want == 2 && waits[0] != tc.delay {
				t.Fatalf("waited %v, want %v", waits[0], tc.delay)
			}
			if g.last.Load() != int32(tc.want) {
				t.Fatalf("last %d, want %d", g.last.Load(), tc.want)
			}
		})
	}
}
