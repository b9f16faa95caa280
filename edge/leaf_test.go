package edge_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/internal/natsembed"
	"github.com/kefu-io/kefu/internal/poll"
)

// freeLoopbackAddr returns a loopback host:port that nothing listened on
// a moment ago, for a listener a test starts (and may start again) itself.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// startLeafHub starts a hub in central's domain storing in dir, with leaf
// edges' listener on leafListen, and serves the regional streams' sources
// on a connection closed when the test ends. It may be called again with
// the same arguments after the hub was shut down (the hub restarting).
func startLeafHub(t *testing.T, dir, leafListen string) (*natsembed.Server, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	hub, err := natsembed.Start(natsembed.Options{StoreDir: dir, Domain: "central", LeafListen: leafListen, LeafToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	hc, err := hub.Connect("central")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hc.Close)
	if _, err := edge.ServeLeafSources(t.Context(), hc, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(hc)
	return hub, hc, js
}

func inboundCount(t *testing.T, js jetstream.JetStream) func() (uint64, error) {
	return func() (uint64, error) {
		st, err := js.Stream(t.Context(), chat.StreamInbound)
		if err != nil {
			return 0, err
		}
		return st.CachedInfo().State.Msgs, nil
	}
}

// TestLeafRegionStreamSourcedByCentral runs a hub (central's domain) and a
// leaf (an edge's domain): the edge's declaration of its regional stream as
// a source of KEFU_INBOUND is idempotent, a message published twice with one
// id reaches KEFU_INBOUND once under kefu.inbound.<tenant>, and a message
// published while the hub is down is acknowledged by the leaf and arrives
// after the hub restarts.
func TestLeafRegionStreamSourcedByCentral(t *testing.T) {
	ctx := t.Context()
	hubDir := t.TempDir()
	leafListen := freeLoopbackAddr(t)
	startHub := func() (*natsembed.Server, *nats.Conn, jetstream.JetStream) {
		return startLeafHub(t, hubDir, leafListen)
	}
	hub, hc, hjs := startHub()
	leaf, err := natsembed.Start(natsembed.Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-t",
		LeafRemote: "nats://" + leafListen, LeafRemoteToken: "tok", LeafRemoteRegion: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	lc, err := leaf.ConnectAs(natsembed.EdgeUser("t"), "edge")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	ljs, _ := jetstream.New(lc)
	if _, err := ljs.CreateStream(ctx, edge.RegionStreamConfig("edge-t")); err != nil {
		t.Fatal(err)
	}
	if _, err := ljs.CreatePushConsumer(ctx, chat.StreamRegion, edge.RegionConsumerConfig("edge-t")); err != nil {
		t.Fatal(err)
	}

	for i, want := range []bool{true, false} { // the second request changes nothing
		var changed bool
		poll.Until(t, 10*time.Second, func() error { // central's interest reaches the leaf asynchronously
			changed, err = edge.RequestSource(ctx, lc, "t")
			return err
		})
		if changed != want {
			t.Fatalf("request %d: changed %v; want changed %v", i+1, changed, want)
		}
	}
	short, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := edge.RequestSource(short, lc, "u"); err == nil { // another region's: the link may not ask
		t.Fatal("a leaf of region t asked central to source region u")
	}
	if _, err := edge.DeclareSource(ctx, hc, "", "edge-u"); err != nil { // central sources another region
		t.Fatal(err)
	}
	st, err := hjs.Stream(ctx, chat.StreamInbound)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(st.CachedInfo().Config.Sources); n != 2 {
		t.Fatalf("KEFU_INBOUND has %d sources, want 2: %+v", n, st.CachedInfo().Config.Sources)
	}

	publish := func(id string) {
		t.Helper()
		msg := nats.NewMsg(chat.RegionSubject("edge-t", "demo", "v1"))
		msg.Data = []byte(`{"id":"` + id + `"}`)
		if _, err := ljs.PublishMsg(ctx, msg, jetstream.WithMsgID(id)); err != nil {
			t.Fatalf("publish %s at the leaf: %v", id, err)
		}
	}
	publish("m1")
	publish("m1")
	count := inboundCount(t, hjs)
	poll.Until(t, 10*time.Second, func() error {
		if n, err := count(); err != nil || n != 1 {
			return fmt.Errorf("KEFU_INBOUND holds %d messages (%v), want 1", n, err)
		}
		return nil
	})
	raw, err := st.GetLastMsgForSubject(ctx, chat.InboundVisitorSubject("demo", "v1"))
	if err != nil || raw.Header.Get(jetstream.MsgIDHeader) != "m1" {
		t.Fatalf("last message on %s: %+v %v", chat.InboundVisitorSubject("demo", "v1"), raw, err)
	}

	hub.Shutdown()
	start := time.Now()
	publish("m2") // acknowledged by the region while central is away
	if d := time.Since(start); d > time.Second {
		t.Errorf("publish while the hub is down took %v", d)
	}
	hub, _, hjs = startHub()
	defer hub.Shutdown()
	count = inboundCount(t, hjs)
	poll.Until(t, 30*time.Second, func() error {
		if n, err := count(); err != nil || n != 2 {
			return fmt.Errorf("KEFU_INBOUND holds %d messages (%v) after the hub restarted, want 2", n, err)
		}
		return nil
	})
	t.Logf("drained %v after the hub restart", time.Since(start))
	poll.Until(t, 5*time.Second, func() error { // work queue: stored centrally, gone from the region
		rs, err := ljs.Stream(ctx, chat.StreamRegion)
		if err != nil || rs.CachedInfo().State.Msgs != 0 {
			return fmt.Errorf("regional stream still holds messages: %v", err)
		}
		return nil
	})
}

func TestLeafConfigErrors(t *testing.T) {
	srv, err := natsembed.Start(natsembed.Options{NoListen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("t")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, l := range []edge.Leaf{{}, {Domain: "a.b"}, {Domain: "central"}, {Domain: "x", CentralDomain: "x"}, {Domain: "e", CentralDomain: "c*"},
		{Domain: "edge-us"}, {Domain: "edge-eu-2"}} { // the last two: not region eu's domain
		n, err := edge.New(t.Context(), edge.Config{NATS: nc, Region: "eu", Leaf: &l, Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			n.Close()
			t.Errorf("leaf %+v accepted", l)
		}
	}
	if _, err := edge.DeclareSource(t.Context(), nc, "central", "edge-t"); err == nil {
		t.Errorf("declaration without central: %v", err)
	}
	if _, err := edge.RequestSource(t.Context(), nc, "t"); err == nil {
		t.Errorf("source request without central: %v", err)
	}
}
