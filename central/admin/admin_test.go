package admin_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/store"
)

func newService(t *testing.T) (*admin.Service, store.Store) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return admin.New(st, bcrypt.MinCost), st
}

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"https://Shop.Example", "https://shop.example", true},
		{"https://shop.example/", "https://shop.example", true},
		{"https://shop.example:8443", "https://shop.example:8443", true},
		{" http://localhost:3000 ", "http://localhost:3000", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://shop.example", "", false},
		{"https://shop.example/path", "", false},
		{"https://shop.example?q=1", "", false},
		{"https://user@shop.example", "", false},
		{"https://*.shop.example", "", false},
		{"shop.example", "", false},
		{"ftp://shop.example", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := admin.NormalizeOrigin(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("NormalizeOrigin(%q) error %v is not ErrInvalid", tt.in, err)
		}
	}
}

func TestTenantSiteAgentKeySettings(t *testing.T) {
	svc, st := newService(t)
	ctx := t.Context()
	nt, err := svc.CreateTenant(ctx, "cli", "acme", "Acme Inc")
	if err != nil || nt.Tenant != "acme" || len(nt.IdentitySecret) != 64 {
		t.Fatalf("create tenant = %+v, %v", nt, err)
	}
	if _, err := svc.CreateTenant(ctx, "cli", "acme", ""); !errors.Is(err, store.ErrExists) {
		t.Fatalf("again = %v", err)
	}
	for _, bad := range []string{"", "Acme", "-acme", "a b", strings.Repeat("a", 64), "a.b"} {
		if _, err := svc.CreateTenant(ctx, "cli", bad, ""); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("tenant id %q = %v, want ErrInvalid", bad, err)
		}
	}

	site, err := svc.AddSite(ctx, "cli", "acme", "acme-shop", "", []string{"https://Shop.Acme.example", "https://shop.acme.example/"})
	if err != nil || !slices.Equal(site.Origins, []string{"https://shop.acme.example"}) || site.Name != "acme-shop" {
		t.Fatalf("add site = %+v, %v", site, err)
	}
	if _, err := svc.AddSite(ctx, "cli", "ghost", "g", "", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("site of unknown tenant = %v", err)
	}
	site, err = svc.UpdateSite(ctx, "cli", "acme", "acme-shop", admin.SiteChange{AddOrigins: []string{"https://m.acme.example"},
		RemoveOrigins: []string{"https://shop.acme.example"}})
	if err != nil || !slices.Equal(site.Origins, []string{"https://m.acme.example"}) {
		t.Fatalf("update site = %+v, %v", site, err)
	}

	// Owner with a one-time password.
	owner, oneTime, err := svc.AddAgent(ctx, "cli", admin.NewAgent{Tenant: "acme", Email: "Boss@Acme.example", Name: "Boss", Role: store.RoleOwner})
	if err != nil || oneTime == "" || !owner.MustChangePassword || owner.Email != "boss@acme.example" {
		t.Fatalf("add owner = %+v, %q, %v", owner, oneTime, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(owner.PasswordHash), []byte(oneTime)) != nil {
		t.Fatal("the one-time password does not match the stored hash")
	}
	badAgents := []admin.NewAgent{
		{Tenant: "acme", Email: "nope", Name: "X", Role: store.RoleAgent},
		{Tenant: "acme", Email: "x@acme.example", Name: "", Role: store.RoleAgent},
		{Tenant: "acme", Email: "x@acme.example", Name: "X", Role: "boss"},
		{Tenant: "acme", Email: "x@acme.example", Name: "X", Role: store.RoleAgent, Password: "short"},
		{Tenant: "acme", Email: "x@acme.example", Name: "X", Role: store.RoleAgent, Lang: "english"},
	}
	for _, a := range badAgents {
		if _, _, err := svc.AddAgent(ctx, "cli", a); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("AddAgent(%+v) = %v, want ErrInvalid", a, err)
		}
	}
	agent, none, err := svc.AddAgent(ctx, "cli", admin.NewAgent{Tenant: "acme", Email: "a@acme.example", Name: "A", Role: store.RoleAgent, Password: "a good password"})
	if err != nil || none != "" || agent.MustChangePassword {
		t.Fatalf("add agent with password = %+v, %q, %v", agent, none, err)
	}

	// The last enabled owner stays.
	agentRole := store.RoleAgent
	if _, _, err := svc.UpdateAgent(ctx, "cli", "acme", owner.ID, admin.AgentChange{Role: &agentRole}); !errors.Is(err, admin.ErrLastOwner) {
		t.Fatalf("demote last owner = %v", err)
	}
	yes := true
	if _, _, err := svc.UpdateAgent(ctx, "cli", "acme", owner.ID, admin.AgentChange{Disabled: &yes}); !errors.Is(err, admin.ErrLastOwner) {
		t.Fatalf("disable last owner = %v", err)
	}

	// Password change clears the flag and ends sessions.
	if _, err := svc.ChangePassword(ctx, "acme", owner.ID, "wrong", "a new password"); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("wrong current = %v", err)
	}
	if _, err := svc.ChangePassword(ctx, "acme", owner.ID, oneTime, "short"); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("short new = %v", err)
	}
	got, err := svc.ChangePassword(ctx, "acme", owner.ID, oneTime, "a new password")
	if err != nil || got.MustChangePassword {
		t.Fatalf("change = %+v, %v", got, err)
	}

	// API keys: scopes checked, only the hash stored.
	key, k, err := svc.CreateAPIKey(ctx, "cli", "acme", "crm", []string{"conversations:read", "webhooks:write", "conversations:read"}, nil)
	if err != nil || !strings.HasPrefix(key, admin.APIKeyPrefix) || len(key) != len(admin.APIKeyPrefix)+48 {
		t.Fatalf("create key = %q, %+v, %v", key, k, err)
	}
	if !slices.Equal(k.Scopes, []string{"conversations:read", "webhooks:write"}) || k.Hash != admin.HashKey(key) || strings.Contains(k.Hash, key) {
		t.Fatalf("stored key = %+v", k)
	}
	byHash, err := st.APIKeyByHash(ctx, admin.HashKey(key))
	if err != nil || byHash.ID != k.ID {
		t.Fatalf("by hash = %+v, %v", byHash, err)
	}
	if _, _, err := svc.CreateAPIKey(ctx, "cli", "acme", "", []string{"teleport:now"}, nil); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("unknown scope = %v", err)
	}
	if _, _, err := svc.CreateAPIKey(ctx, "cli", "acme", "", nil, nil); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("no scope = %v", err)
	}
	if _, _, err := svc.CreateAPIKey(ctx, "apikey:x", "acme", "", []string{scope.AgentsWrite}, []string{scope.APIKeysWrite}); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("key granting more than it holds = %v", err)
	}

	// Settings: all or nothing; queue.sla reaches the tenant's SLA.
	changes := 0
	svc.OnChange = func(context.Context, string) { changes++ }
	eff, err := svc.SetSettings(ctx, "cli", "acme", map[string]string{admin.KeyGreeting: "Welcome!", admin.KeySLA: "10m"}, nil)
	if err != nil || eff[admin.KeyGreeting] != "Welcome!" || eff[admin.KeyLanguages] != "" || changes != 1 {
		t.Fatalf("set = %v, %v (changes %d)", eff, err, changes)
	}
	if tn, _ := st.Tenant(ctx, "acme"); tn.SLA.Minutes() != 10 {
		t.Fatalf("tenant SLA = %v", tn.SLA)
	}
	if _, err := svc.SetSettings(ctx, "cli", "acme", map[string]string{admin.KeyGreeting: "Changed", "nope.key": "1"}, nil); !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("unknown key = %v", err)
	}
	if eff, _ := svc.Settings(ctx, "acme"); eff[admin.KeyGreeting] != "Welcome!" {
		t.Fatalf("a refused change was partly applied: %v", eff)
	}
	eff, err = svc.SetSettings(ctx, "cli", "acme", nil, []string{admin.KeyGreeting})
	if err != nil || eff[admin.KeyGreeting] != "" {
		t.Fatalf("reset = %v, %v", eff, err)
	}

	// Every change is in the audit log, never a secret.
	log, err := st.Audit(ctx, "acme", time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
		for _, v := range e.Detail {
			if strings.Contains(v, key) || strings.Contains(v, nt.IdentitySecret) || strings.Contains(v, oneTime) && oneTime != "" {
				t.Fatalf("audit entry %+v holds a secret", e)
			}
		}
	}
	for _, want := range []string{"tenant.create", "site.add", "site.update", "agent.add", "agent.change_password", "apikey.create", "settings.set"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log %v lacks %s", actions, want)
		}
	}
}
