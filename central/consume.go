package central

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/tracing"
)

// How central takes shopper messages from JetStream (issue 14).
//
// One loop pulls from the durable consumer in batches: a pull request for
// up to Config.InboundBatch messages stays open for a second, and whatever
// has arrived when the loop finds no more waiting is handled as one batch
// (so a lone message waits for nothing, and under load batches grow). A
// batch is split by conversation (tenant and visitor): the conversations
// run in parallel, up to Config.InboundLanes at once, and the
// messages of one conversation one after the other, in the stream's order.
// Up to maxBatchesInFlight batches are handled at once (the loop fetches
// the next while the last is handled); a conversation's messages in a
// later batch wait for its messages in the earlier ones.
// Each message is acknowledged only after everything it wrote committed;
// a message the store cannot take now is nak'ed for a retry, and so are the
// messages after it in its conversation (they come back after it, in
// order); a message that can never be stored (malformed, refused by the
// store) is terminated. None of these holds up the other conversations of
// the batch. A redelivery (after a crash between commit and ack) finds its
// id stored and sends the same reply again (store ids are idempotency
// keys; edges do not send a reply id twice).

// defaults of Config.InboundBatch and Config.InboundLanes.
const defaultInboundBatch = 256

func defaultInboundLanes() int { return 64 * runtime.GOMAXPROCS(0) }

// inbound is one message of a batch, decoded.
type inbound struct {
	m   jetstream.Msg
	env chat.Envelope
}

// consumeLoop pulls batches until ctx ends.
func (s *Service) consumeLoop(ctx context.Context, cons jetstream.Consumer) {
	defer close(s.consumeDone)
	var pending []jetstream.Msg
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		b, err := cons.Fetch(s.cfg.InboundBatch, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			s.log.Debug("consume: fetch", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		msgs := b.Messages()
		for m := range msgs {
			pending = append(pending, m)
			if len(msgs) == 0 { // nothing more waiting: handle what came
				s.handleBatch(pending)
				pending = pending[:0]
			}
		}
		s.handleBatch(pending)
		pending = pending[:0]
		if err := b.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			s.log.Debug("consume: batch", "err", err)
		}
		cancel()
	}
}

// maxBatchesInFlight bounds the batches handled at once: the fetch loop
// waits for one to finish before it takes more (JetStream's MaxAckPending
// bounds the messages too).
const maxBatchesInFlight = 4

// handleBatch handles one batch: decoded, split by conversation, the
// conversations in parallel, each in order. It returns once the batch is
// split and its work started: the next batch is fetched while this one is
// handled (a batch's slowest conversation used to hold every later
// message back). A conversation of this batch starts after the same
// conversation of the earlier batches is done (chains), so that its
// messages are still handled in the stream's order.
func (s *Service) handleBatch(batch []jetstream.Msg) {
	if len(batch) == 0 {
		return
	}
	if s.isClosed() {
		return // not acked: redelivered to another replica or after restart
	}
	s.m.inboundBatch.Observe(float64(len(batch)))
	var groups []convWork
	byKey := map[string]int{}
	for _, m := range batch {
		env, why, err := decodeEnvelope(m.Data())
		if err != nil {
			s.reject(m, why, err)
			continue
		}
		k := env.Tenant + "\x00" + env.Visitor
		i, ok := byKey[k]
		if !ok {
			i = len(groups)
			byKey[k] = i
			groups = append(groups, convWork{key: k})
		}
		groups[i].msgs = append(groups[i].msgs, inbound{m: m, env: env})
	}
	if len(groups) == 0 {
		return
	}
	for i := range groups { // in the loop's order: the chains follow the stream
		groups[i].after, groups[i].done = s.chains.next(groups[i].key)
	}
	s.batches <- struct{}{} // at most maxBatchesInFlight
	s.inflight.Add(1)
	go func() {
		defer s.inflight.Done()
		defer func() { <-s.batches }()
		// Each conversation on a goroutine of its own, which first waits
		// for the conversation's earlier batches (holding no lane: a
		// conversation held up there holds up no other), then for one of
		// the Config.InboundLanes lanes shared by all batches.
		var wg sync.WaitGroup
		for _, g := range groups {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if g.after != nil {
					<-g.after
				}
				j := laneJob{msgs: g.msgs, done: make(chan struct{})}
				s.lanes <- j
				<-j.done
				s.chains.finish(g.key, g.done)
			}()
		}
		wg.Wait()
	}()
}

// laneJob is one conversation's messages of a batch for a lane worker,
// which closes done when it has handled them.
type laneJob struct {
	msgs []inbound
	done chan struct{}
}

// laneWorker handles conversations until the service closes s.lanes.
// The workers live as long as the consumer: a goroutine started per
// conversation began with a small stack and grew it (copying) on every
// message's way through the store and the knowledge search, 2% of the
// server's CPU under load; a worker keeps its stack.
func (s *Service) laneWorker() {
	for j := range s.lanes {
		s.handleConversation(j.msgs)
		close(j.done)
	}
}

// convWork is one conversation's messages of a batch, with the chain link
// it waits for (the same conversation in an earlier batch; nil: none) and
// the one it closes when done.
type convWork struct {
	key   string
	msgs  []inbound
	after <-chan struct{}
	done  chan struct{}
}

// convChains links the batches' groups of one conversation in the order
// the batches were taken.
type convChains struct {
	mu   sync.Mutex
	last map[string]chan struct{} // closed when the latest group of the conversation is done
}

// next returns what a new group of k waits for (nil: nothing) and what it
// closes when done.
func (c *convChains) next(k string) (after <-chan struct{}, done chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]chan struct{}{}
	}
	if prev, ok := c.last[k]; ok {
		after = prev
	}
	done = make(chan struct{})
	c.last[k] = done
	return after, done
}

// finish closes done and forgets k when no later group was linked.
func (c *convChains) finish(k string, done chan struct{}) {
	close(done)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last[k] == done {
		delete(c.last, k)
	}
}

// heldConversations remembers, per conversation, the first message left
// for a retry: until it has been handled, the later messages of that
// conversation, in this batch or in later ones, are left for a retry too,
// so that they come back behind it. A hold lapses after twice AckWait (the
// message went to another replica, or will never come back).
type heldConversations struct {
	mu sync.Mutex
	m  map[string]held
}

type held struct {
	seq   uint64 // stream sequence of the message retried
	until time.Time
}

// mayHandle reports whether the message at seq of conversation k may be
// handled now (nothing earlier of k is waiting for a retry).
func (h *heldConversations) mayHandle(k string, seq uint64, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.m[k]
	if !ok || now.After(e.until) {
		delete(h.m, k)
		return true
	}
	return seq <= e.seq
}

// hold records that the message at seq of k is left for a retry.
func (h *heldConversations) hold(k string, seq uint64, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]held{}
	}
	if e, ok := h.m[k]; ok && e.seq <= seq && time.Now().Before(e.until) {
		return
	}
	h.m[k] = held{seq: seq, until: until}
}

// release ends the hold of k once the message at seq was handled.
func (h *heldConversations) release(k string, seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.m[k]; ok && e.seq == seq {
		delete(h.m, k)
	}
}

func streamSeq(m jetstream.Msg) uint64 {
	md, err := m.Metadata()
	if err != nil {
		return 0
	}
	return md.Sequence.Stream
}

// handleConversation handles the messages of one conversation of a batch
// in order. After a message that must be retried, the later ones are
// retried too (here and in later batches: heldConversations), so that they
// stay behind it.
func (s *Service) handleConversation(msgs []inbound) {
	k := msgs[0].env.Tenant + "\x00" + msgs[0].env.Visitor
	for i, in := range msgs {
		seq := streamSeq(in.m)
		if !s.held.mayHandle(k, seq, time.Now()) {
			for _, later := range msgs[i:] {
				_ = later.m.NakWithDelay(time.Second)
			}
			return
		}
		if s.handleInbound(in) {
			s.held.release(k, seq)
			continue
		}
		s.held.hold(k, seq, time.Now().Add(2*s.cfg.AckWait))
		for _, later := range msgs[i+1:] {
			_ = later.m.NakWithDelay(time.Second)
		}
		return
	}
}

// handleInbound processes one message and acks it once processing
// committed; it returns false when the message was left for a retry (nak,
// or no ack).
func (s *Service) handleInbound(in inbound) bool {
	if s.isClosed() {
		return false // not acked: redelivered
	}
	env, m := in.env, in.m
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	start := time.Now()
	// A span of the message's trace: a child of the edge's publish when
	// the NATS message carries its traceparent (internal/tracing).
	ctx, sp := s.cfg.Tracer.Start(tracing.FromHeader(ctx, m.Headers().Get(tracing.Header), env.Message.ID), "central.process", tracing.KindConsumer)
	defer sp.End()
	if sp != nil {
		sp.SetAttr("kefu.message_id", env.Message.ID)
		sp.SetAttr("kefu.conversation_id", env.Message.ConversationID)
		sp.SetAttr("kefu.tenant", env.Tenant)
		sp.SetAttr("kefu.region", env.Region)
		if md, err := m.Metadata(); err == nil {
			sp.SetAttr("kefu.deliveries", int64(md.NumDelivered))
		}
	}
	if before, err := s.writtenBeforeErasure(ctx, env); err != nil {
		s.log.Warn("inbound: will retry", "tenant", env.Tenant, "id", env.Message.ID, "err", err)
		_ = m.NakWithDelay(time.Second)
		return false
	} else if before {
		// Written before its visitor was erased, arrived after (erased.go).
		sp.SetAttr("kefu.result", "visitor erased")
		s.reject(m, "visitor erased", nil)
		return true
	}
	if err := s.process(ctx, env); err != nil {
		sp.SetError(err)
		if errors.Is(err, store.ErrInvalid) {
			s.reject(m, "refused by the store", err)
			return true // terminated: it will never be stored; the others go on
		}
		s.log.Warn("inbound: will retry", "tenant", env.Tenant, "id", env.Message.ID, "err", err)
		_ = m.NakWithDelay(time.Second)
		return false
	}
	if s.cfg.beforeAck != nil {
		if err := s.cfg.beforeAck(env); err != nil {
			return false
		}
	}
	if err := m.Ack(); err != nil {
		s.log.Warn("inbound: ack", "id", env.Message.ID, "err", err)
	}
	s.m.replyLatency.Observe(time.Since(start).Seconds())
	return true
}
