// Package natsembed runs nats-server inside the process, the transport
// between edge and central in `kefu dev` and in tests. It listens on
// loopback only (a random port unless one is given) and keeps JetStream
// state under a folder, so that a restart finds the streams it left.
package natsembed

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ErrNotReady is returned when the server did not accept connections in time.
var ErrNotReady = errors.New("natsembed: server not ready")

// Options configures an embedded server. The zero value is usable: random
// loopback port, JetStream off.
type Options struct {
	// Port to listen on; 0 picks a free one (the server's -1).
	Port int
	// StoreDir enables JetStream with file storage there. Empty disables JetStream.
	StoreDir string
	// Name of the server. Defaults to "kefu".
	Name string
}

// Server is a running embedded nats-server.
type Server struct {
	srv *server.Server
}

// Start starts a server and waits until it accepts connections.
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
		NoLog:      true,
		NoSigs:     true,
		HTTPPort:   0,
		MaxPayload: 1 << 20,
	}
	if o.StoreDir != "" {
		opts.JetStream = true
		opts.StoreDir = o.StoreDir
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsembed: new server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, ErrNotReady
	}
	return &Server{srv: srv}, nil
}

// URL is the client URL of the server (nats://127.0.0.1:PORT).
func (s *Server) URL() string { return s.srv.ClientURL() }

// Connect opens a client connection named name that reconnects forever.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	nc, err := nats.Connect(s.URL(), nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
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
