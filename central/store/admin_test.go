package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
)

// TestAdminContract runs the administration part of the contract against
// every implementation.
func TestAdminContract(t *testing.T) {
	cases := []struct {
		name string
		f    func(t *testing.T, s store.Store)
	}{
		{"tenants", testAdminTenants},
		{"sites", testAdminSites},
		{"agents and roles", testAdminAgents},
		{"api keys", testAdminAPIKeys},
		{"settings", testAdminSettings},
		{"audit", testAdminAudit},
	}
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.f(t, open(t)) })
			}
		})
	}
}

func testAdminTenants(t *testing.T, s store.Store) {
	if err := s.CreateTenant(ctx, store.Tenant{ID: "acme", Name: "Acme", IdentitySecret: "sec1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, store.Tenant{ID: "acme", Name: "Other"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create = %v, want ErrExists", err)
	}
	if err := s.CreateTenant(ctx, store.Tenant{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty id = %v, want ErrInvalid", err)
	}
	// PutTenant (the demo seed) keeps the secret.
	if err := s.PutTenant(ctx, store.Tenant{ID: "acme", Name: "Acme Inc"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tenant(ctx, "acme")
	if err != nil || got.Name != "Acme Inc" || got.IdentitySecret != "sec1" || got.CreatedAt.IsZero() {
		t.Fatalf("tenant = %+v, %v", got, err)
	}
	if err := s.SetIdentitySecret(ctx, "acme", "sec2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Tenant(ctx, "acme"); got.IdentitySecret != "sec2" {
		t.Fatalf("secret after rotation = %q", got.IdentitySecret)
	}
	if err := s.SetIdentitySecret(ctx, "nope", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rotate unknown = %v", err)
	}
	if err := s.CreateTenant(ctx, store.Tenant{ID: "beta"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.Tenants(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "acme" || list[1].ID != "beta" {
		t.Fatalf("tenants = %+v, %v", list, err)
	}
}

func testAdminSites(t *testing.T, s store.Store) {
	for _, id := range []string{"a", "b"} {
		if err := s.CreateTenant(ctx, store.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	site := store.Site{Key: "shop-a", Tenant: "a", Name: "Shop A", Origins: []string{"https://a.example", "https://www.a.example"}}
	if err := s.CreateSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	// Site keys are global: another tenant cannot take it.
	if err := s.CreateSite(ctx, store.Site{Key: "shop-a", Tenant: "b"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("taken key = %v, want ErrExists", err)
	}
	if err := s.CreateSite(ctx, store.Site{Key: "x", Tenant: "ghost"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown tenant = %v, want ErrNotFound", err)
	}
	got, err := s.Site(ctx, "shop-a")
	if err != nil || got.Tenant != "a" || !slices.Equal(got.Origins, site.Origins) {
		t.Fatalf("site = %+v, %v", got, err)
	}
	// b cannot change a's site.
	if err := s.UpdateSite(ctx, store.Site{Key: "shop-a", Tenant: "b"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update by other tenant = %v", err)
	}
	got.Origins = []string{"https://new.example"}
	if err := s.UpdateSite(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSite(ctx, store.Site{Key: "shop-b", Tenant: "b"}); err != nil {
		t.Fatal(err)
	}
	la, _ := s.Sites(ctx, "a")
	all, _ := s.Sites(ctx, "")
	if len(la) != 1 || !slices.Equal(la[0].Origins, []string{"https://new.example"}) || len(all) != 2 {
		t.Fatalf("sites of a = %+v, all = %+v", la, all)
	}
	if lb, _ := s.Sites(ctx, "b"); len(lb) != 1 || lb[0].Origins == nil {
		t.Fatalf("sites of b = %+v (empty origins must read as an empty list)", lb)
	}
	if err := s.DeleteSite(ctx, "b", "shop-a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete by other tenant = %v", err)
	}
	if err := s.DeleteSite(ctx, "a", "shop-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Site(ctx, "shop-a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted site = %v", err)
	}
}

func testAdminAgents(t *testing.T, s store.Store) {
	if err := s.CreateTenant(ctx, store.Tenant{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAgent(ctx, store.Agent{Tenant: "a", Email: " Boss@A.example ", Name: "Boss", Role: store.RoleOwner,
		Lang: "zh", PasswordHash: "h", MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Email != "boss@a.example" || a.ID == "" {
		t.Fatalf("agent = %+v", a)
	}
	if _, err := s.CreateAgent(ctx, store.Agent{Tenant: "a", Email: "boss@a.example"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same email = %v, want ErrExists", err)
	}
	if _, err := s.CreateAgent(ctx, store.Agent{Tenant: "a", Email: "x@a.example", Role: "king"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bad role = %v, want ErrInvalid", err)
	}
	if _, err := s.CreateAgent(ctx, store.Agent{Tenant: "ghost", Email: "x@a.example"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown tenant = %v, want ErrNotFound", err)
	}
	got, err := s.Agent(ctx, "a", a.ID)
	if err != nil || got.Role != store.RoleOwner || got.Lang != "zh" || !got.MustChangePassword || got.Disabled {
		t.Fatalf("agent = %+v, %v", got, err)
	}
	got.MustChangePassword, got.PasswordHash, got.Disabled = false, "h2", true
	got, err = s.UpdateAgent(ctx, got)
	if err != nil || got.MustChangePassword || got.PasswordHash != "h2" || !got.Disabled {
		t.Fatalf("updated = %+v, %v", got, err)
	}
	if _, err := s.UpdateAgent(ctx, store.Agent{Tenant: "b", ID: a.ID, Role: store.RoleAgent}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update in other tenant = %v", err)
	}
	// PutAgent (the demo seed) defaults the role.
	p, err := s.PutAgent(ctx, store.Agent{Tenant: "a", Email: "plain@a.example", PasswordHash: "h"})
	if err != nil || p.Role != store.RoleAgent {
		t.Fatalf("put agent = %+v, %v", p, err)
	}
	list, err := s.Agents(ctx, "a")
	if err != nil || len(list) != 2 || list[0].Email != "boss@a.example" {
		t.Fatalf("agents = %+v, %v", list, err)
	}
	exp := time.Now().Add(time.Hour)
	for _, tok := range []string{"t1", "t2"} {
		if err := s.PutSession(ctx, store.Session{TokenHash: tok, Tenant: "a", AgentID: a.ID, Expires: exp}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutSession(ctx, store.Session{TokenHash: "t3", Tenant: "a", AgentID: p.ID, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSessions(ctx, "a", a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "t1", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session after DeleteSessions = %v", err)
	}
	if _, err := s.Session(ctx, "t3", time.Now()); err != nil {
		t.Fatalf("another agent's session went too: %v", err)
	}
}

func testAdminAPIKeys(t *testing.T, s store.Store) {
	for _, id := range []string{"a", "b"} {
		if err := s.CreateTenant(ctx, store.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	k := store.APIKey{ID: "k1", Tenant: "a", Name: "crm", Prefix: "kefu_ab", Hash: "hash1",
		Scopes: []string{"conversations:read", "webhooks:write"}, CreatedBy: "cli", CreatedAt: time.UnixMilli(1000)}
	if err := s.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIKey(ctx, store.APIKey{ID: "k2", Tenant: "b", Hash: "hash1"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same hash = %v, want ErrExists", err)
	}
	if err := s.CreateAPIKey(ctx, store.APIKey{ID: "k3", Tenant: "a", Hash: "h3", Scopes: []string{"a,b"}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("comma in scope = %v, want ErrInvalid", err)
	}
	got, err := s.APIKeyByHash(ctx, "hash1")
	if err != nil || got.Tenant != "a" || !slices.Equal(got.Scopes, k.Scopes) {
		t.Fatalf("by hash = %+v, %v", got, err)
	}
	if _, err := s.RevokeAPIKey(ctx, "b", "k1", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke by other tenant = %v", err)
	}
	r, err := s.RevokeAPIKey(ctx, "a", "k1", time.UnixMilli(5000))
	if err != nil || r.RevokedAt.UnixMilli() != 5000 {
		t.Fatalf("revoke = %+v, %v", r, err)
	}
	if r, _ := s.RevokeAPIKey(ctx, "a", "k1", time.UnixMilli(9000)); r.RevokedAt.UnixMilli() != 5000 {
		t.Fatalf("second revoke moved the time: %v", r.RevokedAt)
	}
	if _, err := s.APIKeyByHash(ctx, "hash1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked key still valid: %v", err)
	}
	if list, _ := s.APIKeys(ctx, "a"); len(list) != 1 || list[0].ID != "k1" {
		t.Fatalf("keys of a = %+v", list)
	}
	if list, _ := s.APIKeys(ctx, "b"); len(list) != 0 {
		t.Fatalf("keys of b = %+v", list)
	}
}

func testAdminSettings(t *testing.T, s store.Store) {
	if err := s.CreateTenant(ctx, store.Tenant{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.SetTenantSettings(ctx, "a", map[string]string{"widget.greeting": "Hi", "x.y": "1"}, nil, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTenantSettings(ctx, "a", map[string]string{"widget.greeting": "你好"}, []string{"x.y"}, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.TenantSettings(ctx, "a")
	if err != nil || len(got) != 1 || got["widget.greeting"] != "你好" {
		t.Fatalf("settings = %v, %v", got, err)
	}
	if err := s.SetTenantSettings(ctx, "ghost", map[string]string{"a.b": "1"}, nil, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown tenant = %v", err)
	}
	if got, err := s.TenantSettings(ctx, "ghost"); err != nil || len(got) != 0 {
		t.Fatalf("settings of unknown = %v, %v", got, err)
	}
}

func testAdminAudit(t *testing.T, s store.Store) {
	base := time.UnixMilli(1_700_000_000_000)
	for i, action := range []string{"tenant.create", "site.add", "agent.add"} {
		if err := s.AppendAudit(ctx, store.AuditEntry{Tenant: "a", At: base.Add(time.Duration(i) * time.Second), Actor: "cli",
			Action: action, Target: "t", Detail: map[string]string{"i": string(rune('0' + i))}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendAudit(ctx, store.AuditEntry{Tenant: "b", Actor: "cli", Action: "tenant.create"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, store.AuditEntry{Tenant: "a"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no actor = %v", err)
	}
	list, err := s.Audit(ctx, "a", time.Time{}, 0)
	if err != nil || len(list) != 3 || list[0].Action != "agent.add" || list[2].Detail["i"] != "0" {
		t.Fatalf("audit = %+v, %v", list, err)
	}
	older, _ := s.Audit(ctx, "a", list[0].At, 1)
	if len(older) != 1 || older[0].Action != "site.add" {
		t.Fatalf("page = %+v", older)
	}
}
