package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// AdminStore holds what merchants administer: tenants, their sites, agents
// (roles, passwords), API keys, tenant settings and the audit log of every
// administrative action. Package central/admin puts the rules on top
// (validation, hashing, audit); the store only keeps rows.
type AdminStore interface {
	// CreateTenant stores a new tenant; ErrExists when the id is taken.
	CreateTenant(ctx context.Context, t Tenant) error
	// Tenants lists every tenant by id.
	Tenants(ctx context.Context) ([]Tenant, error)
	// SetIdentitySecret replaces a tenant's identity secret (rotation).
	SetIdentitySecret(ctx context.Context, tenant, secret string) error

	// CreateSite stores a new site; ErrExists when its key is taken by any
	// tenant (site keys are global: the widget names only the site).
	CreateSite(ctx context.Context, s Site) error
	// UpdateSite changes a site's name and origins; ErrNotFound unless the
	// site exists in s.Tenant.
	UpdateSite(ctx context.Context, s Site) error
	// DeleteSite removes a site of tenant; ErrNotFound when there is none.
	DeleteSite(ctx context.Context, tenant, key string) error
	// Site returns the site with that key, whatever its tenant, or ErrNotFound.
	Site(ctx context.Context, key string) (Site, error)
	// Sites lists the sites of tenant, or of every tenant when tenant is "".
	Sites(ctx context.Context, tenant string) ([]Site, error)

	// Agents lists a tenant's agents by email.
	Agents(ctx context.Context, tenant string) ([]Agent, error)
	// CreateAgent stores a new agent; ErrExists when the tenant already has
	// one with that email.
	CreateAgent(ctx context.Context, a Agent) (Agent, error)
	// UpdateAgent changes an existing agent's name, role, lang, password
	// hash, must-change flag and disabled flag (matched by tenant and id).
	UpdateAgent(ctx context.Context, a Agent) (Agent, error)
	// DeleteSessions removes every session of an agent (disable, password change).
	DeleteSessions(ctx context.Context, tenant, agentID string) error

	// CreateAPIKey stores a key (only its hash); ErrExists on a taken id or hash.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByHash returns the unrevoked key with that hash, or ErrNotFound.
	APIKeyByHash(ctx context.Context, hash string) (APIKey, error)
	// APIKeys lists a tenant's keys, revoked ones included, newest first.
	APIKeys(ctx context.Context, tenant string) ([]APIKey, error)
	// RevokeAPIKey revokes a key of tenant; ErrNotFound when it has none
	// with that id. Revoking twice keeps the first time.
	RevokeAPIKey(ctx context.Context, tenant, id string, now time.Time) (APIKey, error)

	// SetTenantSettings stores values (name → value) and removes the names
	// in unset, in one transaction. Validation is the caller's
	// (package central/settings).
	SetTenantSettings(ctx context.Context, tenant string, values map[string]string, unset []string, now time.Time) error
	// TenantSettings returns a tenant's stored values (defaults are not
	// stored); empty for an unknown tenant.
	TenantSettings(ctx context.Context, tenant string) (map[string]string, error)

	// AppendAudit records one administrative action.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// Audit lists a tenant's audit entries, newest first, at most limit
	// (0 = 200), older than before (zero = now).
	Audit(ctx context.Context, tenant string, before time.Time, limit int) ([]AuditEntry, error)
}

// Site is a merchant's web site (or app) served by the edges under its key.
type Site struct {
	// Key is the site key the widget names (?site=KEY, data-site="KEY"),
	// unique across tenants.
	Key    string
	Tenant string
	Name   string
	// Origins are the page origins allowed to open the widget
	// ("https://shop.example"); empty allows every origin.
	Origins   []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// APIKey is a tenant's key for the REST API. The key itself is shown once
// when created; the store keeps its SHA-256 hash.
type APIKey struct {
	ID     string
	Tenant string
	Name   string
	// Prefix is the key's first characters, shown to tell keys apart.
	Prefix string
	Hash   string
	// Scopes are what the key may do ("conversations:read", …).
	Scopes    []string
	CreatedBy string
	CreatedAt time.Time
	// RevokedAt is zero while the key is valid.
	RevokedAt time.Time
}

// AuditEntry is one administrative action: who did what to what, when.
type AuditEntry struct {
	ID     string
	Tenant string
	At     time.Time
	// Actor is who acted: "agent:<id> <email>", "apikey:<id>", "cli".
	Actor string
	// Action is what was done ("tenant.create", "agent.add", "settings.set"…).
	Action string
	// Target is what it was done to (a site key, an agent email, a key id).
	Target string
	// Detail holds the action's parameters; never secrets or passwords.
	Detail map[string]string
}

const tenantCols = `id, name, sla_ms, identity_secret, created_at`

func scanTenant(row interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	var sla, created int64
	err := row.Scan(&t.ID, &t.Name, &sla, &t.IdentitySecret, &created)
	t.SLA, t.CreatedAt = time.Duration(sla)*time.Millisecond, fromMS(created)
	return t, err
}

// isUnique reports whether err is a unique-constraint violation (both drivers).
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint") || strings.Contains(m, "SQLSTATE 23505") || strings.Contains(m, "duplicate key")
}

func (s *sqlStore) CreateTenant(ctx context.Context, t Tenant) error {
	if t.ID == "" {
		return fmt.Errorf("store: create tenant: %w: empty id", ErrInvalid)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tenants (`+tenantCols+`) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		t.ID, t.Name, t.SLA.Milliseconds(), t.IdentitySecret, ms(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create tenant %q: %w", t.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: create tenant %q: %w", t.ID, ErrExists)
	}
	return nil
}

func (s *sqlStore) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: tenants: %w", err)
	}
	out, err := collect(rows, scanTenant)
	if err != nil {
		return nil, fmt.Errorf("store: tenants: %w", err)
	}
	return out, nil
}

func (s *sqlStore) SetIdentitySecret(ctx context.Context, tenant, secret string) error {
	if secret == "" {
		return fmt.Errorf("store: identity secret of %q: %w: empty", tenant, ErrInvalid)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE tenants SET identity_secret = ? WHERE id = ?`), secret, tenant)
	if err != nil {
		return fmt.Errorf("store: identity secret of %q: %w", tenant, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: identity secret of %q: %w", tenant, ErrNotFound)
	}
	return nil
}

// ---- sites ----

const siteCols = `site, tenant, name, origins, created_at, updated_at`

func scanSite(row interface{ Scan(...any) error }) (Site, error) {
	var st Site
	var origins string
	var created, updated int64
	err := row.Scan(&st.Key, &st.Tenant, &st.Name, &origins, &created, &updated)
	st.CreatedAt, st.UpdatedAt = fromMS(created), fromMS(updated)
	if err == nil {
		if jerr := json.Unmarshal([]byte(origins), &st.Origins); jerr != nil {
			err = fmt.Errorf("site %q: origins column: %w", st.Key, jerr)
		}
	}
	return st, err
}

func originsColumn(o []string) string {
	if o == nil {
		o = []string{}
	}
	b, _ := json.Marshal(o)
	return string(b)
}

func (s *sqlStore) CreateSite(ctx context.Context, st Site) error {
	if st.Key == "" || st.Tenant == "" {
		return fmt.Errorf("store: create site: %w: key and tenant are required", ErrInvalid)
	}
	now := time.Now()
	if st.CreatedAt.IsZero() {
		st.CreatedAt = now
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), st.Tenant).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("tenant %q: %w", st.Tenant, ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO sites (`+siteCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site) DO NOTHING`),
			st.Key, st.Tenant, st.Name, originsColumn(st.Origins), ms(st.CreatedAt), ms(st.CreatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrExists
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create site %q: %w", st.Key, err)
	}
	return nil
}

func (s *sqlStore) UpdateSite(ctx context.Context, st Site) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE sites SET name = ?, origins = ?, updated_at = ? WHERE site = ? AND tenant = ?`),
		st.Name, originsColumn(st.Origins), ms(time.Now()), st.Key, st.Tenant)
	if err != nil {
		return fmt.Errorf("store: update site %q: %w", st.Key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: update site %q of %q: %w", st.Key, st.Tenant, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) DeleteSite(ctx context.Context, tenant, key string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sites WHERE site = ? AND tenant = ?`), key, tenant)
	if err != nil {
		return fmt.Errorf("store: delete site %q: %w", key, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: delete site %q of %q: %w", key, tenant, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) Site(ctx context.Context, key string) (Site, error) {
	st, err := scanSite(s.db.QueryRowContext(ctx, s.q(`SELECT `+siteCols+` FROM sites WHERE site = ?`), key))
	if errors.Is(err, sql.ErrNoRows) {
		return Site{}, fmt.Errorf("store: site %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return Site{}, fmt.Errorf("store: site %q: %w", key, err)
	}
	return st, nil
}

func (s *sqlStore) Sites(ctx context.Context, tenant string) ([]Site, error) {
	var rows *sql.Rows
	var err error
	if tenant == "" {
		rows, err = s.db.QueryContext(ctx, `SELECT `+siteCols+` FROM sites ORDER BY site`)
	} else {
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT `+siteCols+` FROM sites WHERE tenant = ? ORDER BY site`), tenant)
	}
	if err != nil {
		return nil, fmt.Errorf("store: sites of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanSite)
	if err != nil {
		return nil, fmt.Errorf("store: sites of %q: %w", tenant, err)
	}
	return out, nil
}

// ---- agents ----

func (s *sqlStore) Agents(ctx context.Context, tenant string) ([]Agent, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+agentCols+` FROM agents WHERE tenant = ? ORDER BY email`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: agents of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanAgent)
	if err != nil {
		return nil, fmt.Errorf("store: agents of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) CreateAgent(ctx context.Context, a Agent) (Agent, error) {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	if a.Tenant == "" || a.Email == "" {
		return Agent{}, fmt.Errorf("store: create agent: %w: tenant and email are required", ErrInvalid)
	}
	if a.Role == "" {
		a.Role = RoleAgent
	}
	if !a.Role.Valid() {
		return Agent{}, fmt.Errorf("store: create agent: %w: role %q", ErrInvalid, a.Role)
	}
	if a.ID == "" {
		a.ID = chat.NewID()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), a.Tenant).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("tenant %q: %w", a.Tenant, ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO agents (`+agentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			a.ID, a.Tenant, a.Email, a.Name, a.PasswordHash, ms(a.CreatedAt), string(a.Role), a.Lang, b2i(a.MustChangePassword), b2i(a.Disabled))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrExists
		}
		return nil
	})
	if err != nil {
		return Agent{}, fmt.Errorf("store: create agent %q/%q: %w", a.Tenant, a.Email, err)
	}
	return a, nil
}

func (s *sqlStore) UpdateAgent(ctx context.Context, a Agent) (Agent, error) {
	if !a.Role.Valid() {
		return Agent{}, fmt.Errorf("store: update agent: %w: role %q", ErrInvalid, a.Role)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE agents SET name = ?, role = ?, lang = ?, password_hash = ?, must_change = ?, disabled = ?
		WHERE tenant = ? AND id = ?`), a.Name, string(a.Role), a.Lang, a.PasswordHash, b2i(a.MustChangePassword), b2i(a.Disabled), a.Tenant, a.ID)
	if err != nil {
		return Agent{}, fmt.Errorf("store: update agent %q/%q: %w", a.Tenant, a.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Agent{}, fmt.Errorf("store: update agent %q/%q: %w", a.Tenant, a.ID, ErrNotFound)
	}
	return s.Agent(ctx, a.Tenant, a.ID)
}

func (s *sqlStore) DeleteSessions(ctx context.Context, tenant, agentID string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE tenant = ? AND agent_id = ?`), tenant, agentID); err != nil {
		return fmt.Errorf("store: delete sessions of %q/%q: %w", tenant, agentID, err)
	}
	return nil
}

// ---- API keys ----

const apiKeyCols = `id, tenant, name, prefix, hash, scopes, created_by, created_at, revoked_at`

func scanAPIKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var k APIKey
	var scopes string
	var created, revoked int64
	err := row.Scan(&k.ID, &k.Tenant, &k.Name, &k.Prefix, &k.Hash, &scopes, &k.CreatedBy, &created, &revoked)
	k.CreatedAt, k.RevokedAt = fromMS(created), fromMS(revoked)
	k.Scopes = []string{}
	if scopes != "" {
		k.Scopes = strings.Split(scopes, ",")
	}
	return k, err
}

func (s *sqlStore) CreateAPIKey(ctx context.Context, k APIKey) error {
	if k.ID == "" || k.Tenant == "" || k.Hash == "" {
		return fmt.Errorf("store: create api key: %w: id, tenant and hash are required", ErrInvalid)
	}
	for _, sc := range k.Scopes {
		if sc == "" || strings.Contains(sc, ",") {
			return fmt.Errorf("store: create api key: %w: scope %q", ErrInvalid, sc)
		}
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), k.Tenant).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("tenant %q: %w", k.Tenant, ErrNotFound)
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_keys (`+apiKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT DO NOTHING`),
			k.ID, k.Tenant, k.Name, k.Prefix, k.Hash, strings.Join(k.Scopes, ","), k.CreatedBy, ms(k.CreatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrExists
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create api key %q: %w", k.ID, err)
	}
	return nil
}

func (s *sqlStore) APIKeyByHash(ctx context.Context, hash string) (APIKey, error) {
	k, err := scanAPIKey(s.db.QueryRowContext(ctx, s.q(`SELECT `+apiKeyCols+` FROM api_keys WHERE hash = ? AND revoked_at = 0`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, fmt.Errorf("store: api key: %w", ErrNotFound)
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: api key: %w", err)
	}
	return k, nil
}

func (s *sqlStore) APIKeys(ctx context.Context, tenant string) ([]APIKey, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+apiKeyCols+` FROM api_keys WHERE tenant = ? ORDER BY created_at DESC, id DESC`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: api keys of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanAPIKey)
	if err != nil {
		return nil, fmt.Errorf("store: api keys of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) RevokeAPIKey(ctx context.Context, tenant, id string, now time.Time) (APIKey, error) {
	var k APIKey
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = ? WHERE tenant = ? AND id = ? AND revoked_at = 0`),
			ms(now), tenant, id); err != nil {
			return err
		}
		var err error
		k, err = scanAPIKey(tx.QueryRowContext(ctx, s.q(`SELECT `+apiKeyCols+` FROM api_keys WHERE tenant = ? AND id = ?`), tenant, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return APIKey{}, fmt.Errorf("store: revoke api key %q/%q: %w", tenant, id, err)
	}
	return k, nil
}

// ---- tenant settings ----

func (s *sqlStore) SetTenantSettings(ctx context.Context, tenant string, values map[string]string, unset []string, now time.Time) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), tenant).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("tenant %q: %w", tenant, ErrNotFound)
		}
		for name, v := range values {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO tenant_settings (tenant, name, value, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (tenant, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
				tenant, name, v, ms(now)); err != nil {
				return err
			}
		}
		for _, name := range unset {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM tenant_settings WHERE tenant = ? AND name = ?`), tenant, name); err != nil {
				return err
			}
		}
		return nil
	})
	s.cache.invalidate(tenant) // after the commit: a load in between would keep the old settings
	if err != nil {
		return fmt.Errorf("store: set settings of %q: %w", tenant, err)
	}
	return nil
}

// readTenantSettings reads a tenant's settings from the database
// (TenantSettings goes through the cache, tenantcache.go).
func (s *sqlStore) readTenantSettings(ctx context.Context, tenant string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT name, value FROM tenant_settings WHERE tenant = ?`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: settings of %q: %w", tenant, err)
	}
	type kv struct{ k, v string }
	list, err := collect(rows, func(r interface{ Scan(...any) error }) (kv, error) {
		var e kv
		return e, r.Scan(&e.k, &e.v)
	})
	if err != nil {
		return nil, fmt.Errorf("store: settings of %q: %w", tenant, err)
	}
	out := make(map[string]string, len(list))
	for _, e := range list {
		out[e.k] = e.v
	}
	return out, nil
}

// ---- audit ----

const auditCols = `id, tenant, at, actor, action, target, detail`

func scanAudit(row interface{ Scan(...any) error }) (AuditEntry, error) {
	var e AuditEntry
	var at int64
	var detail string
	err := row.Scan(&e.ID, &e.Tenant, &at, &e.Actor, &e.Action, &e.Target, &detail)
	e.At = fromMS(at)
	if err == nil && detail != "" {
		if jerr := json.Unmarshal([]byte(detail), &e.Detail); jerr != nil {
			err = fmt.Errorf("audit %q: detail column: %w", e.ID, jerr)
		}
	}
	return e, err
}

func (s *sqlStore) AppendAudit(ctx context.Context, e AuditEntry) error {
	if e.Tenant == "" || e.Actor == "" || e.Action == "" {
		return fmt.Errorf("store: append audit: %w: tenant, actor and action are required", ErrInvalid)
	}
	if e.ID == "" {
		e.ID = chat.NewID()
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	detail := ""
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("store: append audit: %w", err)
		}
		detail = string(b)
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO audit_log (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.Tenant, ms(e.At), e.Actor, e.Action, e.Target, detail); err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

func (s *sqlStore) Audit(ctx context.Context, tenant string, before time.Time, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	if before.IsZero() {
		before = time.Now().Add(time.Second)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+auditCols+` FROM audit_log WHERE tenant = ? AND at < ?
		ORDER BY at DESC, id DESC LIMIT ?`), tenant, ms(before), limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("store: audit of %q: %w", tenant, err)
	}
	return out, nil
}
