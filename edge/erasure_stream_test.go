package edge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	leafListen := "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	startHub := func() (*natsembed.Server, *nats.Conn, jetstream.JetStream) {
		hub, err := natsembed.Start(natsembed.Options{StoreDir: hubDir, Domain: "central", LeafListen: leafListen, LeafToken: "tok"})
		if err != nil {
			t.Fatal(err)
		}
		hc, err := hub.Connect("central")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(hc.Close)
		js, _ := jetstream.New(hc)
		if _, err := js.CreateOrUpdateStream(ctx, jsconfig.Stream(chat.ErasureStream())); err != nil {
			t.Fatal(err)
		}
		return hub, hc, js
	}
	hub, hc, hjs := startHub()
	leaf, err := natsembed.Start(natsembed.Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-eu",
		LeafRemote: "nats://" + leafListen, LeafRemoteToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	lc, err := leaf.Connect("edge")
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
