package central

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
)

// Late messages of erased visitors (SECURITY.md, "Erasure purges the
// streams").
//
// A leaf edge buffers its shoppers' messages in its regional stream while
// its link to central is down. When the link returns, sourcing and the
// edge's durable erasure consumer resume together, so a message an erased
// visitor wrote before the erasure can reach KEFU_INBOUND before the edge
// purged it; central would then store it after the erasure. So central
// notes every erasure in the bucket chat.BucketErased (the visitor's
// token, not the id, and the completion time; kept chat.ErasedMaxAge, as
// long as such a message can wait) before it tells the edges, and drops
// an inbound message of a noted visitor written (Message.At, set by the
// edge) at or before the erasure. What the visitor writes after the
// erasure is a new conversation and is kept. The check reads a local copy
// of the bucket while it is known to be current (erasedview.go).

// startErasedBucket creates or updates the bucket chat.BucketErased.
func (s *Service) startErasedBucket(ctx context.Context) error {
	kv, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: chat.BucketErased, History: 1,
		TTL: chat.ErasedMaxAge, Replicas: s.bucketReplicas(ctx, chat.BucketErased), Storage: jetstream.FileStorage,
		Description: "erased visitors' tokens: central drops their messages written before the erasure (central/erased.go)"})
	if err != nil {
		return fmt.Errorf("central: bucket %s: %w", chat.BucketErased, err)
	}
	s.erased = kv
	s.bg.Add(1)
	go s.watchErased() // the local view (erasedview.go)
	return nil
}

var (
	errWatchEnded   = errors.New("central: bucket watch ended")
	errNoStreamInfo = errors.New("central: bucket status without stream info")
)

// noteErased records that visitor of tenant was erased at at.
func (s *Service) noteErased(ctx context.Context, tenant, visitor string, at time.Time) error {
	key := chat.ErasedKey(tenant, visitor)
	if _, err := s.erased.Put(ctx, key, []byte(at.UTC().Format(time.RFC3339Nano))); err != nil {
		return fmt.Errorf("central: note the erasure in %s: %w", chat.BucketErased, err)
	}
	s.erasedView.note(key, at)
	return nil
}

// writtenBeforeErasure reports whether env's visitor was erased at or
// after its message was written; an error leaves the message for a retry.
// It answers from the local view while that is current (erasedview.go),
// and asks the bucket otherwise.
func (s *Service) writtenBeforeErasure(ctx context.Context, env chat.Envelope) (bool, error) {
	key := chat.ErasedKey(env.Tenant, env.Visitor)
	if at, found, current := s.erasedView.lookup(key, time.Now()); current {
		return found && !env.Message.At.After(at), nil
	}
	s.m.erasedFallbacks.Inc()
	e, err := s.erased.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("central: %s: %w", chat.BucketErased, err)
	}
	// An entry that cannot be read: the visitor was erased, keep nothing
	// older (parseErasedAt).
	return !env.Message.At.After(parseErasedAt(e.Value())), nil
}
