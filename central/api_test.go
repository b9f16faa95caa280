package central

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"
	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

type apiClient struct {
	t   *testing.T
	app *fiber.App
}

func newApp(t *testing.T, s *Service) *apiClient {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	s.Register(app)
	return &apiClient{t: t, app: app}
}

// do sends a request and decodes the JSON answer into out (when not nil).
func (a *apiClient) do(method, path, token string, body any, out any) int {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		rd = bytes.NewReader(mustJSON(a.t, b))
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := a.app.Test(req, 30000)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	checkAgainstSpec(a.t, method, path, res.StatusCode, res.Header.Get("Content-Type"), data)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			a.t.Fatalf("%s %s: %d %q: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode
}

func (a *apiClient) login(tenant, email, password string) string {
	a.t.Helper()
	var r LoginReply
	if code := a.do("POST", "/v1/login", "", LoginRequest{Tenant: tenant, Email: email, Password: password}, &r); code != 200 {
		a.t.Fatalf("login %s/%s: %d", tenant, email, code)
	}
	if len(r.Token) < 32 || r.Agent.Email != strings.ToLower(email) || r.Agent.Tenant != tenant {
		a.t.Fatalf("login reply %+v", r)
	}
	return r.Token
}

type apiErr struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// queued makes a queued conversation of tenant demo and returns its id.
func queued(t *testing.T, e *env, visitor string) string {
	t.Helper()
	e.publish(envelope("demo", visitor, "", chat.NewID(), "转人工", "zh"))
	return e.event(chat.EventHandoff).ConversationID
}

func addAgent(t *testing.T, s *Service, tenant, email, password string) {
	t.Helper()
	h, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if _, err := s.Store().PutAgent(bg, store.Agent{Tenant: tenant, Email: email, Name: email, PasswordHash: string(h)}); err != nil {
		t.Fatal(err)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	tok := a.login("demo", "Agent@Demo.kefu", demoPassword)
	var me AgentView
	if code := a.do("GET", "/v1/me", tok, nil, &me); code != 200 || me.Email != demoEmail {
		t.Fatalf("me %d %+v", code, me)
	}
	tests := []struct {
		name string
		body any
		code int
		want string
	}{
		{"malformed", `{"tenant":`, 400, "malformed JSON"},
		{"empty body", nil, 400, "empty body"},
		{"not an object", `[1,2]`, 400, "malformed JSON"},
		{"missing password", LoginRequest{Tenant: "demo", Email: demoEmail}, 400, "required"},
		{"wrong password", LoginRequest{Tenant: "demo", Email: demoEmail, Password: "nope"}, 401, "wrong"},
		{"unknown email", LoginRequest{Tenant: "demo", Email: "x@y.z", Password: demoPassword}, 401, "wrong"},
		{"other tenant", LoginRequest{Tenant: "shop-b", Email: demoEmail, Password: demoPassword}, 401, "wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r apiErr
			if code := a.do("POST", "/v1/login", "", tt.body, &r); code != tt.code || !strings.Contains(r.Error, tt.want) || r.Code == "" {
				t.Fatalf("got %d %+v want %d %q", code, r, tt.code, tt.want)
			}
		})
	}
	// Tokens: missing, wrong, logged out.
	var r apiErr
	if code := a.do("GET", "/v1/conversations", "", nil, &r); code != 401 || r.Code != CodeUnauthorized {
		t.Fatalf("no token: %d %+v", code, r)
	}
	if code := a.do("GET", "/v1/conversations", "deadbeef", nil, &r); code != 401 {
		t.Fatalf("bad token: %d", code)
	}
	if code := a.do("POST", "/v1/logout", tok, nil, nil); code != 204 {
		t.Fatalf("logout %d", code)
	}
	if code := a.do("GET", "/v1/me", tok, nil, nil); code != 401 {
		t.Fatalf("token after logout: %d", code)
	}
}

func TestTokenExpires(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.TokenTTL = time.Millisecond
	s := e.start(cfg)
	a := newApp(t, s)
	tok := a.login("demo", demoEmail, demoPassword)
	poll.Until(t, 5*time.Second, func() error {
		if code := a.do("GET", "/v1/me", tok, nil, nil); code != 401 {
			return &fiber.Error{Code: code, Message: "token still valid"}
		}
		return nil
	})
}

func TestHandoffFlowOverREST(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addAgent(t, s, "demo", "bob@demo.kefu", "bobpassword")
	ann := a.login("demo", demoEmail, demoPassword)
	bob := a.login("demo", "bob@demo.kefu", "bobpassword")

	calm := queued(t, e, "calm")
	en := envelope("demo", "angry", "", chat.NewID(), "this is a SCAM, WORST SHOP EVER!! human now", "en")
	en.SetLabel("vip", "1")
	e.publish(en)
	urgent := e.event(chat.EventHandoff).ConversationID

	var list []ConversationView
	if code := a.do("GET", "/v1/conversations?status=queued", ann, nil, &list); code != 200 || len(list) != 2 {
		t.Fatalf("queue %d %+v", code, list)
	}
	if list[0].ID != urgent || !list[0].VIP || list[0].Anger < 0.7 || list[0].Priority <= list[1].Priority || list[1].ID != calm {
		t.Fatalf("queue order %+v", list)
	}
	if list[0].LastText == "" || list[0].Channel != chat.ChannelWeb || list[0].Status != store.StatusQueued || list[0].Visitor != "angry" {
		t.Fatalf("view %+v", list[0])
	}
	var r apiErr
	if code := a.do("GET", "/v1/conversations?status=weird", ann, nil, &r); code != 400 || r.Code != CodeBadRequest {
		t.Fatalf("bad status %d %+v", code, r)
	}

	// Ann claims the urgent one; Bob cannot.
	var cv ConversationView
	if code := a.do("POST", "/v1/conversations/"+urgent+"/claim", ann, nil, &cv); code != 200 || cv.Status != store.StatusAssigned {
		t.Fatalf("claim %d %+v", code, cv)
	}
	if ev := e.event(chat.EventAssigned); ev.ConversationID != urgent {
		t.Fatalf("assigned event %+v", ev)
	}
	if code := a.do("POST", "/v1/conversations/"+urgent+"/claim", bob, nil, &r); code != 409 || r.Code != CodeTaken {
		t.Fatalf("bob claims %d %+v", code, r)
	}
	if code := a.do("POST", "/v1/conversations/"+urgent+"/messages", bob, map[string]string{"text": "hi"}, &r); code != 409 {
		t.Fatalf("bob replies %d %+v", code, r)
	}

	// Ann replies: stored, sent to the shopper's region, idempotent by id.
	for len(e.out) > 0 {
		<-e.out
	}
	var m chat.Message
	if code := a.do("POST", "/v1/conversations/"+urgent+"/messages", ann, ReplyRequest{ID: "reply-1", Text: " Sorry! Let me check. "}, &m); code != 201 {
		t.Fatalf("reply %d %+v", code, m)
	}
	if m.Role != chat.RoleAgent || m.Text != "Sorry! Let me check." || m.Author == "" || m.ConversationID != urgent {
		t.Fatalf("reply message %+v", m)
	}
	out := e.replyBy(chat.RoleAgent) // a late handoff note may come first
	if out.Message.ID != "reply-1" || out.Visitor != "angry" || out.Region != "eu" || out.Tenant != "demo" {
		t.Fatalf("outbound %+v", out)
	}
	if code := a.do("POST", "/v1/conversations/"+urgent+"/messages", ann, ReplyRequest{ID: "reply-1", Text: "Sorry! Let me check."}, &m); code != 200 || m.ID != "reply-1" {
		t.Fatalf("retry %d %+v", code, m)
	}
	for _, bad := range []any{`{"text":`, ReplyRequest{Text: "   "}, ReplyRequest{ID: "bad id", Text: "x"}, ReplyRequest{Text: strings.Repeat("x", chat.MaxTextBytes+1)}} {
		if code := a.do("POST", "/v1/conversations/"+urgent+"/messages", ann, bad, &r); code != 400 || r.Error == "" {
			t.Fatalf("bad reply %v: %d %+v", bad, code, r)
		}
	}
	var msgs []chat.Message
	if code := a.do("GET", "/v1/conversations/"+urgent+"/messages", ann, nil, &msgs); code != 200 || len(msgs) != 3 {
		t.Fatalf("messages %d %+v", code, msgs)
	}
	if msgs[0].Role != chat.RoleShopper || msgs[1].Role != chat.RoleSystem || msgs[2].ID != "reply-1" {
		t.Fatalf("history %+v", msgs)
	}
	if code := a.do("GET", "/v1/conversations/"+urgent+"/messages?after="+msgs[1].ID, ann, nil, &msgs); code != 200 || len(msgs) != 1 {
		t.Fatalf("after %d %+v", code, msgs)
	}

	// The shopper writes again: no bot answer, the agent has it.
	e.publish(envelope("demo", "angry", urgent, chat.NewID(), "ok thanks", "en"))
	e.consumerIdle()
	select {
	case o := <-e.out:
		t.Fatalf("bot answered an assigned conversation: %+v", o.Message)
	default:
	}

	// Bob takes the next in the queue: the calm one. Then the queue is empty.
	if code := a.do("POST", "/v1/queue/next", bob, nil, &cv); code != 200 || cv.ID != calm {
		t.Fatalf("next %d %+v", code, cv)
	}
	if code := a.do("POST", "/v1/queue/next", bob, nil, &r); code != 404 {
		t.Fatalf("next on empty %d", code)
	}
	// Bob may not close Ann's conversation; Ann may.
	if code := a.do("POST", "/v1/conversations/"+urgent+"/close", bob, nil, &r); code != 409 {
		t.Fatalf("bob closes %d", code)
	}
	if code := a.do("POST", "/v1/conversations/"+urgent+"/close", ann, nil, &cv); code != 200 || cv.Status != store.StatusClosed {
		t.Fatalf("close %d %+v", code, cv)
	}
	if ev := e.event(chat.EventClosed); ev.ConversationID != urgent {
		t.Fatalf("closed event %+v", ev)
	}
	if code := a.do("POST", "/v1/conversations/"+urgent+"/messages", ann, ReplyRequest{Text: "late"}, &r); code != 409 || r.Code != CodeClosed {
		t.Fatalf("reply to closed %d %+v", code, r)
	}
	if code := a.do("POST", "/v1/conversations/"+urgent+"/claim", ann, nil, &r); code != 409 || r.Code != CodeClosed {
		t.Fatalf("claim closed %d %+v", code, r)
	}
}

func TestNotFoundAndBadIDs(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	tok := a.login("demo", demoEmail, demoPassword)
	var r apiErr
	for _, p := range []string{"/v1/conversations/NOPE", "/v1/conversations/NOPE/messages"} {
		if code := a.do("GET", p, tok, nil, &r); code != 404 || r.Code != CodeNotFound {
			t.Fatalf("%s: %d %+v", p, code, r)
		}
	}
	for _, p := range []string{"/v1/conversations/NOPE/claim", "/v1/conversations/NOPE/close"} {
		if code := a.do("POST", p, tok, nil, &r); code != 404 {
			t.Fatalf("%s: %d %+v", p, code, r)
		}
	}
	if code := a.do("POST", "/v1/conversations/NOPE/messages", tok, ReplyRequest{Text: "x"}, &r); code != 404 {
		t.Fatalf("reply unknown: %d", code)
	}
	if code := a.do("GET", "/v1/conversations/"+strings.Repeat("x", 65), tok, nil, &r); code != 400 {
		t.Fatalf("long id: %d", code)
	}
	conv := queued(t, e, "v1")
	if code := a.do("GET", "/v1/conversations/"+conv+"/messages?after=unknown", tok, nil, &r); code != 404 {
		t.Fatalf("after unknown: %d", code)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	if err := s.Store().PutTenant(bg, store.Tenant{ID: "shop-b", Name: "B"}); err != nil {
		t.Fatal(err)
	}
	addAgent(t, s, "shop-b", "eve@b.example", "evepassword")
	eve := a.login("shop-b", "eve@b.example", "evepassword")
	conv := queued(t, e, "v1")
	var list []ConversationView
	for _, st := range []string{"", "queued", "assigned", "bot", "closed"} {
		if code := a.do("GET", "/v1/conversations?status="+st, eve, nil, &list); code != 200 || len(list) != 0 {
			t.Fatalf("eve lists %q: %d %+v", st, code, list)
		}
	}
	var r apiErr
	for _, req := range []struct{ method, path string }{
		{"GET", "/v1/conversations/" + conv},
		{"GET", "/v1/conversations/" + conv + "/messages"},
		{"POST", "/v1/conversations/" + conv + "/claim"},
		{"POST", "/v1/conversations/" + conv + "/close"},
	} {
		if code := a.do(req.method, req.path, eve, nil, &r); code != 404 {
			t.Fatalf("eve %s %s: %d %+v", req.method, req.path, code, r)
		}
	}
	if code := a.do("POST", "/v1/conversations/"+conv+"/messages", eve, ReplyRequest{Text: "hi"}, &r); code != 404 {
		t.Fatalf("eve replies: %d", code)
	}
	if code := a.do("POST", "/v1/queue/next", eve, nil, &r); code != 404 {
		t.Fatalf("eve takes next: %d", code)
	}
	c, _ := s.Store().Conversation(bg, "demo", conv)
	if c.Status != store.StatusQueued {
		t.Fatalf("demo's conversation changed: %+v", c)
	}
}

func TestConsolePage(t *testing.T) {
	e := newEnv(t)
	a := newApp(t, e.start(e.config()))
	for path, want := range map[string]string{
		"/console/":            "text/html",
		"/console/console.js":  "text/javascript",
		"/console/console.css": "text/css",
	} {
		req := httptest.NewRequest("GET", path, nil)
		res, err := a.app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), want) || len(body) < 500 {
			t.Fatalf("%s: %d %q %d bytes", path, res.StatusCode, res.Header.Get("Content-Type"), len(body))
		}
	}
	if code := a.do("GET", "/console/secret.go", "", nil, nil); code != 404 {
		t.Fatalf("unknown file %d", code)
	}
}

// listen serves the app on a loopback port and returns its address.
func listen(t *testing.T, app *fiber.App) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	return ln.Addr().String()
}

func TestConsoleWebSocket(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	if err := s.Store().PutTenant(bg, store.Tenant{ID: "shop-b"}); err != nil {
		t.Fatal(err)
	}
	addAgent(t, s, "shop-b", "eve@b.example", "evepassword")
	ann := a.login("demo", demoEmail, demoPassword)
	eve := a.login("shop-b", "eve@b.example", "evepassword")
	addr := listen(t, a.app)

	if _, res, err := fws.DefaultDialer.Dial("ws://"+addr+"/v1/console/ws?token=wrong", nil); err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token accepted: %v", err)
	}
	dial := func(tok string) *fws.Conn {
		c, _, err := fws.DefaultDialer.Dial("ws://"+addr+"/v1/console/ws?token="+tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	wsAnn, wsEve := dial(ann), dial(eve)
	// Wait until both sockets joined the hub.
	poll.Until(t, 5*time.Second, func() error {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		if len(s.hub.clients["demo"]) != 1 || len(s.hub.clients["shop-b"]) != 1 {
			return &fiber.Error{Message: "not joined"}
		}
		return nil
	})
	read := func(c *fws.Conn) chat.Event {
		t.Helper()
		for {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatal(err)
			}
			var ev chat.Event
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Type != chat.EventPresence { // consoles coming online (queue.go)
				return ev
			}
		}
	}
	// An edge's subscription (one token after the prefix) gets only what
	// an edge acts on: not the system message of the handoff (chat.EdgeEvent).
	edgeEvs := make(chan chat.Event, 16)
	sub, err := e.nc.Subscribe(chat.SubjectEventsPrefix+"*", func(m *nats.Msg) {
		var ev chat.Event
		if json.Unmarshal(m.Data, &ev) == nil && ev.Type != chat.EventPresence {
			edgeEvs <- ev
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	e.publish(envelope("demo", "v1", "", chat.NewID(), "转人工", "zh"))
	want := []struct {
		typ  chat.EventType
		role chat.Role
	}{{chat.EventOpened, ""}, {chat.EventMessage, chat.RoleShopper}, {chat.EventMessage, chat.RoleSystem}, {chat.EventHandoff, ""}}
	for _, w := range want {
		ev := read(wsAnn)
		var role chat.Role
		if ev.Message != nil {
			role = ev.Message.Role
		}
		if ev.Type != w.typ || ev.Tenant != "demo" || role != w.role {
			t.Fatalf("console got %s %s (%s) want %s %s", ev.Type, role, ev.Tenant, w.typ, w.role)
		}
		if w.role == chat.RoleSystem {
			continue
		}
		select {
		case got := <-edgeEvs:
			if got.Type != w.typ || got.Message != nil && got.Message.Role != w.role {
				t.Fatalf("edge subscription got %+v, want %s %s", got, w.typ, w.role)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("edge subscription: no %s", w.typ)
		}
	}
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-edgeEvs:
		t.Fatalf("edge subscription got an extra event %+v", got)
	default:
	}
	// Eve's first event is about her own tenant, not demo's.
	e.publish(envelope("shop-b", "w1", "", chat.NewID(), "hello", "en"))
	if ev := read(wsEve); ev.Tenant != "shop-b" {
		t.Fatalf("eve got %+v", ev)
	}
}

func TestConsoleRedirect(t *testing.T) {
	e := newEnv(t)
	a := newApp(t, e.start(e.config()))
	res, err := a.app.Test(httptest.NewRequest("GET", "/console", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 301 || res.Header.Get("Location") != "/console/" {
		t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestPIITokens: the vault tokens the edge's pii-redact labels a message
// with (pii_tokens) are stored with it and shown to the agents of its tenant
// (REST, console events) with the region that keeps the values; a client's
// own "pii" field is ignored; the shopper's history never carries them.
func TestPIITokens(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.EdgeURLs = map[string]string{"eu": "https://eu.edge.example/", "cn": "http://127.0.0.1:9001"}
	s := e.start(cfg)
	a := newApp(t, s)
	addAgent(t, s, "shop-b", "bob@b.example", "bob-password-1")
	tok := a.login("demo", demoEmail, demoPassword)
	other := a.login("shop-b", "bob@b.example", "bob-password-1")

	const phone, mail = "pii_aaaaaaaaaaaaaaaaaaaaaaaa", "pii_bbbbbbbbbbbbbbbbbbbbbbbb"
	forged := []chat.PIIToken{{Type: "PHONE", Token: "pii_forgedforgedforged", Region: "cn"}}
	en := envelope("demo", "pii-visitor", "", chat.NewID(), "call me on [PHONE] or write to [EMAIL]", "en")
	en.SetLabel(chat.LabelPIITokens, "PHONE:"+phone+",EMAIL:"+mail+",bad item")
	en.Message.PII = forged
	e.publish(en)
	var ev chat.Event
	for ev.Message == nil || ev.Message.ID != en.Message.ID {
		ev = e.event(chat.EventMessage)
	}
	want := []chat.PIIToken{{Type: "PHONE", Token: phone, Region: "eu"}, {Type: "EMAIL", Token: mail, Region: "eu"}}
	if !equalPII(ev.Message.PII, want) {
		t.Fatalf("console event pii %+v, want %+v", ev.Message.PII, want)
	}
	conv := ev.ConversationID
	// A second message whose client claims tokens but the edge labelled none.
	en2 := envelope("demo", "pii-visitor", conv, chat.NewID(), "my phone is [PHONE]", "en")
	en2.Message.PII = forged
	e.publish(en2)
	e.consumerIdle()

	var msgs []chat.Message
	if code := a.do("GET", "/v1/conversations/"+conv+"/messages", tok, nil, &msgs); code != 200 {
		t.Fatalf("messages: %d", code)
	}
	got := map[string][]chat.PIIToken{}
	for _, m := range msgs {
		got[m.ID] = m.PII
	}
	if !equalPII(got[en.Message.ID], want) || got[en2.Message.ID] != nil {
		t.Fatalf("REST pii: %+v", got)
	}
	var raw []map[string]any
	a.do("GET", "/v1/conversations/"+conv+"/messages", tok, nil, &raw)
	if b, _ := json.Marshal(raw[0]["pii"]); !strings.Contains(string(b), `{"region":"eu","token":"`+phone+`","type":"PHONE"}`) {
		t.Fatalf("message JSON pii = %s", b)
	}
	var cv ConversationView
	if code := a.do("GET", "/v1/conversations/"+conv, tok, nil, &cv); code != 200 || cv.Region != "eu" {
		t.Fatalf("conversation %d %+v", code, cv)
	}
	// Another tenant's agent sees nothing of it.
	var ae apiErr
	if code := a.do("GET", "/v1/conversations/"+conv+"/messages", other, nil, &ae); code != 404 {
		t.Fatalf("other tenant's agent: %d %+v", code, ae)
	}
	// The shopper's history (edge resume) carries no tokens.
	req, _ := json.Marshal(chat.HistoryRequest{Tenant: "demo", Visitor: "pii-visitor", ConversationID: conv})
	hm, err := e.nc.Request(chat.SubjectHistory, req, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(hm.Data), "pii_") || !strings.Contains(string(hm.Data), "[PHONE]") {
		t.Fatalf("history reply %s", hm.Data)
	}

	// Where the console sends reveals: the configured edges, also allowed by the page's CSP.
	var cc ConsoleConfig
	if code := a.do("GET", "/v1/console/config", tok, nil, &cc); code != 200 ||
		cc.Edges["eu"] != "https://eu.edge.example" || cc.Edges["cn"] != "http://127.0.0.1:9001" || len(cc.Edges) != 2 {
		t.Fatalf("console config %d %+v", code, cc)
	}
	if code := a.do("GET", "/v1/console/config", "", nil, nil); code != 401 {
		t.Fatalf("console config without token: %d", code)
	}
	res, err := a.app.Test(httptest.NewRequest("GET", "/console/", nil))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// WebSockets only to the console's own host (issue 8: never ws: to any host).
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' ws://example.com wss://example.com http://127.0.0.1:9001 https://eu.edge.example;") ||
		strings.Contains(csp, " ws: ") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
}

func equalPII(a, b []chat.PIIToken) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEdgeURLsConfig(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []map[string]string{
		{"eu": "eu.edge.example"},
		{"eu": "ftp://eu.edge.example"},
		{"eu": "https://eu.edge.example/some/path"},
		{"eu": "https://user:pw@eu.edge.example"},
		{"e u": "https://eu.edge.example"},
		{"": "https://eu.edge.example"},
	} {
		cfg := e.config()
		cfg.EdgeURLs = bad
		if s, err := New(bg, cfg); err == nil {
			s.Close()
			t.Errorf("EdgeURLs %v accepted", bad)
		}
	}
	s := e.start(e.config())
	var cc map[string]any
	a := newApp(t, s)
	if code := a.do("GET", "/v1/console/config", a.login("demo", demoEmail, demoPassword), nil, &cc); code != 200 || fmt.Sprint(cc["edges"]) != "map[]" {
		t.Fatalf("no edges configured: %d %v", code, cc)
	}
}

// TestConsoleFeedFollowsTheSockets: central subscribes to the events only
// while a console socket is open on it (consolefeed.go): none before the
// first, events flow to a console, none after the last has left, and a
// console that connects again gets events again.
func TestConsoleFeedFollowsTheSockets(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	ann := a.login("demo", demoEmail, demoPassword)
	addr := listen(t, a.app)
	if s.feedSubscribed() {
		t.Fatal("subscribed to the events with no console connected")
	}
	openedOnce := func(visitor string) {
		t.Helper()
		c, _, err := fws.DefaultDialer.Dial("ws://"+addr+"/v1/console/ws?token="+ann, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		poll.Until(t, 5*time.Second, func() error {
			if !s.feedSubscribed() {
				return errors.New("not subscribed yet")
			}
			return nil
		})
		e.publish(envelope("demo", visitor, "", chat.NewID(), "hello", "en"))
		for {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("console of %s: %v", visitor, err)
			}
			var ev chat.Event
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Type == chat.EventOpened {
				return
			}
		}
	}
	for _, v := range []string{"v-first", "v-again"} {
		openedOnce(v)
		poll.Until(t, 5*time.Second, func() error {
			if s.feedSubscribed() {
				return errors.New("still subscribed after the last console left")
			}
			return nil
		})
	}
}
