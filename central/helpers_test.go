package central

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central/internal/pgtest"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/natsembed"
	"github.com/kefu-io/kefu/internal/poll"
)

//go:embed testdata/pack.json
var packJSON []byte

func testPack(t testing.TB) chat.FAQPack {
	t.Helper()
	var p chat.FAQPack
	if err := json.Unmarshal(packJSON, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// env is one test world: a NATS server with JetStream, a client
// connection, and the data folder central uses.
type env struct {
	t   testing.TB
	srv *natsembed.Server
	nc  *nats.Conn
	js  jetstream.JetStream
	dir string
	out chan chat.Envelope // replies seen on kefu.outbound.>
	evs chan chat.Event    // events seen on kefu.events.>
}

func newEnv(t testing.TB) *env {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, nc: nc, js: js, dir: t.TempDir(), out: make(chan chat.Envelope, 256), evs: make(chan chat.Event, 256)}
	if _, err := nc.Subscribe(chat.SubjectOutboundPrefix+">", func(m *nats.Msg) {
		var o chat.Envelope
		if err := json.Unmarshal(m.Data, &o); err != nil {
			t.Errorf("outbound not JSON: %v", err)
			return
		}
		if m.Subject != chat.OutboundSubject(o.Region, o.Tenant) {
			t.Errorf("outbound on %q for region %q tenant %q", m.Subject, o.Region, o.Tenant)
		}
		e.out <- o
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Subscribe(chat.SubjectEventsPrefix+">", func(m *nats.Msg) {
		var ev chat.Event
		if err := json.Unmarshal(m.Data, &ev); err == nil {
			e.evs <- ev
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return e
}

const (
	demoEmail    = "agent@demo.kefu"
	demoPassword = "correct horse battery staple"
)

// config is central's configuration for the tests: SQLite in the test's
// data folder, or, with KEFU_TEST_CENTRAL_STORE=postgres, a fresh schema on
// the test PostgreSQL (pgtest), so that the service's tests can be run
// against either store.
func (e *env) config() Config {
	cfg := Config{
		NATS: e.nc, DataDir: e.dir, FAQ: testPack(e.t),
		DemoAgentEmail: demoEmail, DemoAgentPassword: demoPassword,
		BcryptCost: bcrypt.MinCost,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Webhook receivers and alert robots of the tests are on loopback.
		AllowPrivateURLs: true,
	}
	switch v := os.Getenv("KEFU_TEST_CENTRAL_STORE"); v {
	case "", "sqlite":
	case "postgres":
		cfg.PostgresDSN = pgtest.DSN(e.t)
	default:
		e.t.Fatalf("KEFU_TEST_CENTRAL_STORE=%q: want sqlite or postgres", v)
	}
	return cfg
}

func (e *env) start(cfg Config) *Service {
	e.t.Helper()
	s, err := New(context.Background(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	return s
}

func envelope(tenant, visitor, conv, id, text, lang string) chat.Envelope {
	return chat.Envelope{V: 1, Tenant: tenant, Region: "eu", Channel: chat.ChannelWeb, Visitor: visitor, Direction: chat.Inbound,
		Message: chat.Message{ID: id, ConversationID: conv, Role: chat.RoleShopper, Text: text, Lang: lang, At: time.Now()}}
}

// publish sends an envelope the way the edge does: JetStream with Nats-Msg-Id.
func (e *env) publish(en chat.Envelope) {
	e.t.Helper()
	data, err := json.Marshal(en)
	if err != nil {
		e.t.Fatal(err)
	}
	e.publishRaw(chat.InboundVisitorSubject(en.Tenant, en.Visitor), data, en.Message.ID) // as edges do
}

func (e *env) publishRaw(subject string, data []byte, msgID string) {
	e.t.Helper()
	m := nats.NewMsg(subject)
	m.Data = data
	if msgID != "" {
		m.Header.Set(nats.MsgIdHdr, msgID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.js.PublishMsg(ctx, m); err != nil {
		e.t.Fatalf("publish: %v", err)
	}
}

// reply waits for the next outbound envelope.
func (e *env) reply() chat.Envelope {
	e.t.Helper()
	select {
	case o := <-e.out:
		return o
	case <-time.After(10 * time.Second):
		e.t.Fatal("no outbound reply")
	}
	return chat.Envelope{}
}

// replyBy waits for the next outbound envelope whose message role is role,
// skipping others (handoff notes and bot replies of other conversations
// go out asynchronously, in any order).
func (e *env) replyBy(role chat.Role) chat.Envelope {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case o := <-e.out:
			if o.Message.Role == role {
				return o
			}
		case <-deadline:
			e.t.Fatalf("no outbound %s message", role)
		}
	}
}

// event waits for the next event of type typ, skipping others.
func (e *env) event(typ chat.EventType) chat.Event {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.evs:
			if ev.Type == typ {
				return ev
			}
		case <-deadline:
			e.t.Fatalf("no %s event", typ)
		}
	}
}

// handoffReason waits for the handoff event of conversation conv (events of
// other conversations are skipped) and returns its reason. The handoff note
// reaches the shopper before the store commits the handoff: read the
// reason here, not from the store right after the note.
func (e *env) handoffReason(conv string) string {
	e.t.Helper()
	for {
		if ev := e.event(chat.EventHandoff); ev.ConversationID == conv {
			return ev.Reason
		}
	}
}

// consumerIdle waits until central acked everything in the stream.
func (e *env) consumerIdle() {
	e.t.Helper()
	poll.Until(e.t, 15*time.Second, func() error {
		c, err := e.js.Consumer(context.Background(), chat.StreamInbound, ConsumerName)
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("pending %d, ack pending %d", info.NumPending, info.NumAckPending)
		}
		return nil
	})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
