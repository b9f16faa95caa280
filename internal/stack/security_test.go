package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// This file holds the end-to-end regression tests of issue 8 (security and
// data protection) that need the real stack: embedded NATS with JetStream,
// central on SQLite, the edge with the built-in plugins in wazero.

// startSecurityStack starts the default stack (built-in pipeline) for one test.
func startSecurityStack(t *testing.T) *Stack {
	t.Helper()
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dialShopper opens a shopper socket on the demo site and says hello.
func dialShopper(t *testing.T, s *Stack, hello chat.Frame) (*wsClient, chat.Frame) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http", "ws", 1)+"/ws?site=demo", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	ws := &wsClient{t: t, ctx: ctx, c: c}
	hello.V, hello.Type, hello.Site = 1, chat.FrameHello, "demo"
	ws.send(hello)
	return ws, ws.expect(chat.FrameWelcome)
}

// inboundRaw returns the raw bytes of every envelope KEFU_INBOUND holds.
func inboundRaw(t *testing.T, s *Stack) []byte {
	t.Helper()
	js, err := jetstream.New(s.ncCen)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), chat.StreamInbound)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(t.Context(), seq)
		if err != nil {
			continue // deleted (consumed under work-queue retention)
		}
		all = append(all, m.Data...)
		all = append(all, '\n')
	}
	return all
}

// TestPageContextIsMaskedBeforeItLeavesTheRegion: every value of a
// message's page context passes the region's inbound pipeline with the
// text, so neither KEFU_INBOUND nor central's store holds them in clear;
// keys that are not page facts are dropped, and the widget's hints (lang,
// intent) cannot smuggle a number (issue 8 item 1).
func TestPageContextIsMaskedBeforeItLeavesTheRegion(t *testing.T) {
	t.Parallel()
	s := startSecurityStack(t)
	sub, err := s.ncCen.SubscribeSync(chat.SubjectInboundPrefix + ">")
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := dialShopper(t, s, chat.Frame{Visitor: "v-context-leak"})
	id := chat.NewID()
	ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: "Is this jacket waterproof?",
		Lang: "4111111111111111", Intent: "x4111111111111111",
		Context: map[string]string{
			"url":          "https://shop.example/p?email=ctx.leak@example.com",
			"title":        "Jane card 4111111111111111",
			"custom.phone": "+44 7700 900888",
			"vip":          "1",
		}})
	ws.expectAccepted(id)
	clear := []string{"ctx.leak@example.com", "4111111111111111", "7700 900888"}

	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var env chat.Envelope
	if err := json.Unmarshal(m.Data, &env); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"url": "https://shop.example/p?email=[EMAIL]", "title": "Jane card [CARD]", "custom.phone": "[PHONE]"} {
		if env.Labels[k] != want {
			t.Errorf("published label %s = %q, want %q", k, env.Labels[k], want)
		}
	}
	// The shopper's hints are dropped; the intent may be the edge's own
	// model's (edge checkIntent), never the value the shopper sent.
	if env.Labels["vip"] != "" || env.Message.Lang != "" || strings.Contains(env.Message.Intent, "4111") {
		t.Errorf("published vip %q, lang %q, intent %q: want the shopper's values dropped", env.Labels["vip"], env.Message.Lang, env.Message.Intent)
	}
	raw := inboundRaw(t, s)
	for _, c := range clear {
		if strings.Contains(string(m.Data), c) || strings.Contains(string(raw), c) {
			t.Errorf("%q reached KEFU_INBOUND in clear", c)
		}
	}
	// And central's store (its SQLite files, read raw).
	checkFilesClean(t, "Is this jacket waterproof?", clear, s.DBPath, s.DBPath+"-wal")
}

// checkFilesClean waits until marker is in one of files, then fails if any
// of clear is in them.
func checkFilesClean(t *testing.T, marker string, clear []string, files ...string) {
	t.Helper()
	poll.Until(t, 15*time.Second, func() error {
		var all []byte
		for _, f := range files {
			b, _ := os.ReadFile(f)
			all = append(all, b...)
		}
		if !bytes.Contains(all, []byte(marker)) {
			return fmt.Errorf("%q not stored yet", marker)
		}
		for _, c := range clear {
			if bytes.Contains(all, []byte(c)) {
				t.Fatalf("%q is in %v in clear", c, files)
			}
		}
		return nil
	})
}

// TestRefusedOriginEndToEnd: the embedded default allows its own demo
// origin only; a page on another origin gets 403 without a CORS header on
// the widget routes and cannot open the chat socket (issue 8 item 14).
func TestRefusedOriginEndToEnd(t *testing.T) {
	t.Parallel()
	s := startSecurityStack(t)
	get := func(path, origin string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Origin", origin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("Access-Control-Allow-Origin")
	}
	if code, acao := get("/w/config?site=demo", "https://evil.example"); code != 403 || acao != "" {
		t.Fatalf("evil origin: %d, ACAO %q; want 403 and no CORS header", code, acao)
	}
	if code, acao := get("/w/config?site=demo", s.URL); code != 200 || acao != s.URL {
		t.Fatalf("demo origin: %d, ACAO %q", code, acao)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	wsURL := strings.Replace(s.URL, "http", "ws", 1) + "/ws?site=demo"
	_, res, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || res == nil || res.StatusCode != 403 {
		t.Fatalf("socket from a refused origin: %v (%v)", err, res)
	}
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {s.URL}}})
	if err != nil {
		t.Fatalf("socket from the demo origin: %v", err)
	}
	c.CloseNow()
}

// TestMetricsAreNotPublic: /metrics answers loopback clients only, or with
// KEFU_METRICS_TOKEN set only the bearer of that token (issue 8, smaller
// items).
func TestMetricsAreNotPublic(t *testing.T) {
	get := func(app interface {
		Test(*http.Request, ...int) (*http.Response, error)
	}, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://kefu.test/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	// app.Test's client is not on loopback (0.0.0.0): refused.
	if code := get(NewApp(), ""); code != http.StatusForbidden {
		t.Fatalf("remote /metrics without a token = %d, want 403", code)
	}
	t.Setenv(MetricsTokenEnv, "scrape-me")
	app := NewApp()
	if code := get(app, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token = %d, want 401", code)
	}
	if code := get(app, "scrape-me"); code != http.StatusOK {
		t.Fatalf("right token = %d, want 200", code)
	}
	// A Prometheus on the same host still scrapes without a token.
	t.Setenv(MetricsTokenEnv, "")
	s := startSecurityStack(t)
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("loopback /metrics = %d", res.StatusCode)
	}
}

// TestSecurityHeaders: every response says nosniff and a referrer policy;
// the console forbids framing and connects only to its own origin and the
// edges; the demo page carries the CSP a merchant needs to embed the widget
// (issue 8, smaller items).
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := startSecurityStack(t)
	head := func(path string) http.Header {
		t.Helper()
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.Header
	}
	for _, p := range []string{"/healthz", "/w/config?site=demo", "/v1/me", "/console/", "/demo/"} {
		h := head(p)
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: nosniff %q, referrer policy %q", p, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
	// The widget's scripts and style sheets carry what a browser uses for
	// them and no more (edge.serveWidget, issue 13): nosniff always, no
	// Referrer-Policy (a classic script's requests follow the page's), no
	// CORS header (loaded without crossorigin); the content-hashed ones no
	// ETag either. The files the widget fetches (the string tables) keep CORS.
	b, err := widget.Build(widget.FS(), widget.FS())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range b.Assets {
		ext := path.Ext(a.Name)
		if a.Name != "kefu.js" && !strings.HasSuffix(a.Name, ".en.js") && !strings.HasSuffix(a.Name, ".en.json") && !(ext == ".css" && a.Immutable) {
			continue
		}
		h := head("/" + a.Name)
		element := ext == ".js" || ext == ".css"
		want := map[string]bool{"X-Content-Type-Options": true, "Cache-Control": true, "Content-Type": true,
			"Referrer-Policy": !element, "Etag": !(element && a.Immutable), "Access-Control-Allow-Origin": !element}
		for k, w := range want {
			if got := h.Get(k) != ""; got != w {
				t.Errorf("%s: header %s present %v, want %v (%v)", a.Name, k, got, w, h)
			}
		}
	}
	csp := head("/console/").Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, " ws: ") || strings.HasSuffix(csp, " ws:") || strings.Contains(csp, "wss:;") {
		t.Errorf("console CSP %q: want frame-ancestors 'none' and no WebSocket to any host", csp)
	}
	demo := head("/demo/").Get("Content-Security-Policy")
	for _, want := range []string{"'wasm-unsafe-eval'", "frame-ancestors 'self'", "object-src 'none'"} {
		if !strings.Contains(demo, want) {
			t.Errorf("demo CSP %q lacks %s", demo, want)
		}
	}
}

// TestInboundStreamIsBounded: KEFU_INBOUND keeps messages at most
// chat.InboundMaxAge (issue 8 item 4, the retention part).
func TestInboundStreamIsBounded(t *testing.T) {
	t.Parallel()
	s := startSecurityStack(t)
	js, err := jetstream.New(s.ncCen)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), chat.StreamInbound)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.CachedInfo().Config.MaxAge; got != chat.InboundMaxAge || got == 0 {
		t.Fatalf("KEFU_INBOUND max_age %v, want %v", got, chat.InboundMaxAge)
	}
}
