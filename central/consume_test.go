package central

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/poll"
)

// faultyStore fails SaveInbound and SaveInboundReply of chosen message
// ids: refuse for ever (store.ErrInvalid) or fail the first n attempts (a
// store that went away mid-batch).
type faultyStore struct {
	store.Store
	mu      sync.Mutex
	refuse  map[string]bool
	failN   map[string]int
	commits map[string]int           // calls that stored the message
	gate    map[string]chan struct{} // saving these ids waits until closed
}

func (f *faultyStore) SaveInbound(ctx context.Context, in store.Inbound) (store.Conversation, bool, bool, error) {
	r, err := f.SaveInboundReply(ctx, in, nil)
	return r.Conversation, r.Created, r.Stored, err
}

func (f *faultyStore) SaveInboundReply(ctx context.Context, in store.Inbound, plan store.ReplyPlan) (store.InboundSaved, error) {
	f.mu.Lock()
	id := in.Message.ID
	if g := f.gate[id]; g != nil {
		f.mu.Unlock()
		<-g
		f.mu.Lock()
	}
	if f.refuse[id] {
		f.mu.Unlock()
		return store.InboundSaved{}, fmt.Errorf("test: %w: refused %s", store.ErrInvalid, id)
	}
	if f.failN[id] > 0 {
		f.failN[id]--
		f.mu.Unlock()
		return store.InboundSaved{}, errors.New("test: store closed")
	}
	f.mu.Unlock()
	r, err := f.Store.SaveInboundReply(ctx, in, plan)
	if err == nil && r.Stored {
		f.mu.Lock()
		f.commits[id]++
		f.mu.Unlock()
	}
	return r, err
}

// batchWorld publishes msgs to the inbound stream before central starts,
// so that central finds them waiting and takes them in batches.
func batchWorld(t *testing.T) (*env, *faultyStore, Config) {
	t.Helper()
	e := newEnv(t)
	if _, err := EnsureStream(t.Context(), e.js); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(t.Context(), filepath.Join(e.dir, "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := &faultyStore{Store: st, refuse: map[string]bool{}, failN: map[string]int{}, commits: map[string]int{}}
	cfg := e.config()
	cfg.Store = fs
	cfg.Registerer = metric.NewRegistry()
	return e, fs, cfg
}

// conversationOrder returns the ids of the shopper messages of visitor's
// conversation in the order the store keeps them.
func conversationOrder(t *testing.T, s *Service, visitor string) []string {
	t.Helper()
	c, err := s.Store().LatestConversation(t.Context(), "demo", visitor)
	if err != nil {
		t.Fatalf("conversation of %s: %v", visitor, err)
	}
	msgs, err := s.Store().Messages(t.Context(), "demo", c.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range msgs {
		if m.Role == chat.RoleShopper {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

// publishConversations publishes perVisitor messages for each visitor,
// interleaved across visitors, and returns each visitor's ids in order.
func publishConversations(e *env, visitors []string, perVisitor int) map[string][]string {
	want := map[string][]string{}
	for i := range perVisitor {
		for _, v := range visitors {
			id := fmt.Sprintf("%s-m%d-%s", v, i, chat.NewID())
			e.publish(envelope("demo", v, "", id, "What is your return policy?", "en"))
			want[v] = append(want[v], id)
		}
	}
	return want
}

// batchesSeen reads the batch histogram: batches handled and the upper
// bound of the highest bucket holding one.
func batchesSeen(t *testing.T, s *Service) (batches uint64, largest float64) {
	t.Helper()
	m := s.m.inboundBatch.Snapshot()
	prev := uint64(0)
	for _, b := range m.Buckets {
		if b.Count > prev {
			largest = b.UpperBound
		}
		prev = b.Count
	}
	return m.Count, largest
}

func TestBatchKeepsConversationOrder(t *testing.T) {
	e, fs, cfg := batchWorld(t)
	visitors := []string{"va", "vb", "vc", "vd"}
	want := publishConversations(e, visitors, 6)
	s := e.start(cfg)
	e.consumerIdle()
	for _, v := range visitors {
		if got := conversationOrder(t, s, v); !slices.Equal(got, want[v]) {
			t.Errorf("visitor %s stored in order %v, want %v", v, got, want[v])
		}
	}
	for id, n := range fs.commits {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	batches, largest := batchesSeen(t, s)
	t.Logf("24 messages in %d batches, the largest ≤ %g", batches, largest)
	if largest < 2 {
		t.Errorf("24 waiting messages were taken one at a time (largest batch ≤ %g)", largest)
	}
}

// TestBatchPoisonDoesNotBlock: in a batch, a malformed envelope and a
// message the store refuses for ever are terminated; every other message,
// in their conversations too, is stored once and answered.
func TestBatchPoisonDoesNotBlock(t *testing.T) {
	e, fs, cfg := batchWorld(t)
	visitors := []string{"pa", "pb", "pc"}
	want := publishConversations(e, visitors[:1], 1)
	e.publishRaw(chat.InboundVisitorSubject("demo", "pa"), []byte("{not json"), "poison-json")
	refused := "pa-refused-" + chat.NewID()
	fs.refuse[refused] = true
	e.publish(envelope("demo", "pa", "", refused, "What is your return policy?", "en"))
	more := publishConversations(e, visitors, 2)
	for _, v := range visitors {
		want[v] = append(want[v], more[v]...)
	}
	s := e.start(cfg)
	answered := map[string]bool{}
	for range len(want["pa"]) + len(want["pb"]) + len(want["pc"]) {
		r := e.reply()
		answered[r.Message.ReplyTo] = true
	}
	e.consumerIdle()
	for _, v := range visitors {
		if got := conversationOrder(t, s, v); !slices.Equal(got, want[v]) {
			t.Errorf("visitor %s stored %v, want %v", v, got, want[v])
		}
		for _, id := range want[v] {
			if !answered[id] {
				t.Errorf("%s not answered", id)
			}
		}
	}
	if answered[refused] {
		t.Errorf("the refused message was answered")
	}
	if n := s.m.inboundRejected.WithLabelValues("malformed envelope JSON").Value(); n != 1 {
		t.Errorf("malformed rejected %g times", n)
	}
	if n := s.m.inboundRejected.WithLabelValues("refused by the store").Value(); n != 1 {
		t.Errorf("store refusal rejected %g times", n)
	}
}

// TestBatchAckOnlyAfterCommit: a store that fails mid-batch (the first
// attempt of one message) leaves that message and the later ones of its
// conversation unacked: they come back, after it, in order, and each is
// stored once; a crash between commit and ack redelivers a message that is
// then not stored again. The other conversations are not held up.
func TestBatchAckOnlyAfterCommit(t *testing.T) {
	e, fs, cfg := batchWorld(t)
	cfg.AckWait = 500 * time.Millisecond
	visitors := []string{"ka", "kb", "kc"}
	want := publishConversations(e, visitors, 4)
	fs.failN[want["ka"][1]] = 2 // the store is gone for the second message of ka, twice
	crashID := want["kb"][2]
	var crashes atomic.Int32
	cfg.beforeAck = func(en chat.Envelope) error {
		if en.Message.ID == crashID && crashes.Add(1) == 1 {
			return errors.New("crash after commit, before ack")
		}
		return nil
	}
	s := e.start(cfg)
	e.consumerIdle()
	for _, v := range visitors {
		if got := conversationOrder(t, s, v); !slices.Equal(got, want[v]) {
			t.Errorf("visitor %s stored %v, want %v", v, got, want[v])
		}
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, v := range visitors {
		for _, id := range want[v] {
			if fs.commits[id] != 1 {
				t.Errorf("%s stored %d times, want once", id, fs.commits[id])
			}
		}
	}
	if fs.failN[want["ka"][1]] != 0 {
		t.Errorf("the failing message was not retried")
	}
	if crashes.Load() < 2 {
		t.Errorf("the message whose ack was lost was delivered %d times, want a redelivery", crashes.Load())
	}
}

// storedOf counts the shopper messages stored for visitor.
func storedOf(t *testing.T, s *Service, visitor string) int {
	t.Helper()
	c, err := s.Store().LatestConversation(t.Context(), "demo", visitor)
	if errors.Is(err, store.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Store().Messages(t.Context(), "demo", c.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Role == chat.RoleShopper {
			n++
		}
	}
	return n
}

// TestBatchesOverlapKeepingOrder: batches are handled while earlier ones
// are not finished (a slow conversation holds no one else back), and a
// conversation's messages in later batches wait for its earlier ones.
// Batches of two: [qa0 qb0] [qa1 qb1] [qa2 qb2] [qa3 qb3]; qa0 is held in
// the store: qb's later messages are stored meanwhile, qa's are not.
func TestBatchesOverlapKeepingOrder(t *testing.T) {
	e, fs, cfg := batchWorld(t)
	cfg.InboundBatch = 2
	want := publishConversations(e, []string{"qa", "qb"}, 4)
	gate := make(chan struct{})
	fs.gate = map[string]chan struct{}{want["qa"][0]: gate}
	s := e.start(cfg)
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(gate) }) }) // before the service's shutdown, which waits for qa0
	poll.Until(t, time.Minute, func() error {
		if n := storedOf(t, s, "qb"); n < len(want["qb"]) {
			return fmt.Errorf("qb: %d of %d stored while qa's first message is held", n, len(want["qb"]))
		}
		return nil
	})
	if n := storedOf(t, s, "qa"); n != 0 {
		t.Fatalf("qa: %d stored while its first message is held", n)
	}
	release.Do(func() { close(gate) })
	e.consumerIdle()
	for _, v := range []string{"qa", "qb"} {
		if got := conversationOrder(t, s, v); !slices.Equal(got, want[v]) {
			t.Errorf("visitor %s stored in order %v, want %v", v, got, want[v])
		}
	}
	for id, n := range fs.commits {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
}
