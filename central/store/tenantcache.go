package store

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"
)

// tenantCacheTTL bounds how long a cached webhook list or settings map is
// used without reading the database again. This store's own writes drop
// the tenant's entry at once; a change another process made (another
// central replica on a shared PostgreSQL, `kefu admin` on the same
// database) is seen within this time, or at once by a read with Fresh.
const tenantCacheTTL = 2 * time.Second

// tenantCache keeps what central reads for nearly every message and
// changes rarely: each tenant's webhooks (one read per event before, 2–4
// events per message) and settings (persona, translation and work
// settings, read per reply). Entries expire after ttl; invalidate drops a
// tenant's entries and makes a load that started before it keep nothing
// (its rows may predate the change).
type tenantCache struct {
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	gen      map[string]uint64 // bumped by invalidate
	hooks    map[string]cacheEntry[[]Webhook]
	settings map[string]cacheEntry[map[string]string]
}

type cacheEntry[T any] struct {
	v   T
	at  time.Time
	gen uint64
}

func newTenantCache(ttl time.Duration) *tenantCache {
	return &tenantCache{ttl: ttl, now: time.Now, gen: map[string]uint64{},
		hooks: map[string]cacheEntry[[]Webhook]{}, settings: map[string]cacheEntry[map[string]string]{}}
}

// invalidate drops tenant's cached webhooks and settings.
func (c *tenantCache) invalidate(tenant string) {
	c.mu.Lock()
	c.gen[tenant]++
	delete(c.hooks, tenant)
	delete(c.settings, tenant)
	c.mu.Unlock()
}

type freshKey struct{}

// Fresh returns a context whose reads of tenants' webhooks and settings go
// to the database (and refresh the cache) instead of using a cached entry:
// for the callers that look for changes other processes made, such as
// central's site-config poll after a `kefu admin` on the same database.
func Fresh(ctx context.Context) context.Context { return context.WithValue(ctx, freshKey{}, true) }

func isFresh(ctx context.Context) bool { v, _ := ctx.Value(freshKey{}).(bool); return v }

// cached returns tenant's entry in m when fresh (and fresh is not asked
// for); otherwise it loads one, keeps it unless tenant was invalidated
// meanwhile, and returns it.
func cached[T any](c *tenantCache, m map[string]cacheEntry[T], tenant string, fresh bool, load func() (T, error)) (T, error) {
	c.mu.Lock()
	e, ok := m[tenant]
	gen := c.gen[tenant]
	now := c.now()
	c.mu.Unlock()
	if ok && !fresh && e.gen == gen && now.Sub(e.at) < c.ttl {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.gen[tenant] == gen {
		m[tenant] = cacheEntry[T]{v: v, at: now, gen: gen}
	}
	c.mu.Unlock()
	return v, nil
}

// webhooks returns tenant's webhooks, shared with the cache: the caller
// must not change them.
func (s *sqlStore) cachedWebhooks(ctx context.Context, tenant string) ([]Webhook, error) {
	return cached(s.cache, s.cache.hooks, tenant, isFresh(ctx), func() ([]Webhook, error) { return s.readWebhooks(ctx, tenant) })
}

// Webhooks lists a tenant's webhooks (a copy of the cached list).
func (s *sqlStore) Webhooks(ctx context.Context, tenant string) ([]Webhook, error) {
	list, err := s.cachedWebhooks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(list)
	for i := range out {
		out[i].Events = slices.Clone(out[i].Events)
	}
	if out == nil {
		out = []Webhook{}
	}
	return out, nil
}

// TenantSettings returns a tenant's stored settings (a copy of the cached
// map).
func (s *sqlStore) TenantSettings(ctx context.Context, tenant string) (map[string]string, error) {
	set, err := cached(s.cache, s.cache.settings, tenant, isFresh(ctx), func() (map[string]string, error) { return s.readTenantSettings(ctx, tenant) })
	if err != nil {
		return nil, err
	}
	return maps.Clone(set), nil
}
