// Package natsembed runs nats-server inside the process, the transport
// between edge and central in `kefu dev`, in tests and in the leaf-node
// deployment. It listens on loopback only (a random port unless one is
// given) and keeps JetStream state under a folder, so that a restart finds
// the streams it left.
//
// Two more roles serve a region's edge that keeps accepting while central is
// away (kefu central --leaf-port, kefu edge --leaf; docs/CONTRACTS.md):
//
//   - a hub (central) also accepts leaf-node connections on LeafListen.
//     A leaf names its region in its user name (LeafUserOf(region)) and
//     presents the operator's shared LeafToken or, with Auth, its region's
//     own token (LeafToken(secret, region)); the link then has that
//     region's permissions (auth.go, leafPermissions): it cannot publish
//     a reply, an event or a staff notice, nor receive another region's
//     replies, the inbound subjects or central's JetStream API requests;
//   - a leaf (an edge) runs its own JetStream in its own Domain, connects
//     to the hub at LeafRemote, and needs no client port (NoListen: the
//     process talks to it in memory through Connect).
//
// The leaf link may use TLS (LeafTLSCert/LeafTLSKey on the hub,
// LeafRemoteTLSCA on the leaf; client certificates with LeafTLSCA and
// LeafRemoteTLSCert/LeafRemoteTLSKey); the tokens are checked as without
// it. A leaf whose TLS handshake fails logs why once and keeps retrying.
//
// Start waits for the first leaf connection for a moment: a refused
// credential is reported as ErrLeafRefused; an unreachable hub is not an
// error (the leaf keeps trying and the edge buffers meanwhile), see
// Server.LeafConnected.
package natsembed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
)

// LeafUser + "-" + region is the user name a leaf node presents
// (LeafUserOf); its token is the password.
const LeafUser = "kefu-leaf"

// Errors of Start.
var (
	// ErrNotReady is returned when the server did not accept connections in time.
	ErrNotReady = errors.New("natsembed: server not ready")
	// ErrLeafRefused is returned when the hub refused the leaf connection's
	// credential (wrong or missing token).
	ErrLeafRefused = errors.New("natsembed: leaf link refused by the hub: authorization violation (wrong or missing leaf token)")
	// ErrOpenLeaf is returned for a leaf listener on a non-loopback address
	// without a token: leaf links must not be open to anyone.
	ErrOpenLeaf = errors.New("natsembed: a leaf listener off loopback needs a token")
	// ErrLeafTLS is returned for a leaf TLS configuration that cannot be
	// used (a certificate without its key, an unreadable file, a
	// certificate without a leaf listener).
	ErrLeafTLS = errors.New("natsembed: leaf TLS")
)

// leafTLSTimeout bounds a leaf link's TLS handshake (nats-server's default
// is 2 s, short on a loaded machine or a slow WAN link).
const leafTLSTimeout = 5 * time.Second

// Options configures an embedded server. The zero value is usable: random
// loopback port, JetStream off.
type Options struct {
	// Port to listen on; 0 picks a free one (the server's -1).
	Port int
	// NoListen opens no client port; clients of this process use Connect,
	// which talks to the server in memory.
	NoListen bool
	// StoreDir enables JetStream with file storage there. Empty disables JetStream.
	StoreDir string
	// Domain is the JetStream domain of this server ("central", "edge-eu").
	// Servers joined by leaf links need distinct domains; other servers
	// reach this one's JetStream API at $JS.<Domain>.API. Default: none.
	Domain string
	// Name of the server. Defaults to "kefu".
	Name string

	// LeafListen is the host:port where the server accepts leaf-node
	// connections ("127.0.0.1:7422"). Empty: none.
	LeafListen string
	// LeafToken, when set, is a password every region's leaf may present
	// (user LeafUserOf(region)); whoever holds it may claim any region.
	// With Auth, each region's own LeafToken(secret, region) is accepted
	// too and LeafToken may be empty. Without Auth, a LeafListen off
	// loopback requires it; without Auth and without it, any leaf that
	// names a region is accepted (loopback only).
	LeafToken string
	// LeafTLSCert and LeafTLSKey are PEM files of the certificate (chain)
	// and private key the leaf listener presents; set, every leaf link to
	// LeafListen must use TLS, and a leaf verifies this certificate
	// (LeafRemoteTLSCA). Both or neither; they need LeafListen. The token
	// checks stay as they are. Default: none, the leaf port speaks plain
	// NATS (keep it on a private network).
	LeafTLSCert, LeafTLSKey string
	// LeafTLSCA is a PEM file of the CAs that sign the leaves' client
	// certificates: set, the leaf listener requires and verifies one from
	// every leaf (mutual TLS), on top of its token. Needs LeafTLSCert.
	// Default: none, no client certificate is asked for.
	LeafTLSCA string

	// LeafRemote is the URL of a hub's leaf port this server connects to as
	// a leaf node ("nats://central:7422"), or a comma-separated list of the
	// leaf ports of one NATS cluster's servers
	// ("nats://nats1:7422,nats://nats2:7422"): the link goes to one of them
	// and moves to another when that server goes away. Empty: none.
	LeafRemote string
	// LeafRemoteToken is the token presented to the hub.
	LeafRemoteToken string
	// LeafRemoteRegion is the region this leaf serves: it presents user
	// LeafUserOf(region), and the hub gives the link that region's
	// permissions. Required with LeafRemote.
	LeafRemoteRegion string
	// LeafRemoteTLSCA is a PEM file of the CAs that verify the hub's leaf
	// certificate (its LeafTLSCert); set, the link uses TLS and fails, with
	// an error in the log and retries, when the hub's certificate is not
	// signed by them or does not name the URL's host. Default: none, the
	// link is plain NATS unless the URL's scheme is tls or the hub requires
	// TLS (then the system's roots verify it).
	LeafRemoteTLSCA string
	// LeafRemoteTLSCert and LeafRemoteTLSKey are PEM files of the client
	// certificate and key the leaf presents to a hub that requires one
	// (LeafTLSCA); setting them also turns TLS on. Both or neither.
	// Default: none.
	LeafRemoteTLSCert, LeafRemoteTLSKey string
	// LeafDeny lists subjects that never cross the leaf link, either way.
	LeafDeny []string
	// LeafWait bounds how long Start waits for the first leaf connection.
	// Default: 3s.
	LeafWait time.Duration

	// Auth, when set, refuses clients without a role's credentials and
	// gives each role its permissions (auth.go). Leaf-node connections are
	// authenticated by LeafToken instead. Default: none, any client of the
	// port is accepted (tests; the port is on loopback).
	Auth *Auth

	// Logger receives the server's notices (debug level), warnings and
	// errors. Default: none, the server is silent.
	Logger *slog.Logger
}

// Server is a running embedded nats-server.
type Server struct {
	srv     *server.Server
	log     *serverLog
	leafs   bool
	leafURL string
	auth    *Auth
}

// Start starts a server and waits until it accepts connections and, with
// LeafRemote, until its leaf link is up, refused (ErrLeafRefused) or
// LeafWait has passed.
func Start(o Options) (*Server, error) {
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	name := o.Name
	if name == "" {
		name = "kefu"
	}
	opts := &server.Options{
		ServerName: name,
		Host:       "127.0.0.1",
		Port:       port,
		DontListen: o.NoListen,
		NoLog:      o.Logger == nil,
		NoSigs:     true,
		HTTPPort:   0,
		MaxPayload: 1 << 20,
	}
	if o.StoreDir != "" {
		opts.JetStream = true
		opts.StoreDir = o.StoreDir
		opts.JetStreamDomain = o.Domain
	} else if o.Domain != "" {
		return nil, fmt.Errorf("natsembed: domain %q needs a store dir (JetStream)", o.Domain)
	}
	if o.Domain != "" && (strings.ContainsAny(o.Domain, ".*> \t") || o.Domain != strings.TrimSpace(o.Domain)) {
		return nil, fmt.Errorf("natsembed: domain %q: want one subject token", o.Domain)
	}
	if o.LeafListen != "" {
		host, p, err := net.SplitHostPort(o.LeafListen)
		if err != nil {
			return nil, fmt.Errorf("natsembed: leaf listen %q: %w", o.LeafListen, err)
		}
		lport, err := strconv.Atoi(p)
		if err != nil || lport <= 0 || lport > 65535 {
			return nil, fmt.Errorf("natsembed: leaf listen %q: bad port", o.LeafListen)
		}
		if host == "" {
			host = "0.0.0.0"
		}
		if o.LeafToken == "" && o.Auth == nil && !isLoopback(host) {
			return nil, fmt.Errorf("%w (%s)", ErrOpenLeaf, o.LeafListen)
		}
		opts.LeafNode.Host, opts.LeafNode.Port = host, lport
		if o.LeafTLSCert != "" || o.LeafTLSKey != "" || o.LeafTLSCA != "" {
			if o.LeafTLSCert == "" || o.LeafTLSKey == "" {
				return nil, fmt.Errorf("%w: the leaf listener needs both a certificate and a key (a client CA alone is not enough)", ErrLeafTLS)
			}
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: o.LeafTLSCert, KeyFile: o.LeafTLSKey,
				CaFile: o.LeafTLSCA, Verify: o.LeafTLSCA != ""})
			if err != nil {
				return nil, fmt.Errorf("%w: leaf listener: %w", ErrLeafTLS, err)
			}
			opts.LeafNode.TLSConfig, opts.LeafNode.TLSTimeout = tc, leafTLSTimeout.Seconds()
		}
	} else if o.LeafTLSCert != "" || o.LeafTLSKey != "" || o.LeafTLSCA != "" {
		return nil, fmt.Errorf("%w: a leaf certificate needs a leaf listener", ErrLeafTLS)
	}
	if o.LeafRemote != "" {
		if o.LeafRemoteRegion == "" || chat.SubjectToken(o.LeafRemoteRegion) != o.LeafRemoteRegion {
			return nil, fmt.Errorf("natsembed: leaf remote needs its region (LeafRemoteRegion %q: [0-9A-Za-z_-]+)", o.LeafRemoteRegion)
		}
		var urls []*url.URL
		for _, raw := range strings.Split(o.LeafRemote, ",") {
			raw = strings.TrimSpace(raw)
			u, err := url.Parse(raw)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("natsembed: leaf remote %q: want nats://host:port", redact(raw))
			}
			if u.Scheme != "nats" && u.Scheme != "tls" {
				return nil, fmt.Errorf("natsembed: leaf remote %q: scheme must be nats or tls", redact(raw))
			}
			if o.LeafRemoteToken != "" {
				u.User = url.UserPassword(LeafUserOf(o.LeafRemoteRegion), o.LeafRemoteToken)
			} else {
				u.User = url.User(LeafUserOf(o.LeafRemoteRegion))
			}
			urls = append(urls, u)
		}
		remote := &server.RemoteLeafOpts{URLs: urls, DenyImports: o.LeafDeny, DenyExports: o.LeafDeny}
		if o.LeafRemoteTLSCA != "" || o.LeafRemoteTLSCert != "" || o.LeafRemoteTLSKey != "" {
			tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: o.LeafRemoteTLSCert, KeyFile: o.LeafRemoteTLSKey, CaFile: o.LeafRemoteTLSCA})
			if err != nil {
				return nil, fmt.Errorf("%w: leaf remote: %w", ErrLeafTLS, err)
			}
			tc.RootCAs = tc.ClientCAs // a client: the CA file verifies the server (nats-server's own config does the same)
			remote.TLS, remote.TLSConfig, remote.TLSTimeout = true, tc, leafTLSTimeout.Seconds()
		}
		opts.LeafNode.ReconnectInterval = time.Second
		opts.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
	}
	var a *authenticator
	if o.Auth != nil || o.LeafListen != "" {
		a = &authenticator{leafToken: o.LeafToken, hubDomain: o.Domain}
		if o.Auth != nil {
			if len(o.Auth.Secret) < 16 {
				return nil, ErrBadSecret
			}
			a.secret = o.Auth.Secret
		}
		opts.CustomClientAuthentication = a
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: new server: %w", err)
	}
	if a != nil {
		a.srv = srv
	}
	s := &Server{srv: srv, log: &serverLog{log: o.Logger}, leafs: o.LeafRemote != "", auth: o.Auth}
	if o.LeafListen != "" {
		s.leafURL = "nats://" + net.JoinHostPort(opts.LeafNode.Host, strconv.Itoa(opts.LeafNode.Port))
	}
	srv.SetLoggerV2(s.log, false, false, false)
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, ErrNotReady
	}
	if s.leafs {
		wait := o.LeafWait
		if wait <= 0 {
			wait = 3 * time.Second
		}
		deadline := time.Now().Add(wait)
		for !s.LeafConnected() && time.Now().Before(deadline) {
			if s.log.refused.Load() {
				s.Shutdown()
				return nil, fmt.Errorf("%w: %s", ErrLeafRefused, redact(o.LeafRemote))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redact drops the user info of a URL, or of each of a comma-separated
// list of URLs, for messages.
func redact(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			parts[i] = "(unparsable URL)"
			continue
		}
		parts[i] = u.Redacted()
	}
	return strings.Join(parts, ",")
}

// URL is the client URL of the server (nats://127.0.0.1:PORT); empty with
// NoListen.
func (s *Server) URL() string {
	if s.srv.Addr() == nil {
		return ""
	}
	return s.srv.ClientURL()
}

// LeafURL is the URL leaf nodes connect to (nats://HOST:PORT); empty
// without LeafListen.
func (s *Server) LeafURL() string { return s.leafURL }

// LeafConnected reports whether a leaf link is up (for a leaf: to its hub;
// for a hub: from at least one leaf).
func (s *Server) LeafConnected() bool { return s.srv.NumLeafNodes() > 0 }

// Connect opens a client connection named name that reconnects forever
// (in memory with NoListen); with Auth it connects as CentralUser.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	return s.ConnectAs(CentralUser, name)
}

// ConnectAs is Connect as the role user (CentralUser, EdgeUser(region))
// with the user's reply prefix (InboxPrefix); the user's password only
// matters with Auth.
func (s *Server) ConnectAs(user, name string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
	if s.auth != nil {
		opts = append(opts, nats.UserInfo(user, Password(s.auth.Secret, user)))
	}
	if p := InboxPrefix(user); p != "" {
		opts = append(opts, nats.CustomInboxPrefix(p))
	}
	url := s.URL()
	if url == "" {
		opts = append(opts, nats.InProcessServer(s.srv))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsembed: connect %s: %w", name, err)
	}
	return nc, nil
}

// Shutdown stops the server and waits for it to finish.
func (s *Server) Shutdown() {
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
}

// serverLog adapts the server's logger to slog and notices a refused leaf
// credential.
type serverLog struct {
	log     *slog.Logger
	refused atomic.Bool
	// tlsFailures counts the leaf link's failed TLS handshakes.
	tlsFailures atomic.Int64
}

// isLeafTLSFailure reports whether a server error is a leaf link's failed
// TLS handshake or certificate check.
func isLeafTLSFailure(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "leafnode") && (strings.Contains(m, "x509:") || strings.Contains(m, "tls: ") || strings.Contains(m, "tls handshake"))
}

func (l *serverLog) emit(level slog.Level, format string, v []any) {
	msg := fmt.Sprintf(format, v...)
	if level >= slog.LevelError && strings.Contains(msg, "Leafnode Error") && strings.Contains(msg, "Authorization Violation") {
		l.refused.Store(true)
	}
	if level >= slog.LevelError && isLeafTLSFailure(msg) {
		n := l.tlsFailures.Add(1)
		if n == 1 && l.log != nil {
			// nats-server's own line follows; this one says what to check.
			l.log.Error("natsembed: TLS on the leaf link failed: the hub's certificate is not trusted, does not name the host, or the hub wants a client certificate (check the leaf TLS CA and certificates); the leaf keeps retrying every second, messages stay in the region",
				"err", msg)
		}
		if n%60 != 1 { // a retry a second: one line a minute at error level, the others at debug
			level = slog.LevelDebug
		}
	}
	if l.log != nil {
		l.log.Log(context.Background(), level, "nats: "+msg)
	}
}

func (l *serverLog) Noticef(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }
func (l *serverLog) Warnf(format string, v ...any)   { l.emit(slog.LevelWarn, format, v) }
func (l *serverLog) Fatalf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }
func (l *serverLog) Errorf(format string, v ...any)  { l.emit(slog.LevelError, format, v) }
func (l *serverLog) Debugf(format string, v ...any)  {}
func (l *serverLog) Tracef(format string, v ...any)  {}
