// Package jsconfig turns the protocol's stream data (chat.StreamSpec) into
// JetStream configurations. It is the one place where edge, central and
// their test stand-ins get them, so package chat itself needs no NATS
// client (it stays free of I/O).
package jsconfig

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
)

// Stream is the JetStream configuration of s, with file storage.
func Stream(s chat.StreamSpec) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{
		Name:       s.Name,
		Subjects:   append([]string(nil), s.Subjects...),
		Storage:    jetstream.FileStorage,
		Duplicates: s.Duplicates,
		MaxAge:     s.MaxAge,
		Replicas:   s.Replicas,
	}
	if s.WorkQueue {
		cfg.Retention = jetstream.WorkQueuePolicy
	}
	return cfg
}

// EnsureInbound creates chat.StreamInbound if it is missing, or updates it
// to the contract's settings keeping its sources (leaf edges declare their
// regional streams there) and, when replicas is 0, its replica count.
// Central calls it at start; test stand-ins of central call the same.
func EnsureInbound(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	spec := chat.InboundStream()
	spec.Replicas = replicas
	cfg := Stream(spec)
	if st, err := js.Stream(ctx, spec.Name); err == nil {
		have := st.CachedInfo().Config
		cfg.Sources = have.Sources
		if replicas == 0 {
			cfg.Replicas = have.Replicas
		}
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("stream %s: %w", spec.Name, err)
	}
	st, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", spec.Name, err)
	}
	return st, nil
}

// Replicas is the replica count to create or update stream with: want
// when it is positive, else the count the stream has now (an update with
// 0 would scale a replicated stream down to 1), else 0 (a new stream gets
// the server's default, 1). A key-value bucket's stream is "KV_" + bucket.
func Replicas(ctx context.Context, js jetstream.JetStream, stream string, want int) int {
	if want > 0 {
		return want
	}
	if st, err := js.Stream(ctx, stream); err == nil {
		return st.CachedInfo().Config.Replicas
	}
	return 0
}
