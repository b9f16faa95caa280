package edge

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
)

// kbPacks are the browser FAQ packs central builds from each tenant's
// knowledge (chat.BucketKnowledgePacks), kept current by a watch.
type kbPacks struct {
	mu sync.RWMutex
	m  map[string]chat.FAQPack // by tenant token
}

func (k *kbPacks) get(tenant string) (chat.FAQPack, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	p, ok := k.m[chat.SubjectToken(tenant)]
	return p, ok
}

func (k *kbPacks) set(key string, p *chat.FAQPack) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]chat.FAQPack{}
	}
	if p == nil {
		delete(k.m, key)
		return
	}
	k.m[key] = *p
}

// watchKnowledgePacks follows central's knowledge-pack bucket until the
// node closes; while the bucket is unreachable (central not up yet, leaf
// link down) it serves the packs it has.
func (n *Node) watchKnowledgePacks() {
	n.watchBucket(chat.BucketKnowledgePacks, func() (func(jetstream.KeyValueEntry, bool), func()) {
		change := func(e jetstream.KeyValueEntry, _ bool) {
			if e.Operation() != jetstream.KeyValuePut {
				n.kbPacks.set(e.Key(), nil)
				n.packs.reset()
				return
			}
			var p chat.FAQPack
			if err := json.Unmarshal(e.Value(), &p); err != nil {
				n.log.Warn("edge: knowledge pack refused", "key", e.Key(), "err", err)
				return
			}
			n.kbPacks.set(e.Key(), &p)
			n.packs.reset()
			n.log.Debug("edge: knowledge pack", "tenant", p.Tenant, "entries", len(p.Entries), "decline", len(p.Decline))
		}
		return change, func() {}
	})
}

// sitePack is the pack /w/config serves for a site: the site's own
// entries, the tenant's knowledge entries (only those in lang when lang is
// set), and the knowledge's decline terms.
func (n *Node) sitePack(site Site, lang string) chat.FAQPack {
	p := site.FAQ
	kb, ok := n.kbPacks.get(site.Tenant)
	if !ok {
		return p
	}
	out := chat.FAQPack{Version: p.Version, Tenant: p.Tenant, Entries: append([]chat.FAQEntry{}, p.Entries...), Decline: kb.Decline}
	lang = strings.ToLower(lang)
	for _, e := range kb.Entries {
		if lang != "" {
			if _, has := e.Answers[lang]; !has {
				continue
			}
		}
		out.Entries = append(out.Entries, e)
	}
	return out
}

// reset drops every site's packs: the next request makes them again with
// the current knowledge packs.
func (pc *packCache) reset() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.sites, pc.suggest = nil, nil
}
