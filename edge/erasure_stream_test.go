package edge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/vault"
	"github.com/kefu-io/kefu/internal/natsembed"
	"github.com/kefu-io/kefu/internal/poll"
)

// savedVault is a region's vault whose "disk" is a byte slice written
// after every erasure; failSave makes the next saves fail.
type savedVault struct {
	mu       sync.Mutex
	v        *vault.Vault
	disk     []byte
	failSave int
}

func (s *savedVault) Reveal(_ context.Context, _ string, req vault.RevealRequest) (string, error) {
	return s.v.Reveal(req)
}

func (s *savedVault) EraseVaultSaved(_, tenant, visitor, conversation string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.v.EraseVisitor(tenant, visitor) + s.v.EraseConversation(tenant, conversation)
	if s.failSave > 0 {
		s.failSave--
		return n, errors.New("disk full")
	}
	var b bytes.Buffer
	if err := s.v.Save(&b); err != nil {
		return n, err
	}
	s.disk = b.Bytes()
	return n, nil
}

// onDisk reports whether the saved vault holds a value of visitor.
func (s *savedVault) onDiskLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disk == nil {
		return -1
	}
	v, _ := vault.New("eu", bytes.Repeat([]byte{7}, 32))
	if err := v.Load(bytes.NewReader(s.disk)); err != nil {
		return -2
	}
	return v.Len()
}

// TestErasureReachesAnEdgeWhoseLinkWasDown (issue 8 item 5): a leaf edge's
// link to central is cut, the visitor's data is erased meanwhile (central
// puts the completed erasure on KEFU_ERASURE; the core NATS event reaches
// nobody), the link comes back, and the edge's durable consumer erases the
// visitor's sealed values from the region's vault and acknowledges only
// after the vault was saved (a failed save gets the event again).
func TestErasureReachesAnEdgeWhoseLinkWasDown(t *testing.T) {
	ctx := t.Context()
	hubDir := t.TempDir()
	leafListen := freeLoopbackAddr(t)
	startHub := func() (*natsembed.Server, *nats.Conn, jetstream.JetStream) {
		hub, hc, js := startLeafHub(t, hubDir, leafListen)
		if _, err := js.CreateOrUpdateStream(ctx, jsconfig.Stream(chat.ErasureStream())); err != nil {
			t.Fatal(err)
		}
		return hub, hc, js
	}
	hub, hc, hjs := startHub()
	leaf, err := natsembed.Start(natsembed.Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-eu",
		LeafRemote: "nats://" + leafListen, LeafRemoteToken: "tok", LeafRemoteRegion: "eu"})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	lc, err := leaf.ConnectAs(natsembed.EdgeUser("eu"), "edge")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()

	v, err := vault.New("eu", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sv := &savedVault{v: v}
	for _, val := range []string{"+44 7700 900123", "jane@example.com"} {
		if _, err := v.PutVisitor("demo-tenant", "v-gone", "c-gone", "PHONE", val); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.PutVisitor("demo-tenant", "v-stays", "c-stays", "PHONE", "+44 7700 900999"); err != nil {
		t.Fatal(err)
	}
	node, err := edge.New(ctx, edge.Config{
		Region: "eu", NATS: lc, Leaf: &edge.Leaf{Domain: "edge-eu", CentralDomain: "central"},
		Sites: map[string]edge.Site{"demo": {Tenant: "demo-tenant"}},
		Vault: sv, Logger: slog.New(slog.DiscardHandler), PublishTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	consumer := chat.ConsumerErasure + "eu"
	poll.Until(t, 20*time.Second, func() error { // the edge made its durable consumer in central's domain
		_, err := hjs.Consumer(ctx, chat.StreamErasure, consumer)
		return err
	})

	// Cut the link: central's NATS goes away and comes back without it
	// (the leaf reconnects once a second); the erasure happens meanwhile.
	hub.Shutdown()
	hub, hc, hjs = startHub()
	defer hub.Shutdown()
	linkDown := !hub.LeafConnected()
	sv.mu.Lock()
	sv.failSave = 1 // the first attempt cannot save: no ack, delivered again
	sv.mu.Unlock()
	ev := chat.Event{V: chat.ProtocolVersion, Type: chat.EventErasure, Tenant: "demo-tenant", Visitor: "v-gone",
		ConversationID: "c-gone", Reason: "completed", At: time.Now().UTC()}
	data, _ := json.Marshal(ev)
	if err := hc.Publish(chat.EventsSubject(ev.Tenant), data); err != nil { // the core event: lost
		t.Fatal(err)
	}
	msg := nats.NewMsg(chat.ErasureSubject(ev.Tenant))
	msg.Data = data
	if _, err := hjs.PublishMsg(ctx, msg, jetstream.WithMsgID(chat.ErasureMsgID("req-1"))); err != nil {
		t.Fatal(err)
	}
	t.Logf("erasure published with the leaf link down: %v", linkDown)

	start := time.Now()
	poll.Until(t, 30*time.Second, func() error {
		if n := sv.onDiskLen(); n != 1 {
			return fmt.Errorf("saved vault holds %d values, want 1 (v-stays only)", n)
		}
		return nil
	})
	t.Logf("vault erased and saved %v after the erasure", time.Since(start))
	if v.Len() != 1 {
		t.Fatalf("vault holds %d values, want 1", v.Len())
	}
	poll.Until(t, 10*time.Second, func() error { // acknowledged: nothing pending for the region
		c, err := hjs.Consumer(ctx, chat.StreamErasure, consumer)
		if err != nil {
			return err
		}
		info, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("consumer: %d pending, %d unacknowledged", info.NumPending, info.NumAckPending)
		}
		if info.NumRedelivered == 0 && info.Delivered.Consumer < 2 {
			return fmt.Errorf("the failed save did not lead to a second delivery: %+v", info.Delivered)
		}
		return nil
	})
}

// TestErasurePurgesALeafEdgesVisitorFromItsStreams (issue 8 item 4, leaf
// mode): a leaf edge publishes to chat.RegionSubject(domain, tenant,
// visitor), which carries the visitor token, and central's source maps it
// to chat.InboundVisitorSubject, so central's purge by subject reaches what
// a leaf edge sent; envelopes still held in the regional stream (central
// not sourcing it at the moment) are purged by the edge when it applies
// the erasure. Another visitor's envelopes stay and still reach central.
func TestErasurePurgesALeafEdgesVisitorFromItsStreams(t *testing.T) {
	ctx := t.Context()
	leafListen := freeLoopbackAddr(t)
	hub, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir(), Domain: "central", LeafListen: leafListen, LeafToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Shutdown()
	hc, err := hub.Connect("central")
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	if _, err := edge.ServeLeafSources(ctx, hc, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	hjs, _ := jetstream.New(hc)
	if _, err := hjs.CreateOrUpdateStream(ctx, jsconfig.Stream(chat.ErasureStream())); err != nil {
		t.Fatal(err)
	}
	leaf, err := natsembed.Start(natsembed.Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-eu",
		LeafRemote: "nats://" + leafListen, LeafRemoteToken: "tok", LeafRemoteRegion: "eu", LeafDeny: []string{chat.SubjectRegionPrefix + ">"}})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	lc, err := leaf.ConnectAs(natsembed.EdgeUser("eu"), "edge")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	ljs, _ := jetstream.New(lc)
	v, err := vault.New("eu", bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{noCentral: true, config: func(c *edge.Config) {
		c.NATS = lc
		c.Leaf = &edge.Leaf{Domain: "edge-eu", CentralDomain: "central", CheckInterval: time.Hour} // declared once
		c.Vault = &savedVault{v: v}
	}})

	inbound := func(subject string) uint64 {
		t.Helper()
		st, err := hjs.Stream(ctx, chat.StreamInbound)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Subjects[subject]
	}
	regional := func(subject string) uint64 {
		t.Helper()
		st, err := ljs.Stream(ctx, chat.StreamRegion)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Subjects[subject]
	}
	poll.Until(t, 20*time.Second, func() error { // the edge declared its source
		st, err := hjs.Stream(ctx, chat.StreamInbound)
		if err != nil {
			return err
		}
		if len(st.CachedInfo().Config.Sources) != 1 {
			return errors.New("KEFU_INBOUND has no source yet")
		}
		return nil
	})

	gone, kept := h.dial("demo"), h.dial("demo")
	wg, wk := gone.hello(chat.Frame{}), kept.hello(chat.Frame{})
	send := func(c *client, text string) {
		t.Helper()
		id := chat.NewID()
		c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: text, Lang: "en"})
		if a := c.expect(chat.FrameAccepted); a.ID != id {
			t.Fatalf("accepted %+v, want id %s", a, id)
		}
	}
	send(gone, "first message of the visitor to erase")
	send(kept, "first message of the visitor who stays")
	inGone, inKept := chat.InboundVisitorSubject("demo-tenant", wg.Visitor), chat.InboundVisitorSubject("demo-tenant", wk.Visitor)
	poll.Until(t, 20*time.Second, func() error { // sourced and mapped to the visitor's subject
		if inbound(inGone) != 1 || inbound(inKept) != 1 {
			return fmt.Errorf("KEFU_INBOUND holds %d and %d on the visitors' subjects, want 1 and 1", inbound(inGone), inbound(inKept))
		}
		return nil
	})

	poll.Until(t, 20*time.Second, func() error { // work queue: gone from the region once central has it
		rs, err := ljs.Stream(ctx, chat.StreamRegion)
		if err != nil || rs.CachedInfo().State.Msgs != 0 {
			return fmt.Errorf("regional stream still holds messages: %v", err)
		}
		return nil
	})

	// Central stops sourcing the region for a while (as when the link is
	// down): the next messages stay in the regional stream.
	st, err := hjs.Stream(ctx, chat.StreamInbound)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.Sources = nil
	if _, err := hjs.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	send(gone, "second message of the visitor to erase")
	send(kept, "second message of the visitor who stays")
	rGone, rKept := chat.RegionSubject("edge-eu", "demo-tenant", wg.Visitor), chat.RegionSubject("edge-eu", "demo-tenant", wk.Visitor)
	if regional(rGone) != 1 || regional(rKept) != 1 {
		t.Fatalf("the regional stream holds %d and %d on the visitors' subjects, want 1 and 1", regional(rGone), regional(rKept))
	}

	// The erasure: central purges KEFU_INBOUND by the visitor's subject
	// (as central.purgeVisitorStreams does) and puts the event on
	// KEFU_ERASURE; the edge purges its regional stream.
	if err := st.Purge(ctx, jetstream.WithPurgeSubject(inGone)); err != nil {
		t.Fatal(err)
	}
	ev := chat.Event{V: chat.ProtocolVersion, Type: chat.EventErasure, Tenant: "demo-tenant", Visitor: wg.Visitor,
		ConversationID: wg.ConversationID, Reason: "completed", At: time.Now().UTC()}
	data, _ := json.Marshal(ev)
	msg := nats.NewMsg(chat.ErasureSubject(ev.Tenant))
	msg.Data = data
	if _, err := hjs.PublishMsg(ctx, msg, jetstream.WithMsgID(chat.ErasureMsgID("req-leaf"))); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, func() error {
		if n := regional(rGone); n != 0 {
			return fmt.Errorf("the regional stream still holds %d envelopes of the erased visitor", n)
		}
		return nil
	})
	if regional(rKept) != 1 {
		t.Fatal("the other visitor's envelope was purged from the regional stream")
	}

	// Central sources the region again: only the other visitor's buffered
	// message arrives.
	if _, err := edge.RequestSource(ctx, lc, "eu"); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, func() error {
		if n := inbound(inKept); n != 2 {
			return fmt.Errorf("KEFU_INBOUND holds %d envelopes of the other visitor, want 2", n)
		}
		return nil
	})
	if n := inbound(inGone); n != 0 {
		t.Fatalf("KEFU_INBOUND holds %d envelopes of the erased visitor", n)
	}
}
