package store

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/internal/pgtest"
)

// TestTenantCache: a store sees its own webhook and settings changes at
// once; a second store on the same PostgreSQL database (another central
// replica) sees them when its entry is older than the TTL, not before, or
// at once when it reads with Fresh; callers get copies they may change.
func TestTenantCache(t *testing.T) {
	bg := context.Background()
	dsn := pgtest.DSN(t)
	lite, err := OpenSQLite(bg, filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	pg1, err := OpenPostgres(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg1.Close() })
	pg2, err := OpenPostgres(bg, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg2.Close() })

	for _, tc := range []struct {
		name         string
		writer, peer *sqlStore // peer: nil = no second replica
	}{
		{"sqlite", lite.(*sqlStore), nil},
		{"postgres", pg1.(*sqlStore), pg2.(*sqlStore)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1_700_000_000, 0)
			var mu sync.Mutex
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
			stores := []*sqlStore{tc.writer}
			if tc.peer != nil {
				stores = append(stores, tc.peer)
			}
			for _, s := range stores {
				s.cache.now = clock
			}
			w := tc.writer
			if err := w.CreateTenant(bg, Tenant{ID: "t1"}); err != nil {
				t.Fatal(err)
			}
			hookIDs := func(s *sqlStore) []string {
				t.Helper()
				list, err := s.Webhooks(bg, "t1")
				if err != nil {
					t.Fatal(err)
				}
				ids := []string{}
				for _, h := range list {
					ids = append(ids, h.ID)
				}
				return ids
			}
			setting := func(s *sqlStore) string {
				t.Helper()
				set, err := s.TenantSettings(bg, "t1")
				if err != nil {
					t.Fatal(err)
				}
				return set["persona_name"]
			}
			// Both stores cache the empty state.
			for _, s := range stores {
				if ids := hookIDs(s); len(ids) != 0 {
					t.Fatalf("webhooks before = %v", ids)
				}
				if v := setting(s); v != "" {
					t.Fatalf("setting before = %q", v)
				}
			}

			if err := w.CreateWebhook(bg, Webhook{ID: "w1", Tenant: "t1", URL: "https://crm.example", Events: []string{"message.created"}, Secret: "s"}); err != nil {
				t.Fatal(err)
			}
			if err := w.SetTenantSettings(bg, "t1", map[string]string{"persona_name": "Mia"}, nil, now); err != nil {
				t.Fatal(err)
			}
			if ids := hookIDs(w); len(ids) != 1 || ids[0] != "w1" {
				t.Fatalf("writer's webhooks after create = %v", ids)
			}
			if v := setting(w); v != "Mia" {
				t.Fatalf("writer's setting after set = %q", v)
			}
			d, err := w.EnqueueEvent(bg, "t1", "message.created", "m1", now, func(_, id string) ([]byte, error) { return []byte(`{}`), nil })
			if err != nil || len(d) != 1 {
				t.Fatalf("enqueue after create = %+v, %v", d, err)
			}
			if p := tc.peer; p != nil {
				if ids := hookIDs(p); len(ids) != 0 {
					t.Fatalf("peer's webhooks within the TTL = %v (its entry is fresh)", ids)
				}
				// A fresh read sees the change at once and refreshes the cache.
				if set, err := p.TenantSettings(Fresh(bg), "t1"); err != nil || set["persona_name"] != "Mia" {
					t.Fatalf("peer's fresh settings = %v, %v", set, err)
				}
				if v := setting(p); v != "Mia" {
					t.Fatalf("peer's setting after a fresh read = %q", v)
				}
				advance(tenantCacheTTL)
				if ids := hookIDs(p); len(ids) != 1 {
					t.Fatalf("peer's webhooks after the TTL = %v", ids)
				}
				if v := setting(p); v != "Mia" {
					t.Fatalf("peer's setting after the TTL = %q", v)
				}
			}

			// Copies: changing what a caller got changes nothing cached.
			list, _ := w.Webhooks(bg, "t1")
			list[0].ID, list[0].Events[0] = "changed", "changed"
			set, _ := w.TenantSettings(bg, "t1")
			set["persona_name"] = "changed"
			if again, _ := w.Webhooks(bg, "t1"); again[0].ID != "w1" || again[0].Events[0] != "message.created" {
				t.Fatalf("cached list changed by a caller: %+v", again)
			}
			if v := setting(w); v != "Mia" {
				t.Fatalf("cached settings changed by a caller: %q", v)
			}

			if err := w.DeleteWebhook(bg, "t1", "w1"); err != nil {
				t.Fatal(err)
			}
			if err := w.SetTenantSettings(bg, "t1", nil, []string{"persona_name"}, now); err != nil {
				t.Fatal(err)
			}
			if ids := hookIDs(w); len(ids) != 0 {
				t.Fatalf("writer's webhooks after delete = %v", ids)
			}
			if v := setting(w); v != "" {
				t.Fatalf("writer's setting after unset = %q", v)
			}
			if d, err := w.EnqueueEvent(bg, "t1", "message.created", "m2", now, func(_, id string) ([]byte, error) { return []byte(`{}`), nil }); err != nil || len(d) != 0 {
				t.Fatalf("enqueue after delete = %+v, %v", d, err)
			}
		})
	}
}

// TestTenantCacheLoadRacingInvalidate: a load that began before an
// invalidation returns its rows to its caller but leaves nothing cached,
// and a failed load caches nothing.
func TestTenantCacheLoadRacingInvalidate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		invalidate bool
		err        error
		wantLoads  int // loads after the second call
	}{
		{"fresh entry reused", false, nil, 1},
		{"invalidated during the load", true, nil, 2},
		{"failed load", false, errors.New("db down"), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTenantCache(time.Minute)
			m := map[string]cacheEntry[int]{}
			loads := 0
			load := func() (int, error) {
				loads++
				if tc.invalidate && loads == 1 {
					c.invalidate("t1") // a write committed while this load read
				}
				return loads, tc.err
			}
			if _, err := cached(c, m, "t1", false, load); !errors.Is(err, tc.err) {
				t.Fatalf("first = %v", err)
			}
			if _, err := cached(c, m, "t1", false, load); !errors.Is(err, tc.err) {
				t.Fatalf("second = %v", err)
			}
			if loads != tc.wantLoads {
				t.Fatalf("%d loads, want %d", loads, tc.wantLoads)
			}
			if _, ok := m["t2"]; ok {
				t.Fatal("other tenant cached")
			}
		})
	}
}
