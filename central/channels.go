package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
)

// Platform channels (edge/channels): central keeps their configuration
// (store.ChannelStore, written by `kefu admin channel add`), answers the
// edges' lookups on chat.SubjectChannelLookup, and puts every reply to a
// shopper of a platform channel into the channel outbox stream
// (chat.StreamChannelOut) besides the core NATS outbound subject, so the
// edges deliver it through the platform even across restarts.

func (s *Service) startChannels(ctx context.Context) error {
	if s.js == nil {
		js, err := jetstream.New(s.nc)
		if err != nil {
			return fmt.Errorf("central: jetstream: %w", err)
		}
		s.js = js
	}
	if _, err := s.js.CreateOrUpdateStream(ctx, s.streamConfig(ctx, chat.ChannelOutStream())); err != nil {
		return fmt.Errorf("central: stream %s: %w", chat.StreamChannelOut, err)
	}
	// Completed erasures reach every region's edges through a stream
	// (erasure.go publishErasure).
	if _, err := s.js.CreateOrUpdateStream(ctx, s.streamConfig(ctx, chat.ErasureStream())); err != nil {
		return fmt.Errorf("central: stream %s: %w", chat.StreamErasure, err)
	}
	// The edges' buckets in central's domain: made here, before any edge
	// can, so that no edge credential makes a stream of that name on other
	// subjects (kefu.outbound.>) and reads what it captures (SECURITY.md).
	for _, b := range []jetstream.KeyValueConfig{
		{Bucket: chat.BucketChannelSent, TTL: 24 * time.Hour, Description: "replies delivered to platform channels (key: reply id)"},
		{Bucket: chat.BucketChannelCursors, Description: "pull cursors of platform channels (WeCom sync_msg)"},
	} {
		b.Storage, b.Replicas = jetstream.FileStorage, s.bucketReplicas(ctx, b.Bucket)
		if _, err := s.js.CreateOrUpdateKeyValue(ctx, b); err != nil {
			return fmt.Errorf("central: bucket %s: %w", b.Bucket, err)
		}
	}
	sub, err := s.nc.QueueSubscribe(chat.SubjectChannelLookup, ConsumerName, s.onChannelLookup)
	if err != nil {
		return fmt.Errorf("central: subscribe channel lookup: %w", err)
	}
	s.subs = append(s.subs, sub)
	return nil
}

func (s *Service) onChannelLookup(m *nats.Msg) {
	reply := func(r chat.ChannelLookupReply) {
		data, _ := json.Marshal(r)
		_ = m.Respond(data)
	}
	var req chat.ChannelLookup
	if err := json.Unmarshal(m.Data, &req); err != nil || (req.ID == "" && req.Address == "") {
		reply(chat.ChannelLookupReply{Error: "malformed request"})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var c store.Channel
	var err error
	if req.ID != "" {
		c, err = s.st.Channel(ctx, req.ID)
	} else {
		c, err = s.st.ChannelByAddress(ctx, req.Kind, req.Address)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		reply(chat.ChannelLookupReply{Error: "not_found"})
	case err != nil:
		s.log.Warn("channel lookup", "id", req.ID, "err", err)
		reply(chat.ChannelLookupReply{Error: "unavailable"})
	default:
		reply(chat.ChannelLookupReply{Config: c.Config})
	}
}

// publishChannel queues a reply for a platform channel in the channel
// outbox, with its message id as Nats-Msg-Id (a republished reply, after a
// redelivery, is queued once).
func (s *Service) publishChannel(out chat.Envelope, data []byte) {
	if s.js == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msg := nats.NewMsg(chat.ChannelOutVisitorSubject(out.Region, out.Tenant, out.Visitor))
	msg.Data = data
	if _, err := s.js.PublishMsg(ctx, msg, jetstream.WithMsgID(out.Message.ID)); err != nil {
		s.log.Error("outbound: channel outbox", "id", out.Message.ID, "channel", out.Channel, "err", err)
	}
}

// streamConfig is spec's configuration with Config.StreamReplicas (or the
// stream's present count when that is 0).
func (s *Service) streamConfig(ctx context.Context, spec chat.StreamSpec) jetstream.StreamConfig {
	spec.Replicas = jsconfig.Replicas(ctx, s.js, spec.Name, s.cfg.StreamReplicas)
	return jsconfig.Stream(spec)
}

// bucketReplicas is the replica count of key-value bucket: Config.StreamReplicas
// or the bucket's present count when that is 0.
func (s *Service) bucketReplicas(ctx context.Context, bucket string) int {
	return jsconfig.Replicas(ctx, s.js, "KV_"+bucket, s.cfg.StreamReplicas)
}
