package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/internal/pgtest"
	"github.com/kefu-io/kefu/central/store"
)

// TestReplicasClaimNext opens several stores on one database, as several
// central replicas do, and drains a queue through all of them at once:
// every conversation must go to exactly one agent.
func TestReplicasClaimNext(t *testing.T) {
	dbs := map[string]func(t *testing.T) func() store.Store{
		"sqlite": func(t *testing.T) func() store.Store {
			path := filepath.Join(t.TempDir(), "kefu.db")
			return func() store.Store {
				s, err := store.OpenSQLite(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
		"postgres": func(t *testing.T) func() store.Store {
			dsn := pgtest.DSN(t)
			return func() store.Store {
				s, err := store.OpenPostgres(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
	}
	for name, mk := range dbs {
		t.Run(name, func(t *testing.T) {
			open := mk(t)
			replicas := []store.Store{open(), open(), open()}
			const convs = 15
			for i := range convs {
				id := fmt.Sprintf("r%d", i)
				mustInbound(t, replicas[i%3], inbound("demo", "v"+id, msg("m"+id, id, "x")))
				if _, _, err := replicas[i%3].Handoff(ctx, "demo", id, i%4, "r", time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			got := drainQueue(t, replicas, 2)
			if len(got) != convs {
				t.Fatalf("claimed %d of %d", len(got), convs)
			}
			for id, agent := range got {
				c, err := replicas[0].Conversation(ctx, "demo", id)
				if err != nil || c.Agent != agent || c.Status != store.StatusAssigned {
					t.Fatalf("%s: stored %+v, claimed by %s (%v)", id, c, agent, err)
				}
			}
		})
	}
}
