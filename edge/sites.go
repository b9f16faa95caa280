package edge

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
)

// Sites from central: the edge watches chat.BucketSites and serves every
// site in it, over the sites of Config.Sites (a site of the bucket replaces
// a configured one with the same key, keeping its FAQ pack). Origins,
// greeting, public settings and the identity secret apply to the next
// request or connection. The bucket's state is written to
// Config.SiteCache after every change and read at start, so an edge that
// starts while central or the link to it is down serves the last
// configuration it saw.

// siteTable is the node's current sites; safe for concurrent use.
type siteTable struct {
	mu     sync.RWMutex
	static map[string]Site
	remote map[string]chat.SiteConfig // by site key, from the bucket
	merged map[string]Site
}

func (t *siteTable) init(static map[string]Site) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.static, t.remote = static, map[string]chat.SiteConfig{}
	t.rebuild()
}

// rebuild merges static and remote sites; callers hold mu.
func (t *siteTable) rebuild() {
	m := make(map[string]Site, len(t.static)+len(t.remote))
	maps.Copy(m, t.static)
	for k, sc := range t.remote {
		s := m[k] // keeps a configured FAQ pack
		s.Tenant, s.Origins, s.Settings, s.IdentitySecret = sc.Tenant, sc.Origins, sc.Settings, sc.IdentitySecret
		s.Greeting = sc.Settings["widget.greeting"]
		s.Remote = true
		m[k] = s
	}
	t.merged = m
}

func (t *siteTable) get(key string) (Site, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.merged[key]
	return s, ok
}

func (t *siteTable) all() map[string]Site {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.merged
}

// setRemote replaces the remote sites (nil value: delete key); it returns a
// copy of the remote sites after the change.
func (t *siteTable) setRemote(key string, sc *chat.SiteConfig) map[string]chat.SiteConfig {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sc == nil {
		delete(t.remote, key)
	} else {
		t.remote[key] = *sc
	}
	t.rebuild()
	return maps.Clone(t.remote)
}

func (t *siteTable) loadRemote(all map[string]chat.SiteConfig) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remote = all
	t.rebuild()
}

// site returns the site with key.
func (n *Node) site(key string) (Site, bool) { return n.sites.get(key) }

// loadSiteCache reads the last configuration seen (Config.SiteCache).
func (n *Node) loadSiteCache() {
	if n.cfg.SiteCache == "" {
		return
	}
	b, err := os.ReadFile(n.cfg.SiteCache)
	if err != nil {
		if !os.IsNotExist(err) {
			n.log.Warn("edge: site cache unreadable", "file", n.cfg.SiteCache, "err", err)
		}
		return
	}
	var all map[string]chat.SiteConfig
	if err := json.Unmarshal(b, &all); err != nil {
		n.log.Warn("edge: site cache refused", "file", n.cfg.SiteCache, "err", err)
		return
	}
	n.sites.loadRemote(all)
	n.log.Info("edge: serving the last site configuration seen until central's is read", "sites", len(all))
}

// saveSiteCache writes the remote sites atomically (temp file + rename).
func (n *Node) saveSiteCache(all map[string]chat.SiteConfig) {
	if n.cfg.SiteCache == "" {
		return
	}
	b, err := json.Marshal(all)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(n.cfg.SiteCache), 0o700)
	}
	if err == nil {
		tmp := n.cfg.SiteCache + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, n.cfg.SiteCache)
		}
	}
	if err != nil {
		n.log.Warn("edge: site cache not written", "file", n.cfg.SiteCache, "err", err)
	}
}

// watchSites follows chat.BucketSites until the node closes; while the
// bucket is unreachable it serves what it has.
func (n *Node) watchSites() {
	n.watchBucket(chat.BucketSites, func() (func(jetstream.KeyValueEntry, bool), func()) {
		initial := map[string]chat.SiteConfig{}
		change := func(e jetstream.KeyValueEntry, live bool) {
			var sc *chat.SiteConfig
			if e.Operation() == jetstream.KeyValuePut {
				var v chat.SiteConfig
				if err := json.Unmarshal(e.Value(), &v); err != nil || v.Tenant == "" || v.Site != e.Key() {
					n.log.Warn("edge: site configuration refused", "site", e.Key(), "err", err)
					return
				}
				sc = &v
			}
			if !live {
				if sc != nil {
					initial[e.Key()] = *sc
				} else {
					delete(initial, e.Key())
				}
				return
			}
			all := n.sites.setRemote(e.Key(), sc)
			n.packs.reset()
			n.saveSiteCache(all)
			n.m.siteUpdates.Inc()
			n.log.Debug("edge: site configuration changed", "site", e.Key(), "deleted", sc == nil)
		}
		caughtUp := func() { // the bucket's current values are in: they replace the cache
			n.sites.loadRemote(initial)
			n.packs.reset()
			n.saveSiteCache(initial)
			n.log.Info("edge: site configuration from central", "sites", len(initial))
		}
		return change, caughtUp
	})
}
