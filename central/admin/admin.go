// Package admin is the one service behind every way a merchant administers
// Kefu: the `kefu admin` command, the /v1/admin REST routes and the
// console's admin pages all call it. It validates input, hashes what must
// not be stored in clear (passwords with bcrypt, API keys with SHA-256),
// makes secrets (identity secrets, one-time passwords, API keys) and
// records every change in the tenant's audit log.
//
// # Rules
//
//   - Tenant ids and site keys are 1–63 characters of [a-z0-9_-] starting
//     with a letter or digit: they appear in NATS subjects and URLs. Site
//     keys are unique across tenants.
//   - An origin is scheme://host[:port] with scheme https, or http for
//     localhost; it is stored lower-case without a trailing slash.
//   - Passwords have at least MinPassword characters and at most 72 bytes
//     (bcrypt's limit). An agent added without a password gets a one-time
//     password that must be changed at the first login.
//   - API keys look like "kefu_" + 48 hex characters; only their SHA-256 is
//     stored, so a key is shown once. Scopes come from package scope.
//   - Tenant settings must be registered in package settings.
//
// Errors wrap ErrInvalid (bad input; the message says what is expected) or
// the store's sentinels (store.ErrExists, store.ErrNotFound). A Service is
// safe for concurrent use.
package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
)

// ErrInvalid is bad input; the wrapped message says what is expected.
var ErrInvalid = errors.New("admin: invalid input")

// MinPassword is the least number of characters of an agent password.
const MinPassword = 10

// APIKeyPrefix starts every API key, so a bearer token can be told apart
// from a session token (64 hex characters).
const APIKeyPrefix = "kefu_"

// Core tenant settings (more are registered by the packages that read them).
const (
	KeyGreeting  = "widget.greeting"
	KeyLanguages = "widget.languages"
	KeySLA       = "queue.sla"
)

func init() {
	settings.Register(settings.Key{Name: KeyGreeting, Doc: "first message the widget shows a shopper (empty: the built-in greeting)",
		Default: "", Validate: settings.MaxLen(500), Public: true})
	settings.Register(settings.Key{Name: KeyLanguages, Doc: "comma-separated languages the widget offers (empty: every language of the FAQ pack)",
		Default: "", Validate: settings.List(settings.LangTag), Public: true})
	settings.Register(settings.Key{Name: KeySLA, Doc: "how long a queued conversation may wait for an agent before its priority climbs",
		Default: "5m", Validate: settings.Duration(time.Minute, 24*time.Hour)})
}

// Service administers tenants through a store.
type Service struct {
	st         store.Store
	bcryptCost int
	// OnChange, when set, is called after a change that edges must see
	// (sites, public settings) with the tenant it concerns. Central sets it
	// to republish the tenant's site configuration.
	OnChange func(ctx context.Context, tenant string)
}

// New returns a Service over st. bcryptCost 0 means bcrypt.DefaultCost.
func New(st store.Store, bcryptCost int) *Service {
	if bcryptCost == 0 {
		bcryptCost = bcrypt.DefaultCost
	}
	return &Service{st: st, bcryptCost: bcryptCost}
}

// Actor says who acts, for the audit log: "cli", "agent:<id> <email>",
// "apikey:<id>".
type Actor string

// AgentActor names an agent in the audit log.
func AgentActor(a store.Agent) Actor { return Actor("agent:" + a.ID + " " + a.Email) }

// KeyActor names an API key in the audit log.
func KeyActor(k store.APIKey) Actor { return Actor("apikey:" + k.ID + " " + k.Name) }

func (s *Service) audit(ctx context.Context, actor Actor, tenant, action, target string, detail map[string]string) error {
	if err := s.st.AppendAudit(ctx, store.AuditEntry{Tenant: tenant, Actor: string(actor), Action: action, Target: target, Detail: detail}); err != nil {
		return fmt.Errorf("admin: %s: audit: %w", action, err)
	}
	return nil
}

func (s *Service) changed(ctx context.Context, tenant string) {
	if s.OnChange != nil {
		s.OnChange(ctx, tenant)
	}
}

var ident = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// CheckIdent validates a tenant id or site key.
func CheckIdent(what, v string) error {
	if !ident.MatchString(v) {
		return fmt.Errorf("%w: %s %q: want 1-63 characters of a-z, 0-9, _ and -, starting with a letter or digit", ErrInvalid, what, v)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return hex.EncodeToString(b)
}

// ---- tenants ----

// NewTenant is what CreateTenant returns: the identity secret is shown here
// and by Tenant for owners.
type NewTenant struct {
	Tenant         string `json:"tenant"`
	Name           string `json:"name"`
	IdentitySecret string `json:"identity_secret"`
}

// CreateTenant creates a tenant with a fresh identity secret. name defaults to id.
func (s *Service) CreateTenant(ctx context.Context, actor Actor, id, name string) (NewTenant, error) {
	if err := CheckIdent("tenant", id); err != nil {
		return NewTenant{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = id
	}
	if err := settings.MaxLen(200)(name); err != nil {
		return NewTenant{}, fmt.Errorf("%w: name: %v", ErrInvalid, err)
	}
	t := store.Tenant{ID: id, Name: name, IdentitySecret: randomHex(32)}
	if err := s.st.CreateTenant(ctx, t); err != nil {
		if errors.Is(err, store.ErrExists) {
			return NewTenant{}, fmt.Errorf("admin: tenant %q already exists: %w", id, store.ErrExists)
		}
		return NewTenant{}, fmt.Errorf("admin: create tenant: %w", err)
	}
	if err := s.audit(ctx, actor, id, "tenant.create", id, map[string]string{"name": name}); err != nil {
		return NewTenant{}, err
	}
	return NewTenant{Tenant: id, Name: name, IdentitySecret: t.IdentitySecret}, nil
}

// RotateIdentitySecret gives the tenant a new identity secret and returns
// it; hashes made with the old one stop verifying.
func (s *Service) RotateIdentitySecret(ctx context.Context, actor Actor, tenant string) (string, error) {
	secret := randomHex(32)
	if err := s.st.SetIdentitySecret(ctx, tenant, secret); err != nil {
		return "", fmt.Errorf("admin: rotate identity secret: %w", err)
	}
	if err := s.audit(ctx, actor, tenant, "tenant.rotate_identity_secret", tenant, nil); err != nil {
		return "", err
	}
	s.changed(ctx, tenant)
	return secret, nil
}

// tenant checks that a tenant exists.
func (s *Service) tenant(ctx context.Context, id string) (store.Tenant, error) {
	t, err := s.st.Tenant(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, fmt.Errorf("admin: no tenant %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Tenant{}, fmt.Errorf("admin: %w", err)
	}
	return t, nil
}

// ---- sites ----

// NormalizeOrigin checks an origin and returns its canonical form.
func NormalizeOrigin(o string) (string, error) {
	o = strings.TrimSpace(o)
	u, err := url.Parse(o)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: origin %q: %s (want https://host[:port])", ErrInvalid, o, why)
	}
	if err != nil || u.Host == "" || u.Opaque != "" {
		return bad("not an absolute URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return bad("an origin has no path, query, fragment or user")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	switch {
	case scheme == "https":
	case scheme == "http" && (host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasSuffix(host, ".localhost")):
	default:
		return bad("scheme must be https (http only for localhost)")
	}
	if strings.Contains(host, "*") {
		return bad("wildcards are not supported; list each origin")
	}
	return scheme + "://" + strings.ToLower(u.Host), nil
}

func normalizeOrigins(list []string) ([]string, error) {
	out := []string{}
	for _, o := range list {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// AddSite creates a site of tenant with its allowed origins.
func (s *Service) AddSite(ctx context.Context, actor Actor, tenant, key, name string, origins []string) (store.Site, error) {
	if err := CheckIdent("site", key); err != nil {
		return store.Site{}, err
	}
	if _, err := s.tenant(ctx, tenant); err != nil {
		return store.Site{}, err
	}
	list, err := normalizeOrigins(origins)
	if err != nil {
		return store.Site{}, err
	}
	if name = strings.TrimSpace(name); name == "" {
		name = key
	}
	st := store.Site{Key: key, Tenant: tenant, Name: name, Origins: list}
	if err := s.st.CreateSite(ctx, st); err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.Site{}, fmt.Errorf("admin: site key %q is taken: %w", key, store.ErrExists)
		}
		return store.Site{}, fmt.Errorf("admin: add site: %w", err)
	}
	if err := s.audit(ctx, actor, tenant, "site.add", key, map[string]string{"origins": strings.Join(list, " ")}); err != nil {
		return store.Site{}, err
	}
	s.changed(ctx, tenant)
	return s.st.Site(ctx, key)
}

// SiteChange changes a site: nil fields stay as they are.
type SiteChange struct {
	Name *string
	// Origins replaces the list.
	Origins *[]string
	// AddOrigins and RemoveOrigins edit the list.
	AddOrigins, RemoveOrigins []string
}

// UpdateSite changes a site of tenant.
func (s *Service) UpdateSite(ctx context.Context, actor Actor, tenant, key string, ch SiteChange) (store.Site, error) {
	st, err := s.st.Site(ctx, key)
	if err != nil || st.Tenant != tenant {
		return store.Site{}, fmt.Errorf("admin: no site %q in tenant %q: %w", key, tenant, store.ErrNotFound)
	}
	if ch.Name != nil {
		n := strings.TrimSpace(*ch.Name)
		if err := settings.MaxLen(200)(n); err != nil || n == "" {
			return store.Site{}, fmt.Errorf("%w: site name: want 1-200 characters", ErrInvalid)
		}
		st.Name = n
	}
	origins := st.Origins
	if ch.Origins != nil {
		origins = *ch.Origins
	}
	origins = append(slices.Clone(origins), ch.AddOrigins...)
	list, err := normalizeOrigins(origins)
	if err != nil {
		return store.Site{}, err
	}
	for _, o := range ch.RemoveOrigins {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return store.Site{}, err
		}
		list = slices.DeleteFunc(list, func(x string) bool { return x == n })
	}
	st.Origins = list
	if err := s.st.UpdateSite(ctx, st); err != nil {
		return store.Site{}, fmt.Errorf("admin: update site: %w", err)
	}
	if err := s.audit(ctx, actor, tenant, "site.update", key, map[string]string{"name": st.Name, "origins": strings.Join(list, " ")}); err != nil {
		return store.Site{}, err
	}
	s.changed(ctx, tenant)
	return s.st.Site(ctx, key)
}

// RemoveSite deletes a site of tenant.
func (s *Service) RemoveSite(ctx context.Context, actor Actor, tenant, key string) error {
	if err := s.st.DeleteSite(ctx, tenant, key); err != nil {
		return fmt.Errorf("admin: remove site: %w", err)
	}
	if err := s.audit(ctx, actor, tenant, "site.remove", key, nil); err != nil {
		return err
	}
	s.changed(ctx, tenant)
	return nil
}

// ---- agents ----

// NewAgent describes an agent to add.
type NewAgent struct {
	Tenant, Email, Name string
	Role                store.Role
	Lang                string
	// Password is the agent's password; empty makes a one-time password.
	Password string
}

// CheckPassword applies the password policy.
func CheckPassword(p string) error {
	if utf8.RuneCountInString(p) < MinPassword {
		return fmt.Errorf("%w: password: want at least %d characters", ErrInvalid, MinPassword)
	}
	if len(p) > 72 {
		return fmt.Errorf("%w: password: want at most 72 bytes", ErrInvalid)
	}
	return nil
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// AddAgent creates an agent. When a.Password is empty it returns a
// one-time password (oneTime) the agent must change at the first login.
func (s *Service) AddAgent(ctx context.Context, actor Actor, a NewAgent) (agent store.Agent, oneTime string, err error) {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	a.Name = strings.TrimSpace(a.Name)
	switch {
	case !emailRE.MatchString(a.Email) || len(a.Email) > 254:
		return store.Agent{}, "", fmt.Errorf("%w: email %q: want name@domain", ErrInvalid, a.Email)
	case a.Name == "" || settings.MaxLen(100)(a.Name) != nil:
		return store.Agent{}, "", fmt.Errorf("%w: name: want 1-100 characters", ErrInvalid)
	case !a.Role.Valid():
		return store.Agent{}, "", fmt.Errorf("%w: role %q: want owner, admin or agent", ErrInvalid, a.Role)
	case a.Lang != "" && settings.LangTag(a.Lang) != nil:
		return store.Agent{}, "", fmt.Errorf("%w: lang %q: want a language tag like en or zh", ErrInvalid, a.Lang)
	}
	if _, err := s.tenant(ctx, a.Tenant); err != nil {
		return store.Agent{}, "", err
	}
	pw := a.Password
	if pw == "" {
		oneTime = randomHex(8) // 16 characters
		pw = oneTime
	} else if err := CheckPassword(pw); err != nil {
		return store.Agent{}, "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), s.bcryptCost)
	if err != nil {
		return store.Agent{}, "", fmt.Errorf("admin: hash password: %w", err)
	}
	agent, err = s.st.CreateAgent(ctx, store.Agent{Tenant: a.Tenant, Email: a.Email, Name: a.Name, Role: a.Role, Lang: a.Lang,
		PasswordHash: string(hash), MustChangePassword: oneTime != ""})
	if err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.Agent{}, "", fmt.Errorf("admin: tenant %q already has an agent %s: %w", a.Tenant, a.Email, store.ErrExists)
		}
		return store.Agent{}, "", fmt.Errorf("admin: add agent: %w", err)
	}
	if err := s.audit(ctx, actor, a.Tenant, "agent.add", a.Email, map[string]string{"role": string(a.Role), "one_time_password": fmt.Sprint(oneTime != "")}); err != nil {
		return store.Agent{}, "", err
	}
	return agent, oneTime, nil
}

// AgentChange changes an agent: nil fields stay as they are.
type AgentChange struct {
	Name     *string
	Role     *store.Role
	Lang     *string
	Disabled *bool
	// ResetPassword gives the agent a new one-time password (returned).
	ResetPassword bool
}

// UpdateAgent changes an agent of tenant. It refuses to leave the tenant
// without an enabled owner. A disabled agent or a reset password ends the
// agent's sessions.
func (s *Service) UpdateAgent(ctx context.Context, actor Actor, tenant, id string, ch AgentChange) (agent store.Agent, oneTime string, err error) {
	a, err := s.st.Agent(ctx, tenant, id)
	if err != nil {
		return store.Agent{}, "", fmt.Errorf("admin: agent %q: %w", id, err)
	}
	detail := map[string]string{}
	if ch.Name != nil {
		n := strings.TrimSpace(*ch.Name)
		if n == "" || settings.MaxLen(100)(n) != nil {
			return store.Agent{}, "", fmt.Errorf("%w: name: want 1-100 characters", ErrInvalid)
		}
		a.Name, detail["name"] = n, n
	}
	if ch.Role != nil {
		if !ch.Role.Valid() {
			return store.Agent{}, "", fmt.Errorf("%w: role %q: want owner, admin or agent", ErrInvalid, *ch.Role)
		}
		a.Role, detail["role"] = *ch.Role, string(*ch.Role)
	}
	if ch.Lang != nil {
		if *ch.Lang != "" && settings.LangTag(*ch.Lang) != nil {
			return store.Agent{}, "", fmt.Errorf("%w: lang %q", ErrInvalid, *ch.Lang)
		}
		a.Lang, detail["lang"] = *ch.Lang, *ch.Lang
	}
	if ch.Disabled != nil {
		a.Disabled, detail["disabled"] = *ch.Disabled, fmt.Sprint(*ch.Disabled)
	}
	if ch.ResetPassword {
		oneTime = randomHex(8)
		hash, err := bcrypt.GenerateFromPassword([]byte(oneTime), s.bcryptCost)
		if err != nil {
			return store.Agent{}, "", fmt.Errorf("admin: hash password: %w", err)
		}
		a.PasswordHash, a.MustChangePassword, detail["reset_password"] = string(hash), true, "true"
	}
	if a.Role != store.RoleOwner || a.Disabled {
		if err := s.keepOwner(ctx, tenant, a.ID); err != nil {
			return store.Agent{}, "", err
		}
	}
	got, err := s.st.UpdateAgent(ctx, a)
	if err != nil {
		return store.Agent{}, "", fmt.Errorf("admin: update agent: %w", err)
	}
	if a.Disabled || ch.ResetPassword {
		if err := s.st.DeleteSessions(ctx, tenant, a.ID); err != nil {
			return store.Agent{}, "", fmt.Errorf("admin: update agent: %w", err)
		}
	}
	if err := s.audit(ctx, actor, tenant, "agent.update", a.Email, detail); err != nil {
		return store.Agent{}, "", err
	}
	return got, oneTime, nil
}

// ErrLastOwner refuses a change that would leave a tenant without an enabled owner.
var ErrLastOwner = errors.New("admin: a tenant keeps at least one enabled owner")

// keepOwner fails when the tenant has no enabled owner other than except
// (but only when it has one now: a tenant made by the command line starts
// with none).
func (s *Service) keepOwner(ctx context.Context, tenant, except string) error {
	list, err := s.st.Agents(ctx, tenant)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	others, had := 0, false
	for _, a := range list {
		if a.Role == store.RoleOwner && !a.Disabled {
			had = true
			if a.ID != except {
				others++
			}
		}
	}
	if had && others == 0 {
		return ErrLastOwner
	}
	return nil
}

// ChangePassword sets an agent's own password after checking the current
// one, clears the must-change flag and ends the agent's other sessions
// (the caller makes a new session).
func (s *Service) ChangePassword(ctx context.Context, tenant, id, current, next string) (store.Agent, error) {
	a, err := s.st.Agent(ctx, tenant, id)
	if err != nil {
		return store.Agent{}, fmt.Errorf("admin: agent %q: %w", id, err)
	}
	if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(current)) != nil {
		return store.Agent{}, fmt.Errorf("%w: the current password is wrong", ErrInvalid)
	}
	if err := CheckPassword(next); err != nil {
		return store.Agent{}, err
	}
	if next == current {
		return store.Agent{}, fmt.Errorf("%w: the new password must differ from the current one", ErrInvalid)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(next), s.bcryptCost)
	if err != nil {
		return store.Agent{}, fmt.Errorf("admin: hash password: %w", err)
	}
	a.PasswordHash, a.MustChangePassword = string(hash), false
	got, err := s.st.UpdateAgent(ctx, a)
	if err != nil {
		return store.Agent{}, fmt.Errorf("admin: change password: %w", err)
	}
	if err := s.st.DeleteSessions(ctx, tenant, id); err != nil {
		return store.Agent{}, fmt.Errorf("admin: change password: %w", err)
	}
	if err := s.audit(ctx, AgentActor(a), tenant, "agent.change_password", a.Email, nil); err != nil {
		return store.Agent{}, err
	}
	return got, nil
}

// ---- API keys ----

// HashKey is the stored form of an API key.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey makes a key for tenant with scopes (see package scope) and
// returns it; only its hash is stored. When the actor is itself an API key
// (limit non-nil), it can grant only scopes it holds.
func (s *Service) CreateAPIKey(ctx context.Context, actor Actor, tenant, name string, scopes []string, limit []string) (key string, k store.APIKey, err error) {
	if _, err := s.tenant(ctx, tenant); err != nil {
		return "", store.APIKey{}, err
	}
	list, err := scope.Parse(strings.Join(scopes, ","))
	if err != nil {
		return "", store.APIKey{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if limit != nil {
		for _, sc := range list {
			if !slices.Contains(limit, sc) {
				return "", store.APIKey{}, fmt.Errorf("%w: a key cannot grant scope %q it does not hold", ErrInvalid, sc)
			}
		}
	}
	name = strings.TrimSpace(name)
	if settings.MaxLen(100)(name) != nil {
		return "", store.APIKey{}, fmt.Errorf("%w: key name: want at most 100 characters", ErrInvalid)
	}
	key = APIKeyPrefix + randomHex(24)
	k = store.APIKey{ID: "key_" + randomHex(8), Tenant: tenant, Name: name, Prefix: key[:len(APIKeyPrefix)+6], Hash: HashKey(key),
		Scopes: list, CreatedBy: string(actor), CreatedAt: time.Now()}
	if err := s.st.CreateAPIKey(ctx, k); err != nil {
		return "", store.APIKey{}, fmt.Errorf("admin: create api key: %w", err)
	}
	if err := s.audit(ctx, actor, tenant, "apikey.create", k.ID, map[string]string{"name": name, "scopes": strings.Join(list, ",")}); err != nil {
		return "", store.APIKey{}, err
	}
	return key, k, nil
}

// RevokeAPIKey revokes a key of tenant.
func (s *Service) RevokeAPIKey(ctx context.Context, actor Actor, tenant, id string) (store.APIKey, error) {
	k, err := s.st.RevokeAPIKey(ctx, tenant, id, time.Now())
	if err != nil {
		return store.APIKey{}, fmt.Errorf("admin: revoke api key: %w", err)
	}
	if err := s.audit(ctx, actor, tenant, "apikey.revoke", id, nil); err != nil {
		return store.APIKey{}, err
	}
	return k, nil
}

// ---- settings ----

// ParseAssignments turns KEY=VALUE arguments into values to set (KEY=
// sets the empty string).
func ParseAssignments(args []string) (map[string]string, error) {
	set := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%w: %q: want KEY=VALUE", ErrInvalid, a)
		}
		set[k] = v
	}
	return set, nil
}

// SetSettings validates and stores tenant settings (all or none) and
// returns the tenant's effective settings.
func (s *Service) SetSettings(ctx context.Context, actor Actor, tenant string, set map[string]string, unset []string) (map[string]string, error) {
	t, err := s.tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(set))
	for k, v := range set {
		if err := settings.Check(k, v); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		names = append(names, k)
	}
	for _, k := range unset {
		if _, ok := settings.Lookup(k); !ok {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, settings.Check(k, ""))
		}
	}
	if err := s.st.SetTenantSettings(ctx, tenant, set, unset, time.Now()); err != nil {
		return nil, fmt.Errorf("admin: set settings: %w", err)
	}
	// queue.sla is also the tenant's SLA column, which the router reads.
	if _, ok := set[KeySLA]; ok || slices.Contains(unset, KeySLA) {
		d, _ := time.ParseDuration(settings.Value(set, KeySLA))
		t.SLA = d
		if err := s.st.PutTenant(ctx, t); err != nil {
			return nil, fmt.Errorf("admin: set settings: %w", err)
		}
	}
	sort.Strings(names)
	detail := map[string]string{}
	for _, k := range names {
		detail[k] = set[k]
	}
	for _, k := range unset {
		detail[k] = "(default)"
	}
	if err := s.audit(ctx, actor, tenant, "settings.set", tenant, detail); err != nil {
		return nil, err
	}
	s.changed(ctx, tenant)
	return s.Settings(ctx, tenant)
}

// Settings returns a tenant's effective settings (stored or default).
func (s *Service) Settings(ctx context.Context, tenant string) (map[string]string, error) {
	if _, err := s.tenant(ctx, tenant); err != nil {
		return nil, err
	}
	stored, err := s.st.TenantSettings(ctx, tenant)
	if err != nil {
		return nil, fmt.Errorf("admin: settings: %w", err)
	}
	return settings.Effective(stored), nil
}
