package channels

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// stubRelay is a stand-in SMTP relay: STARTTLS (when tls is set) and AUTH
// PLAIN (when user is set), recording what it was given.
type stubRelay struct {
	ln         net.Listener
	tls        *tls.Config
	user, pass string
	mu         sync.Mutex
	got        []string // "tls=<bool> auth=<user> data=<first line>"
}

func newStubRelay(t *testing.T, cfg *tls.Config, user, pass string) *stubRelay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &stubRelay{ln: ln, tls: cfg, user: user, pass: pass}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *stubRelay) serve(c net.Conn) {
	defer func() { c.Close() }()
	tp := textproto.NewConn(c)
	secure, authed := false, ""
	tp.PrintfLine("220 relay ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		cmd, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(cmd) {
		case "EHLO":
			ext := []string{"relay"}
			if r.tls != nil && !secure {
				ext = append(ext, "STARTTLS")
			}
			if r.user != "" {
				ext = append(ext, "AUTH PLAIN")
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(c, r.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure = tc, true
			tp = textproto.NewConn(tc)
		case "AUTH":
			b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(arg, "PLAIN "))
			if string(b) != "\x00"+r.user+"\x00"+r.pass {
				tp.PrintfLine("535 5.7.8 authentication failed")
				continue
			}
			authed = r.user
			tp.PrintfLine("235 ok")
		case "MAIL":
			if r.user != "" && authed == "" {
				tp.PrintfLine("530 authentication required")
				continue
			}
			tp.PrintfLine("250 ok")
		case "RCPT", "RSET", "NOOP":
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			first, _, _ := strings.Cut(string(b), "\n")
			r.mu.Lock()
			r.got = append(r.got, "tls="+map[bool]string{true: "yes", false: "no"}[secure]+" auth="+authed+" data="+strings.TrimSpace(first))
			r.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 no")
		}
	}
}

func (r *stubRelay) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// TestEmailRelay: replies go through the relay with STARTTLS when it is
// offered (required with RequireTLS) and AUTH PLAIN when configured; a
// wrong password, an untrusted certificate or a relay without STARTTLS
// under RequireTLS fail (the outbox retries) and deliver nothing.
func TestEmailRelay(t *testing.T) {
	srvTLS, roots := selfSigned(t)
	cfg := Config{ID: "mail1", Tenant: "t", Kind: KindEmail, Address: "support@shop.example"}
	out := Outbound{ID: "r1", User: "li@example.com", Text: "Your parcel left today."}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name          string
		relayTLS      bool
		relayUser     string
		e             Email
		wantErr       string
		wantDelivered string
	}{
		{"starttls and auth", true, "kefu", Email{Username: "kefu", Password: "relay-pw", TLS: &tls.Config{RootCAs: roots}}, "", "tls=yes auth=kefu"},
		{"starttls, no auth", true, "", Email{TLS: &tls.Config{RootCAs: roots}, RequireTLS: true}, "", "tls=yes auth="},
		{"plain relay, tls not required", false, "", Email{}, "", "tls=no auth="},
		{"wrong password", true, "kefu", Email{Username: "kefu", Password: "nope", TLS: &tls.Config{RootCAs: roots}}, "auth", ""},
		{"untrusted certificate", true, "", Email{}, "starttls", ""},
		{"tls required, relay without", false, "", Email{RequireTLS: true}, ErrRelayTLS.Error(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st *tls.Config
			if tc.relayTLS {
				st = srvTLS
			}
			r := newStubRelay(t, st, tc.relayUser, "relay-pw")
			e := tc.e
			e.Relay = r.ln.Addr().String()
			err := e.Send(ctx, cfg, out)
			got := r.messages()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrSend) && !errors.Is(err, ErrRelayTLS) {
					t.Fatalf("err %v, want one about %q", err, tc.wantErr)
				}
				if len(got) != 0 {
					t.Fatalf("delivered %q despite the error", got)
				}
				return
			}
			if err != nil || len(got) != 1 || !strings.HasPrefix(got[0], tc.wantDelivered+" data=") {
				t.Fatalf("err %v, relay got %q, want %q", err, got, tc.wantDelivered)
			}
		})
	}
}
