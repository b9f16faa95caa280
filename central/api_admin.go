package central

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/openapi"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
)

// The administration API (/v1/admin/…): the same operations as `kefu
// admin`, through the one admin.Service, for owners and admins of the
// caller's tenant (or API keys with the scopes). Scopes per operation are
// in central/openapi/fragments/admin.json.

// startAdmin loads the OpenAPI document and the admin service.
func (s *Service) startAdmin() error {
	spec, err := openapi.Load()
	if err != nil {
		return err
	}
	s.spec = spec
	s.admin = admin.New(s.st, s.cfg.BcryptCost)
	s.admin.OnChange = s.configChanged
	return nil
}

// Admin returns the administration service (kefu dev seeds through it).
func (s *Service) Admin() *admin.Service { return s.admin }

func (s *Service) registerAdmin(auth fiber.Router) {
	a := auth.Group("/admin")
	a.Get("/tenant", s.adminTenant)
	a.Get("/identity-secret", s.adminIdentitySecret)
	a.Post("/identity-secret", s.adminRotateSecret)
	a.Get("/settings", s.adminSettings)
	a.Patch("/settings", s.adminSetSettings)
	a.Get("/sites", s.adminSites)
	a.Post("/sites", s.adminAddSite)
	a.Patch("/sites/:site", s.adminUpdateSite)
	a.Delete("/sites/:site", s.adminRemoveSite)
	a.Get("/agents", s.adminAgents)
	a.Post("/agents", s.adminAddAgent)
	a.Patch("/agents/:id", s.adminUpdateAgent)
	a.Get("/apikeys", s.adminAPIKeys)
	a.Post("/apikeys", s.adminCreateAPIKey)
	a.Delete("/apikeys/:id", s.adminRevokeAPIKey)
	a.Get("/audit", s.adminAudit)
	a.Get("/scopes", s.adminScopes)
}

// actor names the caller in the audit log.
func actor(p principal) admin.Actor {
	if p.key != nil {
		return admin.KeyActor(*p.key)
	}
	return admin.AgentActor(p.agent)
}

// adminError maps the admin service's errors to answers.
func adminError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, admin.ErrInvalid), errors.Is(err, settings.ErrUnknown), errors.Is(err, settings.ErrInvalid):
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, strings.TrimPrefix(err.Error(), "admin: invalid input: "))
	case errors.Is(err, admin.ErrLastOwner):
		return apiError(c, fiber.StatusConflict, "last_owner", err.Error())
	case errors.Is(err, store.ErrExists):
		return apiError(c, fiber.StatusConflict, "exists", err.Error())
	case errors.Is(err, store.ErrNotFound):
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "not found")
	}
	return apiError(c, fiber.StatusInternalServerError, CodeInternal, "internal error")
}

// TenantView answers GET /v1/admin/tenant.
type TenantView struct {
	Tenant    string    `json:"tenant"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Service) adminTenant(c *fiber.Ctx) error {
	t, err := s.st.Tenant(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(TenantView{Tenant: t.ID, Name: t.Name, CreatedAt: t.CreatedAt})
}

// IdentitySecretView is the tenant's identity secret (owners only).
type IdentitySecretView struct {
	Tenant         string `json:"tenant"`
	IdentitySecret string `json:"identity_secret"`
}

func (s *Service) adminIdentitySecret(c *fiber.Ctx) error {
	t, err := s.st.Tenant(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(IdentitySecretView{Tenant: t.ID, IdentitySecret: t.IdentitySecret})
}

func (s *Service) adminRotateSecret(c *fiber.Ctx) error {
	p := who(c)
	secret, err := s.admin.RotateIdentitySecret(c.UserContext(), actor(p), p.agent.Tenant)
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(IdentitySecretView{Tenant: p.agent.Tenant, IdentitySecret: secret})
}

// SettingKeyView describes a registered setting.
type SettingKeyView struct {
	Key     string `json:"key"`
	Doc     string `json:"doc"`
	Default string `json:"default"`
	Public  bool   `json:"public"`
}

// SettingsView answers GET and PATCH /v1/admin/settings.
type SettingsView struct {
	Settings map[string]string `json:"settings"`
	Keys     []SettingKeyView  `json:"keys"`
}

// SettingsChange is the body of PATCH /v1/admin/settings.
type SettingsChange struct {
	Set   map[string]string `json:"set"`
	Reset []string          `json:"reset"`
}

func settingsView(eff map[string]string) SettingsView {
	v := SettingsView{Settings: eff, Keys: []SettingKeyView{}}
	for _, k := range settings.Keys() {
		v.Keys = append(v.Keys, SettingKeyView{Key: k.Name, Doc: k.Doc, Default: k.Default, Public: k.Public})
	}
	return v
}

func (s *Service) adminSettings(c *fiber.Ctx) error {
	eff, err := s.admin.Settings(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(settingsView(eff))
}

func (s *Service) adminSetSettings(c *fiber.Ctx) error {
	var req SettingsChange
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if len(req.Set) == 0 && len(req.Reset) == 0 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, `nothing to change: give "set" {KEY: VALUE} and/or "reset" [KEY]`)
	}
	p := who(c)
	eff, err := s.admin.SetSettings(c.UserContext(), actor(p), p.agent.Tenant, req.Set, req.Reset)
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(settingsView(eff))
}

// SiteView is a site as the REST API shows it.
type SiteView struct {
	Site      string    `json:"site"`
	Tenant    string    `json:"tenant"`
	Name      string    `json:"name"`
	Origins   []string  `json:"origins"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func siteView(st store.Site) SiteView {
	o := st.Origins
	if o == nil {
		o = []string{}
	}
	return SiteView{Site: st.Key, Tenant: st.Tenant, Name: st.Name, Origins: o, CreatedAt: st.CreatedAt, UpdatedAt: st.UpdatedAt}
}

// NewSiteRequest is the body of POST /v1/admin/sites.
type NewSiteRequest struct {
	Site    string   `json:"site"`
	Name    string   `json:"name"`
	Origins []string `json:"origins"`
}

// SiteChangeRequest is the body of PATCH /v1/admin/sites/:site.
type SiteChangeRequest struct {
	Name          *string   `json:"name"`
	Origins       *[]string `json:"origins"`
	AddOrigins    []string  `json:"add_origins"`
	RemoveOrigins []string  `json:"remove_origins"`
}

func (s *Service) adminSites(c *fiber.Ctx) error {
	list, err := s.st.Sites(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return adminError(c, err)
	}
	out := make([]SiteView, len(list))
	for i, st := range list {
		out[i] = siteView(st)
	}
	return c.JSON(out)
}

func (s *Service) adminAddSite(c *fiber.Ctx) error {
	var req NewSiteRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	p := who(c)
	st, err := s.admin.AddSite(c.UserContext(), actor(p), p.agent.Tenant, req.Site, req.Name, req.Origins)
	if err != nil {
		return adminError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(siteView(st))
}

func (s *Service) adminUpdateSite(c *fiber.Ctx) error {
	var req SiteChangeRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	p := who(c)
	st, err := s.admin.UpdateSite(c.UserContext(), actor(p), p.agent.Tenant, c.Params("site"),
		admin.SiteChange{Name: req.Name, Origins: req.Origins, AddOrigins: req.AddOrigins, RemoveOrigins: req.RemoveOrigins})
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(siteView(st))
}

func (s *Service) adminRemoveSite(c *fiber.Ctx) error {
	p := who(c)
	if err := s.admin.RemoveSite(c.UserContext(), actor(p), p.agent.Tenant, c.Params("site")); err != nil {
		return adminError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// NewAgentRequest is the body of POST /v1/admin/agents. Without a
// password the answer carries a one-time password.
type NewAgentRequest struct {
	Email    string     `json:"email"`
	Name     string     `json:"name"`
	Role     store.Role `json:"role"`
	Lang     string     `json:"lang"`
	Password string     `json:"password"`
}

// AgentChangeRequest is the body of PATCH /v1/admin/agents/:id.
type AgentChangeRequest struct {
	Name          *string     `json:"name"`
	Role          *store.Role `json:"role"`
	Lang          *string     `json:"lang"`
	Disabled      *bool       `json:"disabled"`
	ResetPassword bool        `json:"reset_password"`
}

// AgentReply answers POST and PATCH of /v1/admin/agents; Password is the
// one-time password, shown once.
type AgentReply struct {
	Agent    AgentView `json:"agent"`
	Password string    `json:"password,omitempty"`
}

func (s *Service) adminAgents(c *fiber.Ctx) error {
	list, err := s.st.Agents(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return adminError(c, err)
	}
	out := make([]AgentView, len(list))
	for i, a := range list {
		out[i] = agentView(a)
	}
	return c.JSON(out)
}

func (s *Service) adminAddAgent(c *fiber.Ctx) error {
	var req NewAgentRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	p := who(c)
	a, oneTime, err := s.admin.AddAgent(c.UserContext(), actor(p), admin.NewAgent{Tenant: p.agent.Tenant, Email: req.Email, Name: req.Name,
		Role: req.Role, Lang: req.Lang, Password: req.Password})
	if err != nil {
		return adminError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(AgentReply{Agent: agentView(a), Password: oneTime})
}

func (s *Service) adminUpdateAgent(c *fiber.Ctx) error {
	var req AgentChangeRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	p := who(c)
	// Only owners change roles or make owners (admins hold agents:read only).
	a, oneTime, err := s.admin.UpdateAgent(c.UserContext(), actor(p), p.agent.Tenant, c.Params("id"),
		admin.AgentChange{Name: req.Name, Role: req.Role, Lang: req.Lang, Disabled: req.Disabled, ResetPassword: req.ResetPassword})
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(AgentReply{Agent: agentView(a), Password: oneTime})
}

// APIKeyView is an API key as listed (never the key itself).
type APIKeyView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func apiKeyView(k store.APIKey) APIKeyView {
	v := APIKeyView{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt}
	if !k.RevokedAt.IsZero() {
		t := k.RevokedAt
		v.RevokedAt = &t
	}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	return v
}

// NewAPIKeyRequest is the body of POST /v1/admin/apikeys.
type NewAPIKeyRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// NewAPIKeyReply shows a new key once.
type NewAPIKeyReply struct {
	APIKeyView
	Key string `json:"key"`
}

func (s *Service) adminAPIKeys(c *fiber.Ctx) error {
	list, err := s.st.APIKeys(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return adminError(c, err)
	}
	out := make([]APIKeyView, len(list))
	for i, k := range list {
		out[i] = apiKeyView(k)
	}
	return c.JSON(out)
}

func (s *Service) adminCreateAPIKey(c *fiber.Ctx) error {
	var req NewAPIKeyRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	p := who(c)
	var limit []string
	if p.key != nil {
		limit = p.key.Scopes
	}
	key, k, err := s.admin.CreateAPIKey(c.UserContext(), actor(p), p.agent.Tenant, req.Name, req.Scopes, limit)
	if err != nil {
		return adminError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(NewAPIKeyReply{APIKeyView: apiKeyView(k), Key: key})
}

func (s *Service) adminRevokeAPIKey(c *fiber.Ctx) error {
	p := who(c)
	k, err := s.admin.RevokeAPIKey(c.UserContext(), actor(p), p.agent.Tenant, c.Params("id"))
	if err != nil {
		return adminError(c, err)
	}
	return c.JSON(apiKeyView(k))
}

// AuditView is one audit-log entry.
type AuditView struct {
	ID     string            `json:"id"`
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target"`
	Detail map[string]string `json:"detail,omitempty"`
}

func (s *Service) adminAudit(c *fiber.Ctx) error {
	var before time.Time
	if b := c.Query("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "before must be an RFC 3339 time")
		}
		before = t
	}
	list, err := s.st.Audit(c.UserContext(), who(c).agent.Tenant, before, c.QueryInt("limit", 100))
	if err != nil {
		return adminError(c, err)
	}
	out := make([]AuditView, len(list))
	for i, e := range list {
		out[i] = AuditView{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail}
	}
	return c.JSON(out)
}

// ScopeView describes a scope.
type ScopeView struct {
	Scope   string     `json:"scope"`
	Doc     string     `json:"doc"`
	MinRole store.Role `json:"min_role"`
}

func (s *Service) adminScopes(c *fiber.Ctx) error {
	out := []ScopeView{}
	for _, sc := range scope.All() {
		out = append(out, ScopeView{Scope: sc.Name, Doc: sc.Doc, MinRole: sc.MinRole})
	}
	return c.JSON(out)
}

// PasswordRequest is the body of POST /v1/password.
type PasswordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword sets the caller's password; every session of the agent
// ends and the answer carries a new one.
func (s *Service) changePassword(c *fiber.Ctx) error {
	var req PasswordRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	p := who(c)
	ctx := c.UserContext()
	a, err := s.admin.ChangePassword(ctx, p.agent.Tenant, p.agent.ID, req.Current, req.New)
	if err != nil {
		return adminError(c, err)
	}
	token, exp, err := s.newSession(ctx, a)
	if err != nil {
		return storeError(c, err)
	}
	return c.JSON(LoginReply{Token: token, Expires: exp.UTC(), Agent: agentView(a)})
}
