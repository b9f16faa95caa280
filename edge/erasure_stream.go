package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// Durable erasure (chat/erasure.go). Besides the core NATS event (which
// reaches the edge at once when it is listening, erasure.go), every
// completed erasure waits in central's chat.StreamErasure for this
// region's durable consumer chat.ConsumerErasure + region. The edge takes
// them one batch at a time, runs the event pipeline and erases the
// visitor's values from the region's vault, and acknowledges an event only
// once the vault is saved (DurableVaultEraser); an event it could not
// finish comes back after a delay. An edge that was stopped, or a leaf
// edge whose link to central was down, catches up when it returns: the
// consumer lives in central's JetStream domain and keeps its place.

// DurableVaultEraser is a VaultEraser that reports whether the erasure is
// on disk. *pluginhost.Host implements it.
type DurableVaultEraser interface {
	EraseVaultSaved(region, tenant, visitor, conversation string) (int, error)
}

// erasureRetry is how long an event that could not be finished waits
// before it is delivered again.
const erasureRetry = 2 * time.Second

// ErasureConsumerConfig is the durable consumer of chat.StreamErasure of
// region's edges.
func ErasureConsumerConfig(region string) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       chat.ConsumerErasure + chat.SubjectToken(region),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: chat.SubjectErasurePrefix + ">",
		MaxAckPending: 64,
	}
}

// erasureJS is the JetStream of central's domain: the edge's own for an
// edge on central's NATS, central's domain across the leaf link otherwise.
func (n *Node) erasureJS() (jetstream.JetStream, error) {
	if l := n.cfg.Leaf; l != nil {
		return jetstream.NewWithDomain(n.nc, l.CentralDomain)
	}
	return n.js, nil
}

// keepErasures consumes the region's erasure events until the node
// closes, re-creating the consumer after failures (central away, link
// down).
func (n *Node) keepErasures() {
	defer n.bg.Done()
	js, err := n.erasureJS()
	if err != nil {
		n.log.Error("edge: erasure stream: jetstream", "err", err)
		return
	}
	var cons jetstream.Consumer
	failures := 0
	for n.ctx.Err() == nil {
		err = nil
		if cons == nil {
			cons, err = n.erasureConsumer(js)
		}
		if err == nil {
			err = n.takeErasures(cons)
		}
		if err == nil {
			failures = 0
			continue
		}
		if n.ctx.Err() != nil {
			return
		}
		if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
			cons = nil
		}
		failures++
		if failures == 1 || failures%60 == 0 {
			n.log.Warn("edge: erasure stream not reachable; erasures are applied when it is", "attempts", failures, "err", err)
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(min(time.Duration(failures)*200*time.Millisecond, 2*time.Second)):
		}
	}
}

// erasureConsumer creates (or finds) the region's consumer, and the stream
// when central has not made it yet.
func (n *Node) erasureConsumer(js jetstream.JetStream) (jetstream.Consumer, error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PublishTimeout)
	defer cancel()
	if _, err := js.Stream(ctx, chat.StreamErasure); errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err := js.CreateStream(ctx, jsconfig.Stream(chat.ErasureStream())); err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil, fmt.Errorf("create stream %s: %w", chat.StreamErasure, err)
		}
	} else if err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, chat.StreamErasure, ErasureConsumerConfig(n.cfg.Region))
	if err != nil {
		return nil, fmt.Errorf("erasure consumer: %w", err)
	}
	return cons, nil
}

// takeErasures handles one batch (waiting up to a second for it).
func (n *Node) takeErasures(cons jetstream.Consumer) error {
	batch, err := cons.Fetch(16, jetstream.FetchMaxWait(time.Second))
	if err != nil {
		return err
	}

	for m := range batch.Messages() {
		if err := n.applyErasure(m.Data()); err != nil {
			n.log.Error("edge: erasure not applied; retried", "err", err)
			_ = m.NakWithDelay(erasureRetry)
			continue
		}
		ctx, cancel := context.WithTimeout(n.ctx, n.cfg.PublishTimeout)
		if err := m.DoubleAck(ctx); err != nil {
			n.log.Warn("edge: erasure applied but not acknowledged; it comes again", "err", err)
		}
		cancel()
	}
	return batch.Error()
}

// applyErasure runs the event pipeline on a completed erasure of a tenant
// this edge serves, erases the visitor from the vault and (a leaf edge)
// purges the visitor's envelopes from the regional stream; it returns an
// error when either did not finish (the event is then delivered again).
func (n *Node) applyErasure(data []byte) error {
	var ev chat.Event
	if err := json.Unmarshal(data, &ev); err != nil || ev.Type != chat.EventErasure || ev.Reason != "completed" {
		return nil // not ours to handle: acknowledged and dropped
	}
	if ev.Tenant == "" || !n.servesTenant(ev.Tenant) {
		return nil
	}
	if _, err := n.runPlugins(n.ctx, pluginhost.HookEvent, ErasureEnvelope(n.cfg.Region, ev)); err != nil {
		n.m.erasures.WithLabelValues("plugin_failed").Inc()
		return fmt.Errorf("erasure event plugins: %w", err)
	}
	switch v := n.cfg.Vault.(type) {
	case DurableVaultEraser:
		if _, err := v.EraseVaultSaved(n.cfg.Region, ev.Tenant, ev.Visitor, ev.ConversationID); err != nil {
			return fmt.Errorf("vault: %w", err)
		}
	case VaultEraser:
		v.EraseVault(n.cfg.Region, ev.Tenant, ev.Visitor, ev.ConversationID)
	}
	if err := n.purgeRegion(n.ctx, ev.Tenant, ev.Visitor); err != nil {
		return err
	}
	n.m.erasures.WithLabelValues("durable").Inc()
	return nil
}
