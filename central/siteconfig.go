package central

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Site configuration for the edges: central publishes every site of the
// store (origins, the tenant's public settings, its identity secret) to
// the key-value bucket chat.BucketSites. It publishes a tenant's sites at
// once after a change through the admin service (REST, console) and
// compares the whole store with the bucket every SitePoll (default 1 s),
// which catches `kefu admin` run against the database directly and
// changes made by other replicas; a value equal to the bucket's is not
// written again, so replicas do not churn the bucket.

// sitePublisher keeps chat.BucketSites equal to the store.
type sitePublisher struct {
	s    *Service
	mu   sync.Mutex
	kv   jetstream.KeyValue
	last map[string][]byte // site key → value in the bucket
	stop chan struct{}
	done chan struct{}
}

func (s *Service) startSitePublisher(ctx context.Context) error {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: chat.BucketSites, History: 1, Replicas: s.bucketReplicas(ctx, chat.BucketSites),
		Description: "site configuration for the edges (central/siteconfig.go)", Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("central: site bucket: %w", err)
	}
	p := &sitePublisher{s: s, kv: kv, last: map[string][]byte{}, stop: make(chan struct{}), done: make(chan struct{})}
	s.sites = p
	if err := p.syncAll(ctx); err != nil {
		s.log.Warn("site config: first sync", "err", err)
	}
	poll := s.cfg.SitePoll
	if poll <= 0 {
		poll = time.Second
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := p.syncAll(ctx); err != nil {
					s.log.Warn("site config: sync", "err", err)
				}
				cancel()
			}
		}
	}()
	return nil
}

func (p *sitePublisher) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

// siteConfigs builds the published values of the sites of tenant ("" = all).
func (p *sitePublisher) siteConfigs(ctx context.Context, tenant string) (map[string]chat.SiteConfig, error) {
	sites, err := p.s.st.Sites(ctx, tenant)
	if err != nil {
		return nil, err
	}
	type tinfo struct {
		secret string
		pub    map[string]string
	}
	tenants := map[string]tinfo{}
	out := map[string]chat.SiteConfig{}
	for _, st := range sites {
		ti, ok := tenants[st.Tenant]
		if !ok {
			t, err := p.s.st.Tenant(ctx, st.Tenant)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			// Fresh: this poll is how changes made by `kefu admin` (another
			// process) reach the edges, and it refreshes the store's cache.
			set, err := p.s.st.TenantSettings(store.Fresh(ctx), st.Tenant)
			if err != nil {
				return nil, err
			}
			ti = tinfo{secret: t.IdentitySecret, pub: settings.Public(set)}
			tenants[st.Tenant] = ti
		}
		origins := st.Origins
		if origins == nil {
			origins = []string{}
		}
		out[st.Key] = chat.SiteConfig{V: chat.ProtocolVersion, Site: st.Key, Tenant: st.Tenant, Name: st.Name, Origins: origins,
			Settings: ti.pub, IdentitySecret: ti.secret, UpdatedAt: st.UpdatedAt}
	}
	return out, nil
}

// syncAll makes the bucket equal to the store: changed sites are put,
// sites gone from the store deleted.
func (p *sitePublisher) syncAll(ctx context.Context) error {
	want, err := p.siteConfigs(ctx, "")
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.last) == 0 {
		if err := p.loadBucket(ctx); err != nil {
			return err
		}
	}
	for key, sc := range want {
		if err := p.put(ctx, key, sc); err != nil {
			return err
		}
	}
	for key := range p.last {
		if _, ok := want[key]; !ok {
			if err := p.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("delete site %s: %w", key, err)
			}
			delete(p.last, key)
		}
	}
	return nil
}

// loadBucket reads what the bucket holds now (after a restart, or what
// another replica wrote).
func (p *sitePublisher) loadBucket(ctx context.Context) error {
	lister, err := p.kv.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("list sites: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		e, err := p.kv.Get(ctx, k)
		if err != nil {
			continue
		}
		p.last[k] = e.Value()
	}
	return nil
}

// put writes one site when its value changed. It compares without the
// time stamps' formatting noise: the marshalled value is the comparison.
func (p *sitePublisher) put(ctx context.Context, key string, sc chat.SiteConfig) error {
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	if bytes.Equal(p.last[key], b) {
		return nil
	}
	if _, err := p.kv.Put(ctx, key, b); err != nil {
		return fmt.Errorf("put site %s: %w", key, err)
	}
	p.last[key] = b
	return nil
}

// publishTenant publishes the sites of one tenant now and removes its
// deleted ones.
func (p *sitePublisher) publishTenant(ctx context.Context, tenant string) error {
	want, err := p.siteConfigs(ctx, tenant)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, sc := range want {
		if err := p.put(ctx, key, sc); err != nil {
			return err
		}
	}
	for key, v := range p.last {
		var old chat.SiteConfig
		if json.Unmarshal(v, &old) == nil && old.Tenant == tenant {
			if _, ok := want[key]; !ok {
				if err := p.kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
					return err
				}
				delete(p.last, key)
			}
		}
	}
	return nil
}
