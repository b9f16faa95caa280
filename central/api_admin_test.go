package central

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// adminWorld is central with the demo tenant (its demo agent is an owner)
// and a second tenant "acme" made through the admin service.
type adminWorld struct {
	e     *env
	s     *Service
	a     *apiClient
	owner string // demo owner's token
}

func newAdminWorld(t *testing.T) *adminWorld {
	t.Helper()
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	if _, err := s.Admin().CreateTenant(bg, "test", "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	return &adminWorld{e: e, s: s, a: a, owner: a.login("demo", demoEmail, demoPassword)}
}

// agent adds an agent to tenant with role and a password, and logs in.
func (w *adminWorld) agent(t *testing.T, tenant, email string, role store.Role) string {
	t.Helper()
	if _, _, err := w.s.Admin().AddAgent(bg, "test", admin.NewAgent{Tenant: tenant, Email: email, Name: email, Role: role, Password: "password-" + email}); err != nil {
		t.Fatal(err)
	}
	return w.a.login(tenant, email, "password-"+email)
}

func (w *adminWorld) key(t *testing.T, tenant string, scopes ...string) string {
	t.Helper()
	key, _, err := w.s.Admin().CreateAPIKey(bg, "test", tenant, "test key", scopes, nil)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestAPIKeyScopesAndTenant(t *testing.T) {
	w := newAdminWorld(t)
	conv := queued(t, w.e, "v-key")
	read := w.key(t, "demo", "conversations:read")
	write := w.key(t, "demo", "conversations:read", "conversations:write")
	other := w.key(t, "acme", "conversations:read", "conversations:write")

	var list []ConversationView
	if code := w.a.do("GET", "/v1/conversations", read, nil, &list); code != 200 || len(list) != 1 || list[0].ID != conv {
		t.Fatalf("read key lists: %d %+v", code, list)
	}
	var e apiErr
	if code := w.a.do("POST", "/v1/conversations/"+conv+"/claim", read, nil, &e); code != 403 || e.Code != CodeScopeMissing || !strings.Contains(e.Error, "conversations:write") {
		t.Fatalf("read key claims: %d %+v", code, e)
	}
	if code := w.a.do("GET", "/v1/admin/sites", write, nil, &e); code != 403 || e.Code != CodeScopeMissing {
		t.Fatalf("key without sites:read: %d %+v", code, e)
	}
	if code := w.a.do("POST", "/v1/logout", write, nil, &e); code != 403 || e.Code != CodeSessionRequired {
		t.Fatalf("key logs out: %d %+v", code, e)
	}
	// Replies through the API reach the shopper like an agent's.
	var m chat.Message
	if code := w.a.do("POST", "/v1/conversations/"+conv+"/messages", write, ReplyRequest{Text: "from the CRM"}, &m); code != 201 || m.Author != "test key" {
		t.Fatalf("key replies: %d %+v", code, m)
	}
	if r := w.e.replyBy(chat.RoleAgent); r.Message.Text != "from the CRM" {
		t.Fatalf("shopper got %+v", r.Message)
	}
	// Another tenant's key sees nothing of demo's.
	if code := w.a.do("GET", "/v1/conversations", other, nil, &list); code != 200 || len(list) != 0 {
		t.Fatalf("acme's key lists demo's: %d %+v", code, list)
	}
	for _, p := range []string{"/v1/conversations/" + conv, "/v1/conversations/" + conv + "/messages"} {
		if code := w.a.do("GET", p, other, nil, &e); code != 404 {
			t.Fatalf("acme's key GET %s: %d", p, code)
		}
	}
	// Revoked and unknown keys are 401.
	var keys []APIKeyView
	w.a.do("GET", "/v1/admin/apikeys", w.owner, nil, &keys)
	if len(keys) != 2 {
		t.Fatalf("demo's keys: %+v", keys)
	}
	i := slices.IndexFunc(keys, func(k APIKeyView) bool {
		return strings.HasPrefix(read, k.Prefix) && !strings.HasPrefix(write, k.Prefix)
	})
	if i < 0 {
		t.Fatalf("the read key is not listed: %+v", keys)
	}
	var revoked APIKeyView
	if code := w.a.do("DELETE", "/v1/admin/apikeys/"+keys[i].ID, w.owner, nil, &revoked); code != 200 || revoked.RevokedAt == nil {
		t.Fatalf("revoke: %d %+v", code, revoked)
	}
	if code := w.a.do("GET", "/v1/conversations", read, nil, &e); code != 401 {
		t.Fatalf("revoked key: %d", code)
	}
	if code := w.a.do("GET", "/v1/conversations", "kefu_"+strings.Repeat("0", 48), nil, &e); code != 401 {
		t.Fatalf("unknown key: %d", code)
	}
	// /v1/me tells a key what it may do.
	var me MeView
	if code := w.a.do("GET", "/v1/me", write, nil, &me); code != 200 || me.APIKey == "" || !slices.Equal(me.Scopes, []string{"conversations:read", "conversations:write"}) {
		t.Fatalf("key /me: %d %+v", code, me)
	}
}

func TestAdminRoles(t *testing.T) {
	w := newAdminWorld(t)
	adminTok := w.agent(t, "demo", "admin@demo.kefu", store.RoleAdmin)
	agentTok := w.agent(t, "demo", "plain@demo.kefu", store.RoleAgent)
	tests := []struct {
		method, path string
		body         any
		owner, admin bool // allowed?
	}{
		{"GET", "/v1/admin/settings", nil, true, true},
		{"PATCH", "/v1/admin/settings", SettingsChange{Set: map[string]string{admin.KeyGreeting: "Hi"}}, true, true},
		{"GET", "/v1/admin/sites", nil, true, true},
		{"GET", "/v1/admin/agents", nil, true, true},
		{"POST", "/v1/admin/agents", NewAgentRequest{Email: "n@demo.kefu", Name: "N", Role: store.RoleAgent}, true, false},
		{"GET", "/v1/admin/apikeys", nil, true, false},
		{"POST", "/v1/admin/apikeys", NewAPIKeyRequest{Scopes: []string{"conversations:read"}}, true, false},
		{"GET", "/v1/admin/audit", nil, true, false},
		{"GET", "/v1/admin/identity-secret", nil, true, false},
	}
	for _, tt := range tests {
		var e apiErr
		code := w.a.do(tt.method, tt.path, agentTok, tt.body, &e)
		if code != 403 || e.Code != CodeScopeMissing {
			t.Errorf("agent %s %s = %d %+v, want 403 scope_missing", tt.method, tt.path, code, e)
		}
		e = apiErr{}
		var raw json.RawMessage
		code = w.a.do(tt.method, tt.path, adminTok, tt.body, &raw)
		_ = json.Unmarshal(raw, &e)
		if tt.admin != (code < 300) || !tt.admin && e.Code != CodeScopeMissing {
			t.Errorf("admin %s %s = %d %+v, allowed=%v", tt.method, tt.path, code, e, tt.admin)
		}
		if code := w.a.do(tt.method, tt.path, w.owner, tt.body, nil); code >= 300 {
			t.Errorf("owner %s %s = %d", tt.method, tt.path, code)
		}
	}
	// Agents still handle conversations.
	if code := w.a.do("GET", "/v1/conversations", agentTok, nil, nil); code != 200 {
		t.Fatalf("agent lists conversations: %d", code)
	}
}

func TestAdminOverREST(t *testing.T) {
	w := newAdminWorld(t)
	a, owner := w.a, w.owner
	// Sites.
	var site SiteView
	if code := a.do("POST", "/v1/admin/sites", owner, NewSiteRequest{Site: "demo-eu", Origins: []string{"https://EU.shop.example/"}}, &site); code != 201 ||
		!slices.Equal(site.Origins, []string{"https://eu.shop.example"}) || site.Tenant != "demo" {
		t.Fatalf("add site: %d %+v", code, site)
	}
	var e apiErr
	badSites := []NewSiteRequest{
		{Site: "Bad Key", Origins: []string{"https://a.example"}},
		{Site: "s2", Origins: []string{"http://a.example"}},
		{Site: "demo-eu", Origins: []string{"https://a.example"}},
	}
	for _, b := range badSites {
		if code := a.do("POST", "/v1/admin/sites", owner, b, &e); code != 400 && code != 409 {
			t.Errorf("bad site %+v: %d %+v", b, code, e)
		}
	}
	if code := a.do("PATCH", "/v1/admin/sites/demo-eu", owner, SiteChangeRequest{AddOrigins: []string{"https://m.shop.example"}}, &site); code != 200 || len(site.Origins) != 2 {
		t.Fatalf("patch site: %d %+v", code, site)
	}
	// acme's sites are not demo's to change.
	if _, err := w.s.Admin().AddSite(bg, "test", "acme", "acme-shop", "", []string{"https://acme.example"}); err != nil {
		t.Fatal(err)
	}
	if code := a.do("PATCH", "/v1/admin/sites/acme-shop", owner, SiteChangeRequest{AddOrigins: []string{"https://evil.example"}}, &e); code != 404 {
		t.Fatalf("demo patches acme's site: %d %+v", code, e)
	}
	if code := a.do("DELETE", "/v1/admin/sites/acme-shop", owner, nil, &e); code != 404 {
		t.Fatalf("demo deletes acme's site: %d", code)
	}
	var sites []SiteView
	if a.do("GET", "/v1/admin/sites", owner, nil, &sites); len(sites) != 2 { // demo + demo-eu
		t.Fatalf("sites: %+v", sites)
	}

	// Settings: unknown keys and bad values refused, all or nothing.
	var sv SettingsView
	if code := a.do("PATCH", "/v1/admin/settings", owner, SettingsChange{Set: map[string]string{admin.KeyGreeting: "Hello", "no.such": "1"}}, &e); code != 400 || !strings.Contains(e.Error, "no.such") {
		t.Fatalf("unknown setting: %d %+v", code, e)
	}
	if code := a.do("PATCH", "/v1/admin/settings", owner, SettingsChange{Set: map[string]string{admin.KeySLA: "forever"}}, &e); code != 400 {
		t.Fatalf("bad value: %d %+v", code, e)
	}
	if code := a.do("PATCH", "/v1/admin/settings", owner, SettingsChange{Set: map[string]string{admin.KeyGreeting: "Hello"}}, &sv); code != 200 || sv.Settings[admin.KeyGreeting] != "Hello" {
		t.Fatalf("set: %d %+v", code, sv)
	}
	if code := a.do("PATCH", "/v1/admin/settings", owner, map[string]any{}, &e); code != 400 {
		t.Fatalf("empty change: %d", code)
	}

	// An agent with a one-time password must change it first.
	var ar AgentReply
	if code := a.do("POST", "/v1/admin/agents", owner, NewAgentRequest{Email: "new@demo.kefu", Name: "New", Role: store.RoleAgent}, &ar); code != 201 || len(ar.Password) < 10 || !ar.Agent.MustChangePassword {
		t.Fatalf("add agent: %d %+v", code, ar)
	}
	tok := a.login("demo", "new@demo.kefu", ar.Password)
	if code := a.do("GET", "/v1/conversations", tok, nil, &e); code != 403 || e.Code != CodePasswordChange {
		t.Fatalf("before the change: %d %+v", code, e)
	}
	if code := a.do("POST", "/v1/password", tok, PasswordRequest{Current: ar.Password, New: "short"}, &e); code != 400 {
		t.Fatalf("short password: %d", code)
	}
	var lr LoginReply
	if code := a.do("POST", "/v1/password", tok, PasswordRequest{Current: ar.Password, New: "my own long password"}, &lr); code != 200 || lr.Agent.MustChangePassword {
		t.Fatalf("change: %d %+v", code, lr)
	}
	if code := a.do("GET", "/v1/conversations", tok, nil, &e); code != 401 {
		t.Fatalf("old session after the change: %d", code)
	}
	if code := a.do("GET", "/v1/conversations", lr.Token, nil, nil); code != 200 {
		t.Fatalf("new session: %d", code)
	}
	// Disabling ends the sessions and refuses the login.
	no := true
	if code := a.do("PATCH", "/v1/admin/agents/"+ar.Agent.ID, owner, AgentChangeRequest{Disabled: &no}, &ar); code != 200 || !ar.Agent.Disabled {
		t.Fatalf("disable: %d %+v", code, ar)
	}
	if code := a.do("GET", "/v1/me", lr.Token, nil, &e); code != 401 {
		t.Fatalf("disabled agent's session: %d", code)
	}
	if code := a.do("POST", "/v1/login", "", LoginRequest{Tenant: "demo", Email: "new@demo.kefu", Password: "my own long password"}, &e); code != 401 || e.Code != CodeDisabled {
		t.Fatalf("disabled login: %d %+v", code, e)
	}
	// The last owner stays.
	var me MeView
	a.do("GET", "/v1/me", owner, nil, &me)
	agentRole := store.RoleAgent
	if code := a.do("PATCH", "/v1/admin/agents/"+me.ID, owner, AgentChangeRequest{Role: &agentRole}, &e); code != 409 {
		t.Fatalf("demote the last owner: %d %+v", code, e)
	}

	// API key made over REST works; the audit log names who did what.
	var nk NewAPIKeyReply
	if code := a.do("POST", "/v1/admin/apikeys", owner, NewAPIKeyRequest{Name: "crm", Scopes: []string{"conversations:read"}}, &nk); code != 201 || !strings.HasPrefix(nk.Key, "kefu_") {
		t.Fatalf("create key: %d %+v", code, nk)
	}
	if code := a.do("GET", "/v1/conversations", nk.Key, nil, nil); code != 200 {
		t.Fatalf("new key: %d", code)
	}
	var audit []AuditView
	if code := a.do("GET", "/v1/admin/audit", owner, nil, &audit); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	var actions []string
	for _, en := range audit {
		actions = append(actions, en.Action)
		if strings.Contains(en.Actor, "apikey") || en.Actor == "" {
			t.Errorf("entry %+v: the actor should be the owner", en)
		}
	}
	for _, want := range []string{"site.add", "site.update", "settings.set", "agent.add", "agent.change_password", "agent.update", "apikey.create"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit %v lacks %s", actions, want)
		}
	}
	if strings.Contains(mustString(t, audit), nk.Key) {
		t.Fatal("the audit log holds an API key")
	}
	// acme's audit log has none of it.
	acmeOwner := w.agent(t, "acme", "boss@acme.example", store.RoleOwner)
	var acmeAudit []AuditView
	a.do("GET", "/v1/admin/audit", acmeOwner, nil, &acmeAudit)
	for _, en := range acmeAudit {
		if en.Action != "tenant.create" && en.Action != "agent.add" && en.Action != "site.add" {
			t.Errorf("acme's audit shows %+v", en)
		}
	}
}

func mustString(t *testing.T, v any) string { return string(mustJSON(t, v)) }
