package edge_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/syncbuf"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// fakeAuth answers edge.SubjectAuthVerify like central for two agent tokens.
func fakeAuth(t *testing.T, nc *nats.Conn) *nats.Subscription {
	t.Helper()
	agents := map[string]map[string]string{
		"tok-ana": {"tenant": "demo-tenant", "agent": "a1", "email": "ana@demo.example"},
		"tok-bob": {"tenant": "other-tenant", "agent": "b1", "email": "bob@other.example"},
	}
	sub, err := nc.Subscribe(edge.SubjectAuthVerify, func(m *nats.Msg) {
		var req struct {
			V     int    `json:"v"`
			Token string `json:"token"`
		}
		reply := map[string]string{"error": "bad_request"}
		if json.Unmarshal(m.Data, &req) == nil && req.V == 1 {
			if a, ok := agents[req.Token]; ok {
				reply = a
			} else {
				reply = map[string]string{"error": "unauthorized"}
			}
		}
		b, _ := json.Marshal(reply)
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// pluginCacheDir is a compilation cache for the plugins of the tests that
// run them in a real host, kept across test runs (as edge/pluginhost's tests
// keep theirs): wazero compiles each plugin once, not under the race
// detector in every run.
func pluginCacheDir(t *testing.T) string {
	t.Helper()
	d, err := wasmbuild.CompileCache("wazero-test")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestReveal runs pii-redact (the real wasip1 build, "vault" granted) in a
// real plugin host behind the edge: the shopper's phone number reaches
// central masked, with a token, and an agent of the tenant reveals it at the
// edge, audited.
func TestReveal(t *testing.T) {
	path, err := wasmbuild.Cached(t.Context(), "../plugins/pii-redact")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	audit := &syncbuf.Buffer{}
	host, err := pluginhost.NewHost(t.Context(), pluginhost.Config{
		Regions: map[string]pluginhost.Region{"eu": {
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"pii-redact"}},
			Plugins:   map[string]pluginhost.Plugin{"pii-redact": {Grants: []string{pluginhost.CapVault}, Fail: pluginhost.FailClosed}},
		}},
		Defaults:   pluginhost.Limits{Timeout: pluginhost.Duration(10 * time.Second)},
		Builtin:    func(string) ([]byte, bool) { return wasm, true },
		Logger:     slog.New(slog.DiscardHandler),
		Registerer: metric.NewRegistry(),
		VaultAudit: audit,
		CacheDir:   pluginCacheDir(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close() })

	seen := make(chan chat.Envelope, 8)
	h := newHarness(t, harnessOpts{
		config: func(c *edge.Config) { c.Plugins = host },
		reply: func(e chat.Envelope) string {
			seen <- e
			return echoLikeCentral(e)
		},
	})
	auth := fakeAuth(t, h.nc)

	c := h.dial("demo")
	c.hello(chat.Frame{})
	c.send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "call me on 13812345678 or mail li@example.com", Lang: "en"})
	var env chat.Envelope
	select {
	case env = <-seen:
	case <-time.After(20 * time.Second):
		t.Fatal("no envelope reached central")
	}
	if env.Message.Text != "call me on [PHONE] or mail [EMAIL]" {
		t.Fatalf("central got text %q", env.Message.Text)
	}
	items := strings.Split(env.Label("pii_tokens"), ",")
	if len(items) != 2 || !strings.HasPrefix(items[0], "PHONE:pii_") || !strings.HasPrefix(items[1], "EMAIL:pii_") {
		t.Fatalf("pii_tokens = %q", env.Label("pii_tokens"))
	}
	phone := strings.TrimPrefix(items[0], "PHONE:")

	bearer := func(tok string) http.Header {
		hdr := http.Header{"Content-Type": {"application/json"}}
		if tok != "" {
			hdr.Set("Authorization", "Bearer "+tok)
		}
		return hdr
	}
	body := func(token, reason string) string {
		b, _ := json.Marshal(edge.RevealRequest{Token: token, Reason: reason})
		return string(b)
	}
	tests := []struct {
		name, auth, body string
		code             int
		want             string
	}{
		{"granted", "tok-ana", body(phone, "shopper asked for a call back"), 200, `"value":"13812345678"`},
		{"no bearer", "", body(phone, "call back"), 401, "unauthorized"},
		{"unknown bearer", "tok-eve", body(phone, "call back"), 401, "unauthorized"},
		{"no reason", "tok-ana", body(phone, "  "), 400, "reason is required"},
		{"no token", "tok-ana", body("", "call back"), 400, "token is required"},
		{"not json", "tok-ana", "{", 400, "bad_request"},
		{"long reason", "tok-ana", body(phone, strings.Repeat("r", 2000)), 400, "1 KiB"},
		{"unknown token", "tok-ana", body("pii_nope", "call back"), 404, "unknown token"},
		{"other tenant", "tok-bob", body(phone, "curious"), 404, "unknown token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, got := h.do("POST", "/v1/reveal", bearer(tc.auth), tc.body)
			if code != tc.code || !strings.Contains(got, tc.want) {
				t.Fatalf("%d %s, want %d with %q", code, got, tc.code, tc.want)
			}
			if code != 200 && strings.Contains(got, "13812345678") {
				t.Fatalf("refusal leaks the value: %s", got)
			}
		})
	}

	recs := host.VaultAudit("eu", "demo-tenant")
	if len(recs) != 2 || !recs[0].Granted || recs[0].Agent != "ana@demo.example" || recs[0].Reason != "shopper asked for a call back" ||
		recs[0].Type != "PHONE" || recs[0].Token != phone || recs[0].At.IsZero() || recs[1].Granted {
		t.Fatalf("audit %+v", recs)
	}
	if other := host.VaultAudit("eu", "other-tenant"); len(other) != 1 || other[0].Granted || other[0].Agent != "bob@other.example" {
		t.Fatalf("other tenant's attempt not audited: %+v", other)
	}
	log := audit.String()
	if strings.Count(log, "\n") != 3 || !strings.Contains(log, `"reason":"shopper asked for a call back"`) || strings.Contains(log, "13812345678") {
		t.Fatalf("audit log:\n%s", log)
	}

	// A completed erasure of the visitor deletes the values from the vault.
	publishEvent(t, h.nc, chat.Event{Type: chat.EventErasure, Tenant: "demo-tenant", ConversationID: env.Message.ConversationID,
		Visitor: env.Visitor, Reason: "completed"})
	ctx := waitCtx(t)
	for {
		code, got := h.do("POST", "/v1/reveal", bearer("tok-ana"), body(phone, "after erasure"))
		if code == 404 {
			break
		}
		if code != 200 || ctx.Err() != nil {
			t.Fatalf("after erasure: %d %s", code, got)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Central unreachable: the token cannot be checked, nothing is revealed.
	if err := auth.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if code, got := h.do("POST", "/v1/reveal", bearer("tok-ana"), body(phone, "again")); code != 503 || strings.Contains(got, "13812345678") {
		t.Fatalf("without central: %d %s", code, got)
	}
}

// TestRevealCORS: a console served by central on another origin may call
// POST /v1/reveal when its origin is configured; other origins get no CORS
// grant (their browsers hide the answer) and a refused preflight.
func TestRevealCORS(t *testing.T) {
	const console = "https://central.shop.example"
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.ConsoleOrigins = []string{console} }})
	fakeAuth(t, h.nc)
	pre := func(origin string) http.Header {
		return http.Header{"Origin": {origin}, "Access-Control-Request-Method": {"POST"},
			"Access-Control-Request-Headers": {"authorization,content-type"}}
	}
	code, _, hdr := h.doFull("OPTIONS", "/v1/reveal", pre(console), "")
	if code != 204 || hdr.Get("Access-Control-Allow-Origin") != console ||
		!strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight from the console: %d %v", code, hdr)
	}
	if code, _, hdr := h.doFull("OPTIONS", "/v1/reveal", pre("https://evil.example"), ""); code != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", code, hdr)
	}
	post := http.Header{"Origin": {console}, "Authorization": {"Bearer tok-ana"}, "Content-Type": {"application/json"}}
	code, body, hdr := h.doFull("POST", "/v1/reveal", post, `{"token":"pii_nope","reason":"check"}`)
	if code != 404 || hdr.Get("Access-Control-Allow-Origin") != console {
		t.Fatalf("reveal from the console: %d %s %v", code, body, hdr)
	}
	post.Set("Origin", "https://evil.example")
	if _, _, hdr := h.doFull("POST", "/v1/reveal", post, `{"token":"pii_nope","reason":"check"}`); hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("reveal from another origin got a CORS grant: %v", hdr)
	}
}
