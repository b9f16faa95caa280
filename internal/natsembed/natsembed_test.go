package natsembed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
	"github.com/kefu-io/kefu/internal/poll"
)

func TestStartJetStreamSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(Options{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := s.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx := t.Context()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Duplicates: time.Minute}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the same id twice is stored once
		if _, err := js.Publish(ctx, "t.a", []byte("x"), jetstream.WithMsgID("m1")); err != nil {
			t.Fatal(err)
		}
	}
	nc.Close()
	s.Shutdown()

	s2, err := Start(Options{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Shutdown()
	nc2, err := s2.Connect("test2")
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	js2, _ := jetstream.New(nc2)
	st, err := js2.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after restart, want 1", info.State.Msgs)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startHub starts a hub in domain "central" whose leaf port wants token.
func startHub(t *testing.T, token string) *Server {
	t.Helper()
	hub, err := Start(Options{StoreDir: t.TempDir(), Domain: "central", LeafToken: token,
		LeafListen: "127.0.0.1:" + strconv.Itoa(freePort(t))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Shutdown)
	return hub
}

func TestLeafLinkBadPaths(t *testing.T) {
	hub := startHub(t, "s3cret")
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{"wrong token", Options{LeafRemote: hub.LeafURL(), LeafRemoteToken: "guess", LeafRemoteRegion: "t"}, ErrLeafRefused},
		{"no token", Options{LeafRemote: hub.LeafURL(), LeafRemoteRegion: "t"}, ErrLeafRefused},
		{"open leaf listener", Options{LeafListen: "0.0.0.0:" + strconv.Itoa(freePort(t))}, ErrOpenLeaf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.NoListen, tt.opts.StoreDir, tt.opts.Domain = true, t.TempDir(), "edge-t"
			s, err := Start(tt.opts)
			if err == nil {
				s.Shutdown()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Start = %v, want %v", err, tt.want)
			}
			if strings.Contains(fmt.Sprint(err), "guess") {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
	for _, bad := range []string{"http://x:1", "nats://", "::", hub.LeafURL() + ",http://x:1", hub.LeafURL() + ","} {
		if s, err := Start(Options{NoListen: true, LeafRemote: bad, LeafRemoteRegion: "t"}); err == nil {
			s.Shutdown()
			t.Errorf("leaf remote %q accepted", bad)
		}
	}
}

// TestLeafLink joins a leaf (own domain, no client port) to a hub: core
// request/reply crosses the link, and each side's JetStream API is its own.
func TestLeafLink(t *testing.T) {
	hub := startHub(t, "s3cret")
	leaf, err := Start(Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-t",
		LeafRemote: hub.LeafURL(), LeafRemoteToken: "s3cret", LeafRemoteRegion: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	if !leaf.LeafConnected() || leaf.URL() != "" {
		t.Fatalf("leaf connected %v, url %q", leaf.LeafConnected(), leaf.URL())
	}
	hc, err := hub.Connect("hub")
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	lc, err := leaf.ConnectAs(EdgeUser("t"), "leaf") // replies cross the link on the region's reply prefix only
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if _, err := hc.Subscribe(chat.SubjectHistory, func(m *nats.Msg) { _ = m.Respond([]byte("pong")) }); err != nil {
		t.Fatal(err)
	}
	_ = hc.Flush()
	var rep *nats.Msg
	for range 50 { // the subscription's interest reaches the leaf asynchronously
		if rep, err = lc.Request(chat.SubjectHistory, nil, 100*time.Millisecond); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || string(rep.Data) != "pong" {
		t.Fatalf("request over the leaf link: %v %v", rep, err)
	}
	for _, side := range []struct {
		nc     *nats.Conn
		domain string
	}{{lc, "edge-t"}, {hc, "central"}} {
		js, _ := jetstream.New(side.nc)
		info, err := js.AccountInfo(t.Context())
		if err != nil || info.Domain != side.domain {
			t.Fatalf("local JetStream: %+v %v, want domain %s", info, err, side.domain)
		}
	}
	cjs, _ := jetstream.NewWithDomain(lc, "central")
	if info, err := cjs.AccountInfo(t.Context()); err != nil || info.Domain != "central" {
		t.Fatalf("central's JetStream from the leaf: %+v %v", info, err)
	}
}

// TestLeafLinkToAnyOfAList gives the leaf the leaf ports of two servers,
// one of them down: the link comes up to the one that answers, and the
// refused-token check still applies to a list.
func TestLeafLinkToAnyOfAList(t *testing.T) {
	hub := startHub(t, "s3cret")
	list := "nats://127.0.0.1:" + strconv.Itoa(freePort(t)) + ", " + hub.LeafURL()
	leaf, err := Start(Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-t",
		LeafRemote: list, LeafRemoteToken: "s3cret", LeafRemoteRegion: "t", LeafWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	poll.Until(t, 30*time.Second, func() error {
		if !leaf.LeafConnected() {
			return errors.New("leaf link to a list with one live server never came up")
		}
		return nil
	})
	_, err = Start(Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-u",
		LeafRemote: hub.LeafURL() + "," + hub.LeafURL(), LeafRemoteToken: "guess", LeafRemoteRegion: "u", LeafWait: 30 * time.Second})
	if !errors.Is(err, ErrLeafRefused) || strings.Contains(err.Error(), "guess") {
		t.Fatalf("wrong token on a list: %v, want %v without the token", err, ErrLeafRefused)
	}
}

// TestAuthRolesAndPermissions: with Auth, an in-memory or TCP client needs
// a role's credentials; central may do anything, an edge only what its
// region needs (auth.go).
func TestAuthRolesAndPermissions(t *testing.T) {
	dir := t.TempDir()
	secret, err := LoadOrCreateSecret(dir + "/keys/" + SecretFile)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateSecret(dir + "/keys/" + SecretFile)
	if err != nil || string(again) != string(secret) {
		t.Fatalf("second load gave another secret (%v)", err)
	}
	if _, err := Start(Options{Auth: &Auth{Secret: []byte("short")}}); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("short secret: %v", err)
	}
	s, err := Start(Options{StoreDir: dir + "/js", Auth: &Auth{Secret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	if nc, err := nats.Connect(s.URL(), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("anonymous client connected")
	}
	for _, user := range []string{"edge-", "edge-a.b", "edge-*", "kefu-leaf", "Central"} {
		if nc, err := nats.Connect(s.URL(), nats.NoReconnect(), nats.UserInfo(user, Password(secret, user))); err == nil {
			nc.Close()
			t.Errorf("user %q connected", user)
		}
	}
	cen, err := s.ConnectAs(CentralUser, "central")
	if err != nil {
		t.Fatal(err)
	}
	defer cen.Close()
	errs := make(chan error, 16)
	edge, err := nats.Connect(s.URL(), nats.UserInfo(EdgeUser("eu"), Password(secret, EdgeUser("eu"))),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer edge.Close()
	allowedSub := []string{"kefu.outbound.eu.demo", "kefu.events.demo", "kefu.events.*"}
	deniedSub := []string{"kefu.outbound.us.demo", "kefu.inbound.demo", "kefu.staff.demo", "kefu.history", ">",
		chat.ConsoleEventsSubject("demo")}
	allowedPub := []string{"kefu.inbound.demo", "kefu.history", "kefu.chout.eu.demo", chat.ShownSubject("demo"), chat.PageSubject("demo"),
		chat.NoticeOpenedSubject("demo"), chat.TypingSubject("demo"), chat.SubjectAuthVerify, chat.SubjectChannelLookup}
	deniedPub := []string{"kefu.outbound.eu.demo", "kefu.events.demo", "kefu.staff.demo", "kefu.chout.us.demo",
		"$KV.KEFU_SITES.demo", "$JS.API.CONSUMER.CREATE.KEFU_INBOUND.x", "$JS.API.STREAM.PURGE.KEFU_INBOUND", "$JS.API.STREAM.DELETE.KEFU_INBOUND"}
	for _, subj := range allowedSub {
		if _, err := edge.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
	}
	for _, subj := range allowedPub {
		if err := edge.Publish(subj, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := edge.Flush(); err != nil {
		t.Fatal(err)
	}
	// A ping round trip after the allowed operations: no error came back.
	select {
	case err := <-errs:
		t.Fatalf("allowed operation refused: %v", err)
	default:
	}
	for _, subj := range deniedSub {
		if _, err := edge.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
		_ = edge.Flush()
		expectPermissionError(t, errs, "SUB "+subj)
	}
	for _, subj := range deniedPub {
		_ = edge.Publish(subj, []byte("x"))
		_ = edge.Flush()
		expectPermissionError(t, errs, "PUB "+subj)
	}
	// A wildcard past the events' token is allowed, and delivers no
	// console event (chat.ConsoleEventsSubject).
	wide, err := edge.SubscribeSync("kefu.events.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := edge.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{chat.ConsoleEventsSubject("demo"), chat.EventsSubject("demo")} {
		if err := cen.Publish(subj, []byte(subj)); err != nil {
			t.Fatal(err)
		}
	}
	if m, err := wide.NextMsg(5 * time.Second); err != nil || m.Subject != chat.EventsSubject("demo") {
		t.Fatalf("edge's kefu.events.>: first delivery %v (%v), want %s alone", m, err, chat.EventsSubject("demo"))
	}
	// Central may do what the edge may not.
	sub, err := cen.SubscribeSync("kefu.inbound.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := cen.Publish("kefu.inbound.demo", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "y" {
		t.Fatalf("central: %v", err)
	}
}

func expectPermissionError(t *testing.T, errs chan error, what string) {
	t.Helper()
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "Permissions Violation") {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: allowed", what)
	}
}

// TestLeafLinkHasOnlyItsRegionsPermissions (issue 8 item 8, central's
// side): a hub with Auth and no shared leaf token admits a leaf only with
// its own region's token (LeafToken(secret, region)), and the link then
// carries what an edge of that region needs and nothing else: a forged
// agent reply, event or staff notice, a direct inbound envelope or a
// write to the sites bucket from the leaf never reaches central's side;
// purging or consuming KEFU_INBOUND through central's domain API gets no
// answer; another region's replies, the inbound subjects and staff
// notices never reach the leaf. Its own region's replies, requests to
// central and central's JetStream API for its own streams still work.
// It changes no stream (KEFU_INBOUND's sources are central's, declared on
// the leaf's request), delivers and asks to be sourced for its own
// region's domain only, and receives neither another domain's API
// requests nor replies outside its edge's reply prefix.
func TestLeafLinkHasOnlyItsRegionsPermissions(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	hub, err := Start(Options{StoreDir: t.TempDir(), Domain: "central", Auth: &Auth{Secret: secret},
		LeafListen: "127.0.0.1:" + strconv.Itoa(freePort(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Shutdown()
	for name, o := range map[string]Options{
		"another region's token": {LeafRemoteRegion: "eu", LeafRemoteToken: LeafToken(secret, "us")},
		"no token":               {LeafRemoteRegion: "eu"},
		"central's password":     {LeafRemoteRegion: "eu", LeafRemoteToken: Password(secret, CentralUser)},
	} {
		o.NoListen, o.LeafRemote = true, hub.LeafURL()
		if s, err := Start(o); !errors.Is(err, ErrLeafRefused) {
			if err == nil {
				s.Shutdown()
			}
			t.Errorf("%s: Start = %v, want ErrLeafRefused", name, err)
		}
	}
	leaf, err := Start(Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-eu", LeafRemote: hub.LeafURL(),
		LeafRemoteRegion: "eu", LeafRemoteToken: LeafToken(secret, "eu")})
	if err != nil {
		t.Fatal(err)
	}
	defer leaf.Shutdown()
	cen, err := hub.ConnectAs(CentralUser, "central")
	if err != nil {
		t.Fatal(err)
	}
	defer cen.Close()
	checkLeafLinkOfEU(t, cen, leaf)
}

// checkLeafLinkOfEU checks what a leaf link of region eu (leaf, domain
// edge-eu) may do on the hub that cen, central's connection, is on (see
// TestLeafLinkHasOnlyItsRegionsPermissions).
func checkLeafLinkOfEU(t *testing.T, cen *nats.Conn, leaf *Server) {
	ctx := t.Context()
	lc, err := leaf.ConnectAs(EdgeUser("eu"), "edge")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	hjs, _ := jetstream.New(cen)
	if _, err := hjs.CreateStream(ctx, jetstream.StreamConfig{Name: chat.StreamInbound, Subjects: []string{"kefu.inbound.>"}}); err != nil {
		t.Fatal(err)
	}

	// Leaf → central: central listens to everything.
	seen, err := cen.SubscribeSync(">")
	if err != nil {
		t.Fatal(err)
	}
	_ = cen.Flush()
	until := func(marker string) []string {
		t.Helper()
		var got []string
		for {
			m, err := seen.NextMsg(10 * time.Second)
			if err != nil {
				t.Fatalf("waiting for %s at central: %v", marker, err)
			}
			if m.Subject == marker {
				return got
			}
			got = append(got, m.Subject)
		}
	}
	for i := 0; ; i++ { // central's interest reaches the leaf asynchronously
		if err := lc.Publish("kefu.hits.ready", nil); err != nil {
			t.Fatal(err)
		}
		if m, err := seen.NextMsg(200 * time.Millisecond); err == nil && m.Subject == "kefu.hits.ready" {
			break
		}
		if i == 100 {
			t.Fatal("the leaf's messages never reach central")
		}
	}
	forged := []string{"kefu.outbound.eu.demo", "kefu.outbound.us.demo", "kefu.events.demo", "kefu.staff.demo",
		"kefu.inbound.demo.0123456789abcdef", "$KV.KEFU_SITES.demo", "kefu.chout.us.demo",
		chat.SourcingSubject("edge-us"), chat.SourcingSubject("edge-eu-2"), chat.LeafSourceSubject("us")}
	for _, subj := range forged {
		if err := lc.Publish(subj, []byte(`{"text":"click https://phish.example"}`)); err != nil {
			t.Fatal(err)
		}
	}
	allowed := []string{chat.TypingSubject("demo"), "kefu.chout.eu.demo", chat.SourcingSubject("edge-eu"), chat.LeafSourceSubject("eu")}
	for _, subj := range allowed {
		if err := lc.Publish(subj, nil); err != nil {
			t.Fatal(err)
		}
	}
	_ = lc.Publish("kefu.hits.end", nil)
	got := until("kefu.hits.end")
	for _, subj := range forged {
		for _, g := range got {
			if g == subj {
				t.Errorf("a leaf published %s and central received it", subj)
			}
		}
	}
	for _, subj := range allowed {
		found := false
		for _, g := range got {
			found = found || g == subj
		}
		if !found {
			t.Errorf("the leaf's %s did not reach central (got %v)", subj, got)
		}
	}

	// Central's JetStream API from the leaf: its own needs answered, the
	// inbound stream's messages and purge not.
	cjs, _ := jetstream.NewWithDomain(lc, "central")
	if _, err := cjs.Stream(ctx, chat.StreamInbound); err != nil {
		t.Fatalf("stream info through central's domain: %v", err)
	}
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return c
	}
	if _, err := cjs.CreateOrUpdateConsumer(short(), chat.StreamInbound, jetstream.ConsumerConfig{Durable: "thief"}); err == nil {
		t.Error("a leaf created a consumer of KEFU_INBOUND")
	}
	inbound, _ := hjs.Stream(ctx, chat.StreamInbound)
	cfg := inbound.CachedInfo().Config
	cfg.Sources = []*jetstream.StreamSource{{Name: "KEFU_REGION", External: &jetstream.ExternalStream{APIPrefix: "$JS.edge-us.API"}}}
	if _, err := cjs.UpdateStream(short(), cfg); err == nil {
		t.Error("a leaf changed KEFU_INBOUND's sources")
	}
	for _, subj := range []string{"STREAM.PURGE." + chat.StreamInbound, "STREAM.UPDATE." + chat.StreamChannelOut,
		"STREAM.DELETE." + chat.StreamInbound, "STREAM.CREATE." + chat.StreamInbound} {
		if _, err := lc.Request("$JS.central.API."+subj, []byte(`{"name":"KEFU_INBOUND"}`), 2*time.Second); err == nil {
			t.Errorf("a leaf's %s was answered", subj)
		}
	}

	// Central → leaf: only the region's replies and events.
	subs := map[string]*nats.Subscription{}
	for _, subj := range []string{"kefu.outbound.us.>", "kefu.inbound.>", "kefu.staff.>", "$JS.central.API.>", "kefu.events.>", "kefu.outbound.eu.>",
		"$JS.edge-us.API.>", "_INBOX.>"} {
		if subs[subj], err = lc.SubscribeSync(subj); err != nil {
			t.Fatal(err)
		}
	}
	_ = lc.Flush()
	for i := 0; ; i++ {
		_ = cen.Publish("kefu.outbound.eu.ready", nil)
		if _, err := subs["kefu.outbound.eu.>"].NextMsg(200 * time.Millisecond); err == nil {
			break
		}
		if i == 100 {
			t.Fatal("central's replies to the region never reach the leaf")
		}
	}
	for _, subj := range []string{"kefu.outbound.us.demo", "kefu.inbound.demo.0123456789abcdef", "kefu.staff.demo",
		"$JS.central.API.STREAM.INFO.X", "kefu.events.demo", chat.ConsoleEventsSubject("demo"), "$JS.edge-us.API.STREAM.INFO.KEFU_REGION",
		"_INBOX.edge-us.reply", "_INBOX.x"} {
		_ = cen.Publish(subj, []byte("secret"))
	}
	_ = cen.Publish("kefu.outbound.eu.end", nil)
	for {
		m, err := subs["kefu.outbound.eu.>"].NextMsg(10 * time.Second)
		if err != nil {
			t.Fatalf("the region's reply did not reach the leaf: %v", err)
		}
		if m.Subject == "kefu.outbound.eu.end" {
			break
		}
	}
	for subj, sub := range subs {
		n, _, _ := sub.Pending()
		switch subj {
		case "kefu.events.>":
			if n != 1 {
				t.Errorf("events reached the leaf %d times, want 1", n)
			}
		case "kefu.outbound.eu.>":
		default:
			if n != 0 {
				t.Errorf("%s: %d messages reached the leaf", subj, n)
			}
		}
	}

	// Requests to central still work.
	if _, err := cen.Subscribe(chat.SubjectHistory, func(m *nats.Msg) { _ = m.Respond([]byte("ok")) }); err != nil {
		t.Fatal(err)
	}
	_ = cen.Flush()
	var rep *nats.Msg
	for range 50 {
		if rep, err = lc.Request(chat.SubjectHistory, nil, 200*time.Millisecond); err == nil {
			break
		}
	}
	if err != nil || string(rep.Data) != "ok" {
		t.Fatalf("history request from the leaf: %v %v", rep, err)
	}
}

// TestEdgeReadsOnlyItsRegionsChannelOutbox (issue 8, SECURITY.md "Not
// yet" until now): an edge's credentials open its region's durable
// consumers of KEFU_CHANNEL_OUT and KEFU_ERASURE and nothing else of them.
// Region us's edge can neither create a consumer on region eu's channel
// outbox subjects (under its own durable name, eu's, an ephemeral one or
// without a filter), nor pull from or read eu's consumer, nor read the
// stream's messages, nor capture eu's replies in a stream of its own, nor
// take eu's erasure events, nor receive the replies to eu's requests;
// eu's edge and us's own consumer keep working.
func TestEdgeReadsOnlyItsRegionsChannelOutbox(t *testing.T) {
	ctx := t.Context()
	s, secret, cjs := startWithCentral(t)
	for _, spec := range []chat.StreamSpec{chat.ChannelOutStream(), chat.ErasureStream()} {
		if _, err := cjs.CreateStream(ctx, jsconfig.Stream(spec)); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct{ subj, data string }{
		{chat.ChannelOutVisitorSubject("eu", "demo", "v1"), "for eu"},
		{chat.ChannelOutVisitorSubject("us", "demo", "v2"), "for us"},
		{chat.ErasureSubject("demo"), "erased"},
	} {
		if _, err := cjs.Publish(ctx, m.subj, []byte(m.data)); err != nil {
			t.Fatal(err)
		}
	}
	connect := func(region string) (*nats.Conn, jetstream.JetStream, chan error) {
		return connectEdge(t, s, secret, region)
	}
	outbox := func(region, durable, filter string) jetstream.ConsumerConfig {
		return jetstream.ConsumerConfig{Durable: durable, FilterSubject: filter, AckPolicy: jetstream.AckExplicitPolicy}
	}
	fetchOne := func(js jetstream.JetStream, cfg jetstream.ConsumerConfig, stream, want string) {
		t.Helper()
		c, err := js.CreateOrUpdateConsumer(ctx, stream, cfg)
		if err != nil {
			t.Fatalf("own consumer %s: %v", cfg.Durable, err)
		}
		b, err := c.Fetch(1, jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for m := range b.Messages() {
			got = append(got, string(m.Data()))
			if err := m.DoubleAck(ctx); err != nil {
				t.Fatalf("ack on %s: %v", cfg.Durable, err)
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Fatalf("%s fetched %q, want %q", cfg.Durable, got, want)
		}
	}

	// eu's edge: its consumers work.
	_, eujs, _ := connect("eu")
	fetchOne(eujs, outbox("eu", "channels-eu", "kefu.chout.eu.>"), chat.StreamChannelOut, "for eu")
	fetchOne(eujs, jetstream.ConsumerConfig{Durable: "erasure-eu", FilterSubject: "kefu.erasure.>", AckPolicy: jetstream.AckExplicitPolicy},
		chat.StreamErasure, "erased")
	if _, err := cjs.Publish(ctx, chat.ChannelOutVisitorSubject("eu", "demo", "v1"), []byte("later for eu")); err != nil {
		t.Fatal(err)
	}
	if _, err := cjs.Publish(ctx, chat.ErasureSubject("demo"), []byte("erased later")); err != nil {
		t.Fatal(err)
	}

	// us's edge tries every way in.
	us, usjs, errs := connect("us")
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return c
	}
	for name, try := range map[string]struct {
		stream string
		cfg    jetstream.ConsumerConfig
	}{
		"own durable on eu's subjects":   {chat.StreamChannelOut, outbox("us", "channels-us", "kefu.chout.eu.>")},
		"eu's durable":                   {chat.StreamChannelOut, outbox("us", "channels-eu", "kefu.chout.eu.>")},
		"eu's durable with us's filter":  {chat.StreamChannelOut, outbox("us", "channels-eu", "kefu.chout.us.>")},
		"own durable on every region":    {chat.StreamChannelOut, outbox("us", "channels-us", "kefu.chout.>")},
		"own durable without filter":     {chat.StreamChannelOut, outbox("us", "channels-us", "")},
		"own durable, filters":           {chat.StreamChannelOut, jetstream.ConsumerConfig{Durable: "channels-us", FilterSubjects: []string{"kefu.chout.eu.>", "kefu.chout.us.>"}}},
		"ephemeral on eu's subjects":     {chat.StreamChannelOut, jetstream.ConsumerConfig{FilterSubject: "kefu.chout.eu.>"}},
		"ephemeral without filter":       {chat.StreamChannelOut, jetstream.ConsumerConfig{}},
		"eu's erasure consumer":          {chat.StreamErasure, jetstream.ConsumerConfig{Durable: "erasure-eu", FilterSubject: "kefu.erasure.>", AckPolicy: jetstream.AckExplicitPolicy}},
		"an erasure consumer of its own": {chat.StreamErasure, jetstream.ConsumerConfig{Durable: "thief", FilterSubject: "kefu.erasure.>"}},
	} {
		if _, err := usjs.CreateOrUpdateConsumer(short(), try.stream, try.cfg); err == nil {
			t.Errorf("us's edge created a consumer: %s", name)
		}
	}
	for _, req := range []struct{ subj, body string }{
		{"$JS.API.CONSUMER.MSG.NEXT.KEFU_CHANNEL_OUT.channels-eu", `{"batch":1}`},
		{"$JS.API.CONSUMER.MSG.NEXT.KEFU_ERASURE.erasure-eu", `{"batch":1}`},
		{"$JS.API.CONSUMER.DURABLE.CREATE.KEFU_CHANNEL_OUT.channels-us", `{"stream_name":"KEFU_CHANNEL_OUT","config":{"durable_name":"channels-us","filter_subject":"kefu.chout.eu.>"}}`},
		{"$JS.API.CONSUMER.DELETE.KEFU_CHANNEL_OUT.channels-eu", ""},
		{"$JS.API.STREAM.MSG.GET.KEFU_CHANNEL_OUT", `{"seq":1}`},
		{"$JS.API.DIRECT.GET.KEFU_CHANNEL_OUT", `{"seq":1}`},
		{"$JS.API.STREAM.CREATE.STEAL", `{"name":"STEAL","subjects":["kefu.outbound.eu.>"]}`},
	} {
		if m, err := us.Request(req.subj, []byte(req.body), 2*time.Second); err == nil {
			t.Errorf("us's edge: %s answered %s", req.subj, m.Data)
		}
		expectPermissionError(t, errs, "PUB "+req.subj)
	}
	if _, err := us.SubscribeSync("_INBOX.>"); err != nil {
		t.Fatal(err)
	}
	_ = us.Flush()
	expectPermissionError(t, errs, "SUB _INBOX.>")
	fetchOne(usjs, outbox("us", "channels-us", "kefu.chout.us.>"), chat.StreamChannelOut, "for us")

	// Nothing of eu's was taken: its next reply and erasure are there.
	fetchOne(eujs, outbox("eu", "channels-eu", "kefu.chout.eu.>"), chat.StreamChannelOut, "later for eu")
	fetchOne(eujs, jetstream.ConsumerConfig{Durable: "erasure-eu", FilterSubject: "kefu.erasure.>", AckPolicy: jetstream.AckExplicitPolicy},
		chat.StreamErasure, "erased later")
	st, _ := cjs.Stream(ctx, chat.StreamChannelOut)
	names := st.ConsumerNames(ctx)
	var got []string
	for n := range names.Name() {
		got = append(got, n)
	}
	if len(got) != 2 {
		t.Errorf("consumers of %s: %v, want channels-eu and channels-us", chat.StreamChannelOut, got)
	}
	if _, err := cjs.Stream(ctx, "STEAL"); err == nil {
		t.Error("us's edge created a stream of its own")
	}
}

// TestEdgeReadsOnlyItsRegionsChannelCursors: KEFU_CHANNEL_CURSORS maps
// pseudonyms to e-mail addresses and phone numbers; an edge reads and
// writes its own region's keys (the edge prefixes every key with its
// region) and no other region's, by key, by sequence, by watcher or by a
// consumer of the bucket's stream.
func TestEdgeReadsOnlyItsRegionsChannelCursors(t *testing.T) {
	ctx := t.Context()
	s, secret, cjs := startWithCentral(t)
	if _, err := cjs.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: chat.BucketChannelCursors}); err != nil {
		t.Fatal(err)
	}
	connect := func(region string) (*nats.Conn, jetstream.KeyValue, chan error) {
		nc, js, errs := connectEdge(t, s, secret, region)
		kv, err := js.KeyValue(ctx, chat.BucketChannelCursors)
		if err != nil {
			t.Fatalf("%s's edge opens the bucket: %v", region, err)
		}
		return nc, kv, errs
	}
	short := func() context.Context {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		t.Cleanup(cancel)
		return c
	}

	_, eu, _ := connect("eu")
	const euKey, mail = "eu.u.mail.p1", "shopper@example.com"
	if _, err := eu.Put(ctx, euKey, []byte(mail)); err != nil {
		t.Fatalf("eu's edge writes its key: %v", err)
	}
	if e, err := eu.Get(ctx, euKey); err != nil || string(e.Value()) != mail {
		t.Fatalf("eu's edge reads its key: %v", err)
	}

	us, uskv, errs := connect("us")
	if _, err := uskv.Put(ctx, "us.u.mail.p2", []byte("other@example.com")); err != nil {
		t.Fatalf("us's edge writes its key: %v", err)
	}
	if _, err := uskv.Get(short(), euKey); err == nil {
		t.Error("us's edge read eu's key")
	}
	expectPermissionError(t, errs, "get eu's key")
	if _, err := uskv.Put(short(), euKey, []byte("attacker@example.com")); err == nil {
		t.Error("us's edge wrote eu's key")
	}
	expectPermissionError(t, errs, "put eu's key")
	if _, err := uskv.Watch(short(), "eu.>"); err == nil {
		t.Error("us's edge watched eu's keys")
	}
	for _, req := range []struct{ subj, body string }{
		{"$JS.API.STREAM.MSG.GET.KV_" + chat.BucketChannelCursors, `{"seq":1}`},
		{"$JS.API.DIRECT.GET.KV_" + chat.BucketChannelCursors, `{"last_by_subj":"$KV.` + chat.BucketChannelCursors + `.` + euKey + `"}`},
		{"$JS.API.CONSUMER.CREATE.KV_" + chat.BucketChannelCursors, `{"stream_name":"KV_` + chat.BucketChannelCursors + `","config":{}}`},
	} {
		if m, err := us.Request(req.subj, []byte(req.body), 2*time.Second); err == nil {
			t.Errorf("us's edge: %s answered %s", req.subj, m.Data)
		}
	}
	if e, err := eu.Get(ctx, euKey); err != nil || string(e.Value()) != mail {
		t.Fatalf("eu's key after us's tries: %v", err)
	}
}

// startWithCentral starts a server with Auth and returns it, its secret
// and central's JetStream on it; both close with the test.
func startWithCentral(t *testing.T) (*Server, []byte, jetstream.JetStream) {
	t.Helper()
	secret := []byte("0123456789abcdef0123456789abcdef")
	s, err := Start(Options{StoreDir: t.TempDir(), Auth: &Auth{Secret: secret}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	cen, err := s.ConnectAs(CentralUser, "central")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cen.Close)
	cjs, _ := jetstream.New(cen)
	return s, secret, cjs
}

// connectEdge connects as region's edge; errs receives the connection's
// asynchronous errors (permission violations).
func connectEdge(t *testing.T, s *Server, secret []byte, region string) (*nats.Conn, jetstream.JetStream, chan error) {
	t.Helper()
	errs := make(chan error, 64)
	nc, err := nats.Connect(s.URL(), nats.UserInfo(EdgeUser(region), Password(secret, EdgeUser(region))),
		nats.CustomInboxPrefix(InboxPrefix(EdgeUser(region))),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	return nc, js, errs
}
