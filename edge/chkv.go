package edge

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/channels"
)

// Channels from central's bucket: by default the edge watches
// chat.BucketChannels (central's domain for a leaf edge) and finds each
// channel's configuration there: a channel added or changed with `kefu
// admin channel add` is served within seconds, without a restart, and a
// deleted one answers 404. The bucket's state is written to
// ChannelOptions.Cache after every change and read at start, so an edge
// that starts while central or the link is down serves the channels it
// last saw. An id the table lacks (a channel added a moment ago, before
// central's next publication, or none) is asked of central over NATS as
// before (chat.SubjectChannelLookup); an unknown one is cached briefly.

// kvChannels is a ChannelSource and AddressSource over the bucket, with
// central's NATS lookup for what the bucket lacks.
type kvChannels struct {
	fallback natsChannels

	mu   sync.RWMutex
	byID map[string]channels.Config // from the bucket or the cache file
}

func (k *kvChannels) table() map[string]channels.Config {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.byID
}

func (k *kvChannels) Channel(ctx context.Context, id string) (channels.Config, error) {
	if c, found := k.table()[id]; found {
		return c, nil
	}
	// Not (yet) in the bucket: a channel added a moment ago, or none.
	// Central answers; Node.lookupChannel caches an unknown id briefly.
	return k.fallback.Channel(ctx, id)
}

func (k *kvChannels) ChannelByAddress(ctx context.Context, kind, address string) (channels.Config, error) {
	for _, c := range k.table() {
		if c.Kind == kind && strings.EqualFold(c.Address, address) {
			return c, nil
		}
	}
	return k.fallback.ChannelByAddress(ctx, kind, address)
}

// set replaces the table (a copy is kept).
func (k *kvChannels) set(all map[string]channels.Config) {
	m := make(map[string]channels.Config, len(all))
	for id, c := range all {
		m[id] = c
	}
	k.mu.Lock()
	k.byID = m
	k.mu.Unlock()
}

// decodeChannel checks one bucket value.
func decodeChannel(key string, v []byte) (channels.Config, error) {
	var c channels.Config
	if err := json.Unmarshal(v, &c); err != nil {
		return c, err
	}
	if c.ID != key || c.Tenant == "" {
		return c, fmt.Errorf("channel %q: id %q and tenant %q do not fit its key", key, c.ID, c.Tenant)
	}
	return c, nil
}

func (n *Node) loadChannelCache(k *kvChannels) {
	path := n.ch.opt.Cache
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if !os.IsNotExist(err) {
			n.log.Warn("edge: channel cache unreadable", "file", path, "err", err)
		}
		return
	}
	var all map[string]channels.Config
	if err := json.Unmarshal(b, &all); err != nil {
		n.log.Warn("edge: channel cache refused", "file", path, "err", err)
		return
	}
	k.set(all)
	n.log.Info("edge: serving the last channel configuration seen until central's is read", "channels", len(all))
}

// saveChannelCache writes the table atomically, readable by the edge only
// (it holds the platforms' secrets).
func (n *Node) saveChannelCache(all map[string]channels.Config) {
	path := n.ch.opt.Cache
	if path == "" {
		return
	}
	b, err := json.Marshal(all)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o700)
	}
	if err == nil {
		tmp := path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		n.log.Warn("edge: channel cache not written", "file", path, "err", err)
	}
}

// centralJS is the JetStream context of central's domain: the node's own
// for an edge on central's NATS system, central's domain for a leaf edge.
func (n *Node) centralJS() (jetstream.JetStream, error) {
	if l := n.cfg.Leaf; l != nil {
		return jetstream.NewWithDomain(n.nc, l.CentralDomain)
	}
	return n.js, nil
}

// watchChannels follows chat.BucketChannels until the node closes; while
// the bucket is unreachable it serves what it has.
func (n *Node) watchChannels(k *kvChannels) {
	n.watchBucket(chat.BucketChannels, func() (func(jetstream.KeyValueEntry, bool), func()) {
		all := map[string]channels.Config{}
		apply := func() {
			k.set(all)
			n.forgetChannels()
			n.saveChannelCache(all)
		}
		change := func(e jetstream.KeyValueEntry, live bool) {
			if e.Operation() == jetstream.KeyValuePut {
				c, err := decodeChannel(e.Key(), e.Value())
				if err != nil {
					n.log.Warn("edge: channel configuration refused", "channel", clip(e.Key()), "err", err)
					return
				}
				all[e.Key()] = c
			} else {
				delete(all, e.Key())
			}
			if live {
				apply()
			}
		}
		caughtUp := func() {
			n.log.Info("edge: channel configuration from central", "channels", len(all))
			apply()
		}
		return change, caughtUp
	})
}

// forgetChannels drops the lookup cache: the table is the source now.
func (n *Node) forgetChannels() {
	n.ch.cacheMu.Lock()
	clear(n.ch.cache)
	n.ch.cacheMu.Unlock()
}
