package edge_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/internal/minicentral"
	"github.com/kefu-io/kefu/internal/metric"
)

// harness is one edge on a loopback Fiber app, with its own nats-server and
// (unless noCentral) a minicentral responder.
type harness struct {
	t    *testing.T
	srv  *server.Server
	nc   *nats.Conn
	node *edge.Node
	resp *minicentral.Responder
	base string // http://127.0.0.1:port
	cfg  edge.Config
	reg  *metric.Registry // the node's metrics
}

type harnessOpts struct {
	noJetStream bool
	noCentral   bool
	reply       func(chat.Envelope) string // minicentral's reply; default echoLikeCentral
	config      func(*edge.Config)
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	ctx := t.Context()
	dir := ""
	if !o.noJetStream {
		dir = t.TempDir()
	}
	srv, err := minicentral.StartNATS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	h := &harness{t: t, srv: srv, nc: nc, reg: metric.NewRegistry()}
	if !o.noCentral && !o.noJetStream {
		reply := o.reply
		if reply == nil {
			reply = echoLikeCentral
		}
		if h.resp, err = minicentral.Start(ctx, nc, minicentral.Options{Reply: reply}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.resp.Stop)
	}
	cfg := edge.Config{
		Region: "eu",
		NATS:   nc,
		Sites: map[string]edge.Site{
			"demo":  {Tenant: "demo-tenant", FAQ: chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{{ID: "return_policy", Questions: map[string][]string{"en": {"What is your return policy?"}, "zh": {"退货政策是什么?"}}, Answers: map[string]string{"en": "30 days"}, Local: true}}}},
			"shop2": {Origins: []string{"https://shop2.example"}},
		},
		PluginTimeout:  5 * time.Second,
		Logger:         slog.New(slog.DiscardHandler),
		PublishTimeout: 2 * time.Second,
		Registerer:     h.reg,
	}
	if o.config != nil {
		o.config(&cfg)
	}
	h.cfg = cfg
	if h.node, err = edge.New(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	h.node.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		_ = h.node.Close()
		_ = app.ShutdownWithTimeout(5 * time.Second)
	})
	h.base = "http://" + ln.Addr().String()
	return h
}

// echoLikeCentral is minicentral's echo reply, except that, like central,
// it does not answer a message a plugin answered at the edge.
func echoLikeCentral(e chat.Envelope) string {
	if e.Label(edge.LabelEdgeAnswerID) != "" {
		return ""
	}
	return "echo: " + e.Message.Text
}

// client is a test WebSocket client.
type client struct {
	t    *testing.T
	conn *websocket.Conn
}

func (h *harness) dial(site string) *client {
	h.t.Helper()
	c, resp, err := h.dialRaw(site, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		h.t.Fatalf("dial site %q: %v (status %d)", site, err, status)
	}
	return c
}

func (h *harness) dialRaw(site string, hdr http.Header) (*client, *http.Response, error) {
	u := "ws" + h.base[len("http"):] + "/ws?site=" + url.QueryEscape(site)
	conn, resp, err := websocket.DefaultDialer.Dial(u, hdr)
	if err != nil {
		return nil, resp, err
	}
	h.t.Cleanup(func() { _ = conn.Close() })
	return &client{t: h.t, conn: conn}, resp, nil
}

func (c *client) send(f chat.Frame) {
	c.t.Helper()
	if err := c.conn.WriteJSON(f); err != nil {
		c.t.Fatalf("write %s: %v", f.Type, err)
	}
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		c.t.Fatalf("write raw: %v", err)
	}
}

// read returns the next frame; the deadline only keeps a broken test from
// hanging forever.
func (c *client) read() chat.Frame {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, b, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var f chat.Frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("edge sent non-JSON %q: %v", b, err)
	}
	return f
}

func (c *client) expect(typ chat.FrameType) chat.Frame {
	c.t.Helper()
	f := c.read()
	if f.Type != typ {
		c.t.Fatalf("got %s frame %+v, want %s", f.Type, f, typ)
	}
	return f
}

func (c *client) expectError(code string) chat.Frame {
	c.t.Helper()
	f := c.expect(chat.FrameError)
	if f.Code != code {
		c.t.Fatalf("got error %q (%s), want %q", f.Code, f.Reason, code)
	}
	if f.Reason == "" {
		c.t.Fatalf("error %q without a reason", f.Code)
	}
	return f
}

// hello sends hello and returns the welcome.
func (c *client) hello(f chat.Frame) chat.Frame {
	c.t.Helper()
	f.Type, f.V = chat.FrameHello, 1
	c.send(f)
	w := c.expect(chat.FrameWelcome)
	if !chat.ValidID(w.ConversationID) || !chat.ValidID(w.Visitor) {
		c.t.Fatalf("welcome without ids: %+v", w)
	}
	return w
}

// alive checks the connection still answers ping.
func (c *client) alive() {
	c.t.Helper()
	c.send(chat.Frame{Type: chat.FramePing, ID: "p1"})
	if f := c.expect(chat.FramePong); f.ID != "p1" {
		c.t.Fatalf("pong id %q", f.ID)
	}
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// do makes an HTTP request and returns the status and body.
func (h *harness) do(method, path string, hdr http.Header, body string) (int, string) {
	h.t.Helper()
	st, b, _ := h.doFull(method, path, hdr, body)
	return st, string(b)
}

func (h *harness) doFull(method, path string, hdr http.Header, body string) (int, []byte, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.base+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}
