package natsembed

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// testCA is a certificate authority made in the test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // PEM of cert
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, file: filepath.Join(t.TempDir(), name+".pem")}
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

// issue writes a certificate for 127.0.0.1 (IP SAN) signed by ca, usable
// by a server and a client, and its key; it returns their files.
func (ca *testCA) issue(t *testing.T, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kb)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log destination shared by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

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
	ca, other := newTestCA(t, "kefu-test-ca"), newTestCA(t, "other-ca")
	cert, key := ca.issue(t, "central")
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
		o.LeafRemoteTLSCA = ca.file
		var logs syncBuffer
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
		o.LeafRemoteTLSCA, o.LeafRemoteToken = ca.file, "guess"
		if s, err := Start(o); !errors.Is(err, ErrLeafRefused) {
			if err == nil {
				s.Shutdown()
			}
			t.Fatalf("wrong token over TLS: %v, want %v", err, ErrLeafRefused)
		}
	})

	for _, tc := range []struct{ name, ca, wantLog string }{
		{name: "other CA", ca: other.file, wantLog: "certificate signed by unknown authority"},
		{name: "plain leaf", wantLog: "x509"}, // the hub requires TLS; the system's roots do not know the CA
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := startTLSHub(t, "")
			var logs syncBuffer
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
		var hubLogs syncBuffer
		hub := startTLSHub(t, ca.file, slog.New(slog.NewTextHandler(&hubLogs, nil)))
		o := leafOpts(hub)
		o.LeafRemoteTLSCA, o.LeafWait = ca.file, 500*time.Millisecond
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
		hub := startTLSHub(t, ca.file)
		o := leafOpts(hub)
		o.LeafRemoteTLSCA = ca.file
		o.LeafRemoteTLSCert, o.LeafRemoteTLSKey = ca.issue(t, "edge-t")
		leaf, err := Start(o)
		if err != nil {
			t.Fatal(err)
		}
		defer leaf.Shutdown()
		requestOverLink(t, hub, leaf)
	})
}

func TestLeafTLSConfigErrors(t *testing.T) {
	ca := newTestCA(t, "ca")
	cert, key := ca.issue(t, "central")
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	for name, o := range map[string]Options{
		"certificate without key":  {LeafListen: listen, LeafTLSCert: cert},
		"client CA alone":          {LeafListen: listen, LeafTLSCA: ca.file},
		"certificate, no listener": {LeafTLSCert: cert, LeafTLSKey: key},
		"missing file":             {LeafListen: listen, LeafTLSCert: cert + ".nope", LeafTLSKey: key},
		"key as certificate":       {LeafListen: listen, LeafTLSCert: key, LeafTLSKey: key},
		"remote CA missing":        {NoListen: true, LeafRemote: "nats://127.0.0.1:1", LeafRemoteRegion: "t", LeafRemoteTLSCA: ca.file + ".nope"},
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
