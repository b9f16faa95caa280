package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/central/webhook"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestMerchantEndToEnd is issue 9's end-to-end test on the real stack
// (kefu dev in process): a second tenant, its site and its agent made the
// way `kefu admin` makes them (the admin service on the data folder's
// SQLite, while the stack runs) reach the running edge through central's
// site bucket; a shopper on a page of the new site writes; the tenant's
// agent sees it, its webhook receiver gets it signed; the demo tenant's
// agent and API key see nothing of it (404), nor acme's of demo's. Then a
// configuration change (a new origin, a greeting) reaches the edge: the
// test measures and logs the propagation time (goal: under 5 s).
func TestMerchantEndToEnd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: data, PluginCache: testPluginCache(), AgentPassword: "demo-password-1", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// kefu admin --data DIR …: its own store handle on the same file.
	st, err := store.OpenSQLite(t.Context(), s.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	adm := admin.New(st, 4)
	ctx := t.Context()
	nt, err := adm.CreateTenant(ctx, "cli", "acme", "Acme")
	must(t, err)
	const shopOrigin = "https://shop.acme.example"
	siteMade := time.Now()
	_, err = adm.AddSite(ctx, "cli", "acme", "acme-shop", "", []string{shopOrigin})
	must(t, err)
	_, _, err = adm.AddAgent(ctx, "cli", admin.NewAgent{Tenant: "acme", Email: "boss@acme.example", Name: "Boss", Role: store.RoleOwner, Password: "acme-password-1"})
	must(t, err)
	acmeKey, _, err := adm.CreateAPIKey(ctx, "cli", "acme", "crm", []string{"conversations:read", "webhooks:write"}, nil)
	must(t, err)
	demoKey, _, err := adm.CreateAPIKey(ctx, "cli", "demo", "crm", []string{"conversations:read"}, nil)
	must(t, err)

	// The new site reaches the running edge (no restart).
	poll.Until(t, 10*time.Second, func() error {
		code, _ := get(t, s.URL+"/w/config?site=acme-shop", shopOrigin)
		if code != 200 {
			return fmt.Errorf("/w/config of the new site: %d", code)
		}
		return nil
	})
	t.Logf("new site served by the edge %s after kefu admin site add", time.Since(siteMade).Round(time.Millisecond))
	// Another origin is refused before the upgrade.
	if code, body := get(t, s.URL+"/ws?site=acme-shop", "https://evil.example"); code != 403 || !strings.Contains(body, "origin_refused") {
		t.Fatalf("foreign origin: %d %s", code, body)
	}

	// acme's webhook receiver.
	rc := newHookReceiver(t, "acme-webhook-secret-1")
	var wh map[string]any
	if code := call(t, "POST", s.URL+"/v1/webhooks", acmeKey, map[string]any{"url": rc.srv.URL, "events": []string{"*"}, "secret": rc.secret}, &wh); code != 201 {
		t.Fatalf("webhook: %d %v", code, wh)
	}

	// A shopper on the site's page writes.
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	h := http.Header{}
	h.Set("Origin", shopOrigin)
	c, _, err := websocket.Dial(wctx, strings.Replace(s.URL, "http", "ws", 1)+"/ws?site=acme-shop", &websocket.DialOptions{HTTPHeader: h})
	must(t, err)
	defer c.CloseNow()
	ws := &wsClient{t: t, ctx: wctx, c: c}
	ws.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Visitor: "v-acme-1"})
	ws.expect(chat.FrameWelcome)
	id := chat.NewID()
	ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: "Do you ship the Storm Jacket to Norway?"})
	ws.expectAccepted(id)

	// acme's agent sees it.
	var login struct {
		Token string `json:"token"`
	}
	if code := call(t, "POST", s.URL+"/v1/login", "", map[string]string{"tenant": "acme", "email": "boss@acme.example", "password": "acme-password-1"}, &login); code != 200 {
		t.Fatalf("acme login: %d", code)
	}
	var convs []map[string]any
	poll.Until(t, 15*time.Second, func() error {
		convs = nil
		if code := call(t, "GET", s.URL+"/v1/conversations", login.Token, nil, &convs); code != 200 || len(convs) != 1 {
			return fmt.Errorf("acme's conversations: %d %v", code, convs)
		}
		return nil
	})
	conv := convs[0]["id"].(string)
	// … and its receiver got the message, signed.
	poll.Until(t, 15*time.Second, func() error {
		if rc.text(id) == "" {
			return fmt.Errorf("no message.created for %s yet", id)
		}
		return nil
	})
	rc.check(t)

	// Demo's agent and key see nothing of acme's; acme's see nothing of demo's.
	demoLogin := struct {
		Token string `json:"token"`
	}{}
	if code := call(t, "POST", s.URL+"/v1/login", "", map[string]string{"tenant": "demo", "email": s.AgentEmail, "password": s.AgentPassword}, &demoLogin); code != 200 {
		t.Fatalf("demo login: %d", code)
	}
	for _, tok := range []string{demoLogin.Token, demoKey} {
		for _, p := range []string{"/v1/conversations/" + conv, "/v1/conversations/" + conv + "/messages"} {
			if code := call(t, "GET", s.URL+p, tok, nil, nil); code != 404 {
				t.Fatalf("demo GET %s: %d, want 404", p, code)
			}
		}
		var list []map[string]any
		call(t, "GET", s.URL+"/v1/conversations", tok, nil, &list)
		for _, cv := range list {
			if cv["id"] == conv {
				t.Fatal("demo lists acme's conversation")
			}
		}
	}
	dc, _, err := websocket.Dial(wctx, strings.Replace(s.URL, "http", "ws", 1)+"/ws?site=demo", nil)
	must(t, err)
	defer dc.CloseNow()
	dws := &wsClient{t: t, ctx: wctx, c: dc}
	dws.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "demo", Visitor: "v-demo-1"})
	dws.expect(chat.FrameWelcome)
	did := chat.NewID()
	dws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: did, Text: "hello from the demo shop"})
	dws.expectAccepted(did)
	var demoConvs []map[string]any
	poll.Until(t, 15*time.Second, func() error {
		demoConvs = nil
		call(t, "GET", s.URL+"/v1/conversations", demoKey, nil, &demoConvs)
		if len(demoConvs) == 0 {
			return fmt.Errorf("demo has no conversation yet")
		}
		return nil
	})
	for _, tok := range []string{login.Token, acmeKey} {
		if code := call(t, "GET", s.URL+"/v1/conversations/"+demoConvs[0]["id"].(string), tok, nil, nil); code != 404 {
			t.Fatalf("acme reads demo's conversation: %d", code)
		}
	}
	if rc.count() > 0 {
		for _, p := range rc.all() {
			if p.Tenant != "acme" {
				t.Fatalf("acme's webhook got %s of tenant %s", p.Event, p.Tenant)
			}
		}
	}

	// Configuration change, as `kefu admin` makes it (straight to the
	// database): central's poll publishes it, the edge applies it.
	changed := time.Now()
	_, err = adm.UpdateSite(ctx, "cli", "acme", "acme-shop", admin.SiteChange{AddOrigins: []string{"https://m.acme.example"}})
	must(t, err)
	_, err = adm.SetSettings(ctx, "cli", "acme", map[string]string{admin.KeyGreeting: "Welcome to Acme!"}, nil)
	must(t, err)
	poll.Until(t, 5*time.Second, func() error {
		code, body := get(t, s.URL+"/w/config?site=acme-shop", "https://m.acme.example")
		if code != 200 || !strings.Contains(body, "Welcome to Acme!") {
			return fmt.Errorf("not yet: %d %.200s", code, body)
		}
		return nil
	})
	t.Logf("config propagation (origin + greeting, kefu admin → running edge): %s", time.Since(changed).Round(time.Millisecond))
	_ = nt
}

func get(t *testing.T, url, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func call(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && len(b) > 0 {
		_ = json.Unmarshal(b, out)
	}
	return res.StatusCode
}

// hookReceiver is a merchant's webhook endpoint (verifies signatures,
// deduplicates by delivery id).
type hookReceiver struct {
	srv    *httptest.Server
	secret string
	mu     sync.Mutex
	got    map[string]webhook.Payload
	bad    []string
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	r := &hookReceiver{secret: secret, got: map[string]webhook.Payload{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(r.secret, req.Header, b, 5*time.Minute, time.Now()); err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(401)
			return
		}
		var p webhook.Payload
		_ = json.Unmarshal(b, &p)
		r.got[req.Header.Get(webhook.HeaderDelivery)] = p
		w.WriteHeader(200)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) text(msgID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.got {
		var d webhook.Conversation
		if p.Event == webhook.MessageCreated && json.Unmarshal(p.Data, &d) == nil && d.Message != nil && d.Message.ID == msgID {
			return d.Message.Text
		}
	}
	return ""
}

func (r *hookReceiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

func (r *hookReceiver) all() []webhook.Payload {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []webhook.Payload
	for _, p := range r.got {
		out = append(out, p)
	}
	return out
}

func (r *hookReceiver) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("deliveries with bad signatures: %v", r.bad)
	}
}
