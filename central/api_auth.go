package central

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/openapi"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/store"
)

// Error codes of authorization.
const (
	// CodeScopeMissing: the API key lacks the operation's scope, or the
	// agent's role does not reach it.
	CodeScopeMissing = "scope_missing"
	// CodePasswordChange: the agent logged in with a one-time password and
	// must set a new one (POST /v1/password) before anything else.
	CodePasswordChange = "password_change_required"
	// CodeSessionRequired: the operation is for agents' sessions, not API keys.
	CodeSessionRequired = "session_required"
	// CodeDisabled: the agent's account is disabled.
	CodeDisabled = "disabled"
)

// Authentication and authorization of /v1 (the package doc of
// central/openapi says how a route declares its scopes):
//
//   - Authorization: Bearer <token> carries an agent's session token (from
//     POST /v1/login) or an API key ("kefu_…", `kefu admin apikey create`).
//   - An API key acts for its tenant only, on the operations whose
//     security entry lists scopes it holds all of; anything else is 403
//     scope_missing, as is an operation without a security entry.
//   - A session acts for its agent: each scope the operation lists needs the
//     agent's role to reach the scope's least role (403 scope_missing).
//   - A session made with a one-time password may only read /v1/me, change
//     the password and log out (403 password_change_required).

// resolveBearer turns a bearer token into its principal: an API key
// ("kefu_…") or an agent's session.
func (s *Service) resolveBearer(ctx context.Context, token string) (principal, error) {
	if strings.HasPrefix(token, admin.APIKeyPrefix) {
		k, err := s.st.APIKeyByHash(ctx, admin.HashKey(token))
		if err != nil {
			return principal{}, err
		}
		name := k.Name
		if name == "" {
			name = "API key " + k.Prefix
		}
		return principal{agent: store.Agent{ID: "apikey:" + k.ID, Tenant: k.Tenant, Name: name}, key: &k}, nil
	}
	return s.resolve(ctx, token)
}

// authenticate is the middleware of every authenticated /v1 route.
func (s *Service) authenticate(c *fiber.Ctx) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		return apiError(c, fiber.StatusUnauthorized, CodeUnauthorized, "missing bearer token (Authorization: Bearer <session token | API key>)")
	}
	p, err := s.resolveBearer(c.UserContext(), token)
	if err != nil {
		if errors.Is(err, errDisabled) {
			return apiError(c, fiber.StatusUnauthorized, CodeDisabled, "this agent account is disabled")
		}
		return apiError(c, fiber.StatusUnauthorized, CodeUnauthorized, "invalid, revoked or expired token")
	}
	op, found := s.spec.Find(c.Method(), c.Path())
	if p.key != nil {
		if !found || !op.Secured {
			return apiError(c, fiber.StatusForbidden, CodeScopeMissing, "this operation is not open to API keys")
		}
		for _, sc := range op.Scopes {
			if !slices.Contains(p.key.Scopes, sc) {
				return apiError(c, fiber.StatusForbidden, CodeScopeMissing, fmt.Sprintf("the API key lacks scope %s", sc))
			}
		}
	} else {
		if p.agent.MustChangePassword && !(found && passwordChangeOps[op.Method+" "+op.Path]) {
			return apiError(c, fiber.StatusForbidden, CodePasswordChange, "set a new password first (POST /v1/password): you logged in with a one-time password")
		}
		for _, sc := range op.Scopes {
			min := store.RoleAgent
			if d, ok := scope.Lookup(sc); ok {
				min = d.MinRole
			}
			if !p.agent.Role.AtLeast(min) {
				return apiError(c, fiber.StatusForbidden, CodeScopeMissing,
					fmt.Sprintf("your role (%s) does not include scope %s (needs %s)", p.agent.Role, sc, min))
			}
		}
	}
	c.Locals("principal", p)
	return c.Next()
}

// passwordChangeOps are what a session with a one-time password may do.
var passwordChangeOps = map[string]bool{
	"GET /v1/me": true, "POST /v1/password": true, "POST /v1/logout": true, "GET /v1/console/config": true,
}

// errDisabled is a disabled agent's session.
var errDisabled = errors.New("central: agent disabled")

// sessionOnly refuses API keys on routes for agents' sessions.
func sessionOnly(c *fiber.Ctx) error {
	if who(c).key != nil {
		return apiError(c, fiber.StatusForbidden, CodeSessionRequired, "this operation needs an agent's session, not an API key")
	}
	return c.Next()
}

// openapiDoc serves GET /v1/openapi.json.
func (s *Service) openapiDoc(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return c.Send(s.spec.JSON())
}

// Spec returns the OpenAPI document of the REST API.
func (s *Service) Spec() *openapi.Spec { return s.spec }

// newSession stores a session for agent a and returns its bearer token.
func (s *Service) newSession(ctx context.Context, a store.Agent) (string, time.Time, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("central: session token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	exp := time.Now().Add(s.cfg.TokenTTL)
	if err := s.st.PutSession(ctx, store.Session{TokenHash: hashToken(token), Tenant: a.Tenant, AgentID: a.ID, Expires: exp}); err != nil {
		return "", time.Time{}, err
	}
	return token, exp, nil
}

// configChanged is called by the admin service after a change edges must
// see: the tenant's site configuration is published now (siteconfig.go).
func (s *Service) configChanged(ctx context.Context, tenant string) {
	if s.sites == nil {
		return
	}
	if err := s.sites.publishTenant(ctx, tenant); err != nil {
		s.log.Warn("site config: publish", "tenant", tenant, "err", err, "retry", "next poll")
	}
}
