package central

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
)

// Channel configuration for the edges: central keeps the key-value bucket
// chat.BucketChannels equal to the store's channels (compared every
// SitePoll, default 1 s, so `kefu admin channel add` run against the
// database reaches every edge within seconds, without a restart). A value
// equal to the bucket's is not written again; a channel gone from the
// store is deleted from the bucket. Edges watch the bucket (edge/chkv.go).

func (s *Service) startChannelPublisher(ctx context.Context) error {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: chat.BucketChannels, History: 1, Replicas: s.bucketReplicas(ctx, chat.BucketChannels),
		Description: "platform channel configuration for the edges (central/channelconfig.go)", Storage: jetstream.FileStorage})
	if err != nil {
		return fmt.Errorf("central: channel bucket: %w", err)
	}
	last := map[string][]byte{}
	if err := s.syncChannels(ctx, kv, last); err != nil {
		s.log.Warn("channel config: first sync", "err", err)
	}
	every := s.cfg.SitePoll
	if every <= 0 {
		every = time.Second
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-s.closed:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := s.syncChannels(ctx, kv, last); err != nil {
					s.log.Warn("channel config: sync", "err", err)
				}
				cancel()
			}
		}
	}()
	return nil
}

// syncChannels makes the bucket equal to the store; last is what the
// bucket holds (read from it when empty: after a restart, or another
// replica's writes).
func (s *Service) syncChannels(ctx context.Context, kv jetstream.KeyValue, last map[string][]byte) error {
	list, err := s.st.AllChannels(ctx)
	if err != nil {
		return err
	}
	if len(last) == 0 {
		lister, err := kv.ListKeys(ctx)
		if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
			return fmt.Errorf("list channels: %w", err)
		}
		if err == nil {
			for k := range lister.Keys() {
				if e, err := kv.Get(ctx, k); err == nil {
					last[k] = e.Value()
				}
			}
		}
	}
	want := make(map[string]bool, len(list))
	for _, c := range list {
		if !chat.ValidID(c.ID) {
			continue
		}
		// The stored config with the row's id, tenant and kind (which win).
		var cfg map[string]any
		if err := json.Unmarshal(c.Config, &cfg); err != nil || cfg == nil {
			s.log.Warn("channel config: unreadable; not published", "channel", c.ID, "err", err)
			continue
		}
		cfg["channel"], cfg["tenant"], cfg["kind"] = c.ID, c.Tenant, c.Kind
		b, err := json.Marshal(cfg)
		if err != nil {
			continue
		}
		want[c.ID] = true
		if bytes.Equal(last[c.ID], b) {
			continue
		}
		if _, err := kv.Put(ctx, c.ID, b); err != nil {
			return fmt.Errorf("put channel %s: %w", c.ID, err)
		}
		last[c.ID] = b
	}
	for id := range last {
		if !want[id] {
			if err := kv.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("delete channel %s: %w", id, err)
			}
			delete(last, id)
		}
	}
	return nil
}
