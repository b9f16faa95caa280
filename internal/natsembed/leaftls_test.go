package natsembed

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
	"github.com/kefu-io/kefu/internal/syncbuf"
	"github.com/kefu-io/kefu/internal/testcert"
)

// requestOverLink asks the hub's history subject from the leaf until it
// answers (the hub's interest reaches the leaf asynchronously).
func requestOverLink(t *testing.T, hub, leaf *Server) {
	t.Helper()
	hc, err := hub.Connect("hub")
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Close()
	lc, err := leaf.ConnectAs(EdgeUser("t"), "leaf")
	if err != nil {
		t.Fatal(err)
	}
	defer lc.Close()
	if _, err := hc.Subscribe(chat.SubjectHistory, func(m *nats.Msg) { _ = m.Respond([]byte("pong")) }); err != nil {
		t.Fatal(err)
	}
	_ = hc.Flush()
	poll.Until(t, 10*time.Second, func() error {
		rep, err := lc.Request(chat.SubjectHistory, nil, 200*time.Millisecond)
		if err != nil {
			return err
		}
		if string(rep.Data) != "pong" {
			return errors.New("wrong answer " + string(rep.Data))
		}
		return nil
	})
}

// TestLeafLinkTLS runs a hub whose leaf port speaks TLS with a certificate
// for 127.0.0.1 made in the test. A leaf trusting its CA links (token
// checked as before) and a request crosses; a leaf trusting another CA,
// or none, does not link, logs why and keeps running; with a client CA,
// the hub takes only leaves that present a certificate it signed.
func TestLeafLinkTLS(t *testing.T) {
	ca, other := testcert.NewCA(t, "kefu-test-ca"), testcert.NewCA(t, "other-ca")
	cert, key := ca.Issue(t, "central")
	startTLSHub := func(t *testing.T, clientCA string, log ...*slog.Logger) *Server {
		o := Options{StoreDir: t.TempDir(), Domain: "central", LeafToken: "s3cret",
			LeafListen: "127.0.0.1:" + strconv.Itoa(freePort(t)), LeafTLSCert: cert, LeafTLSKey: key, LeafTLSCA: clientCA}
		if len(log) > 0 {
			o.Logger = log[0]
		}
		hub, err := Start(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(hub.Shutdown)
		return hub
	}
	leafOpts := func(hub *Server) Options {
		return Options{NoListen: true, StoreDir: t.TempDir(), Domain: "edge-t",
			LeafRemote: hub.LeafURL(), LeafRemoteToken: "s3cret", LeafRemoteRegion: "t", LeafWait: 10 * time.Second}
	}

	t.Run("trusted", func(t *testing.T) {
		hub := startTLSHub(t, "")
		o := leafOpts(hub)
		o.LeafRemoteTLSCA = ca.File
		var logs syncbuf.Buffer
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		leaf, err := Start(o)
		if err != nil {
			t.Fatal(err)
		}
		defer leaf.Shutdown()
		if !leaf.LeafConnected() {
			t.Fatal("TLS leaf link did not come up:\n" + logs.String())
		}
		requestOverLink(t, hub, leaf)
		o = leafOpts(hub) // the token still counts over TLS
		o.LeafRemoteTLSCA, o.LeafRemoteToken = ca.File, "guess"
		if s, err := Start(o); !errors.Is(err, ErrLeafRefused) {
			if err == nil {
				s.Shutdown()
			}
			t.Fatalf("wrong token over TLS: %v, want %v", err, ErrLeafRefused)
		}
	})

	for _, tc := range []struct{ name, ca, wantLog string }{
		{name: "other CA", ca: other.File, wantLog: "certificate signed by unknown authority"},
		{name: "plain leaf", wantLog: "x509"}, // the hub requires TLS; the system's roots do not know the CA
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := startTLSHub(t, "")
			var logs syncbuf.Buffer
			o := leafOpts(hub)
			o.LeafRemoteTLSCA, o.LeafWait = tc.ca, 500*time.Millisecond
			o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			leaf, err := Start(o)
			if err != nil { // not a refused token: the leaf keeps trying
				t.Fatalf("Start = %v, want a running leaf", err)
			}
			defer leaf.Shutdown()
			poll.Until(t, 10*time.Second, func() error {
				l := logs.String()
				if !strings.Contains(l, "TLS on the leaf link failed") || !strings.Contains(l, tc.wantLog) {
					return errors.New("no clear TLS error in the log:\n" + l)
				}
				return nil
			})
			if leaf.LeafConnected() || hub.LeafConnected() {
				t.Fatal("the leaf link came up")
			}
			if n := strings.Count(logs.String(), "TLS on the leaf link failed"); n != 1 {
				t.Errorf("the clear TLS error was logged %d times, want once", n)
			}
		})
	}

	// With TLS 1.3 the leaf only sees the hub close the link; the hub
	// says why.
	t.Run("no client certificate", func(t *testing.T) {
		var hubLogs syncbuf.Buffer
		hub := startTLSHub(t, ca.File, slog.New(slog.NewTextHandler(&hubLogs, nil)))
		o := leafOpts(hub)
		o.LeafRemoteTLSCA, o.LeafWait = ca.File, 500*time.Millisecond
		leaf, err := Start(o)
		if err != nil {
			t.Fatalf("Start = %v, want a running leaf", err)
		}
		defer leaf.Shutdown()
		poll.Until(t, 10*time.Second, func() error {
			if l := hubLogs.String(); !strings.Contains(l, "certificate") {
				return errors.New("the hub did not log the missing client certificate:\n" + l)
			}
			return nil
		})
		if leaf.LeafConnected() || hub.LeafConnected() {
			t.Fatal("a leaf without a client certificate linked to a hub that requires one")
		}
	})

	t.Run("client certificate", func(t *testing.T) {
		hub := startTLSHub(t, ca.File)
		o := leafOpts(hub)
		o.LeafRemoteTLSCA = ca.File
		o.LeafRemoteTLSCert, o.LeafRemoteTLSKey = ca.Issue(t, "edge-t")
		leaf, err := Start(o)
		if err != nil {
			t.Fatal(err)
		}
		defer leaf.Shutdown()
		requestOverLink(t, hub, leaf)
	})
}

func TestLeafTLSConfigErrors(t *testing.T) {
	ca := testcert.NewCA(t, "ca")
	cert, key := ca.Issue(t, "central")
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	for name, o := range map[string]Options{
		"certificate without key":  {LeafListen: listen, LeafTLSCert: cert},
		"client CA alone":          {LeafListen: listen, LeafTLSCA: ca.File},
		"certificate, no listener": {LeafTLSCert: cert, LeafTLSKey: key},
		"missing file":             {LeafListen: listen, LeafTLSCert: cert + ".nope", LeafTLSKey: key},
		"key as certificate":       {LeafListen: listen, LeafTLSCert: key, LeafTLSKey: key},
		"remote CA missing":        {NoListen: true, LeafRemote: "nats://127.0.0.1:1", LeafRemoteRegion: "t", LeafRemoteTLSCA: ca.File + ".nope"},
		"remote cert without key":  {NoListen: true, LeafRemote: "nats://127.0.0.1:1", LeafRemoteRegion: "t", LeafRemoteTLSCert: cert},
	} {
		s, err := Start(o)
		if err == nil {
			s.Shutdown()
		}
		if !errors.Is(err, ErrLeafTLS) {
			t.Errorf("%s: Start = %v, want %v", name, err, ErrLeafTLS)
		}
	}
}
