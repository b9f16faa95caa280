package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/vault"
)

// SubjectAuthVerify is the core NATS request/reply subject where central
// tells whose agent bearer token is (chat.SubjectAuthVerify).
const SubjectAuthVerify = chat.SubjectAuthVerify

// Revealer opens the region's PII vault for an agent (plugins/ABI.md,
// vault_put). *pluginhost.Host implements it.
type Revealer interface {
	Reveal(ctx context.Context, region string, req vault.RevealRequest) (string, error)
}

// Limits of POST /v1/reveal.
const (
	maxRevealBody   = 4 << 10
	maxRevealReason = 1 << 10
)

// RevealRequest is the JSON body of POST /v1/reveal.
type RevealRequest struct {
	// Token names the value, as in label pii_tokens ("pii_…").
	Token string `json:"token"`
	// Reason is why the agent needs the value (required, ≤ 1 KiB); it goes
	// to the audit log.
	Reason string `json:"reason"`
}

// RevealReply is the answer of POST /v1/reveal.
type RevealReply struct {
	Token string `json:"token"`
	Value string `json:"value"`
}

// errUnauthorized is a missing, unknown or expired agent token.
var errUnauthorized = errors.New("edge: agent token not accepted by central")

// verifyAgent asks central whose bearer token is.
func (n *Node) verifyAgent(ctx context.Context, token string) (chat.AuthVerifyReply, error) {
	data, _ := json.Marshal(chat.AuthVerifyRequest{V: chat.AuthVerifyVersion, Token: token})
	ctx, cancel := context.WithTimeout(ctx, n.cfg.HistoryTimeout)
	defer cancel()
	m, err := n.nc.RequestWithContext(ctx, SubjectAuthVerify, data)
	if err != nil {
		return chat.AuthVerifyReply{}, fmt.Errorf("edge: %s: %w", SubjectAuthVerify, err)
	}
	var r chat.AuthVerifyReply
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return chat.AuthVerifyReply{}, fmt.Errorf("edge: %s reply: %w", SubjectAuthVerify, err)
	}
	if !r.OK() {
		return chat.AuthVerifyReply{}, fmt.Errorf("%w (%s)", errUnauthorized, r.Error)
	}
	return r, nil
}

// revealCORS sets the CORS answer headers when the request comes from one
// of the configured console origins; it reports whether it did.
func (n *Node) revealCORS(c *fiber.Ctx) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" || !slices.Contains(n.cfg.ConsoleOrigins, origin) {
		return false
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	c.Set(fiber.HeaderVary, fiber.HeaderOrigin)
	return true
}

// revealPreflight answers the browser's CORS preflight of POST /v1/reveal
// from a console on another origin (Config.ConsoleOrigins).
func (n *Node) revealPreflight(c *fiber.Ctx) error {
	if !n.revealCORS(c) {
		return jsonError(c, fiber.StatusForbidden, "origin_refused", "this origin may not call /v1/reveal")
	}
	c.Set(fiber.HeaderAccessControlAllowMethods, "POST, OPTIONS")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Authorization, Content-Type")
	c.Set(fiber.HeaderAccessControlMaxAge, "600")
	return c.SendStatus(fiber.StatusNoContent)
}

// serveReveal is POST /v1/reveal: an agent, with the bearer token central
// issued, asks for the clear value behind a PII token of its tenant. The
// value comes from this edge's region vault and is audited there. A
// console on another origin listed in Config.ConsoleOrigins gets CORS
// headers; other origins get none, so their browsers hide the answer.
// parseRevealBody decodes and checks a reveal request body (untrusted);
// the error is the reason for the client.
func parseRevealBody(body []byte) (RevealRequest, error) {
	var req RevealRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return req, errors.New("body must be JSON {token, reason}: " + err.Error())
	}
	req.Reason = strings.TrimSpace(req.Reason)
	switch {
	case req.Token == "":
		return req, errors.New("token is required")
	case !vault.VisibleReason(req.Reason):
		return req, fmt.Errorf("reason is required: at least %d visible characters", vault.MinReasonChars)
	case len(req.Reason) > maxRevealReason || !utf8.ValidString(req.Reason):
		return req, errors.New("reason must be valid UTF-8 of at most 1 KiB")
	}
	return req, nil
}

func (n *Node) serveReveal(c *fiber.Ctx) error {
	n.revealCORS(c)
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if token = strings.TrimSpace(token); !ok || token == "" {
		return jsonError(c, fiber.StatusUnauthorized, "unauthorized", "missing bearer token")
	}
	if len(c.Body()) > maxRevealBody {
		return jsonError(c, fiber.StatusRequestEntityTooLarge, "too_large", "body over 4 KiB")
	}
	req, err := parseRevealBody(c.Body())
	if err != nil {
		return jsonError(c, fiber.StatusBadRequest, "bad_request", err.Error())
	}
	who, err := n.verifyAgent(c.UserContext(), token)
	if errors.Is(err, errUnauthorized) {
		return jsonError(c, fiber.StatusUnauthorized, "unauthorized", "invalid or expired token")
	}
	if err != nil {
		n.log.Warn("edge: reveal: agent verification unavailable", "err", err)
		return jsonError(c, fiber.StatusServiceUnavailable, "unavailable", "cannot verify the token now; retry")
	}
	agent := who.Email
	if agent == "" {
		agent = who.Agent
	}
	if n.cfg.Vault == nil {
		return jsonError(c, fiber.StatusNotFound, "not_found", "unknown token")
	}
	val, err := n.cfg.Vault.Reveal(c.UserContext(), n.cfg.Region, vault.RevealRequest{
		Tenant: who.Tenant, Token: req.Token, Agent: agent, AgentRegion: n.cfg.Region, Reason: req.Reason,
	})
	switch {
	case err == nil:
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(RevealReply{Token: req.Token, Value: val})
	case errors.Is(err, vault.ErrUnknownToken), errors.Is(err, vault.ErrWrongTenant):
		// The same answer for "missing" and "not yours".
		return jsonError(c, fiber.StatusNotFound, "not_found", "unknown token")
	case errors.Is(err, vault.ErrNoReason):
		return jsonError(c, fiber.StatusBadRequest, "bad_request", "reason is required")
	case errors.Is(err, vault.ErrWrongRegion):
		return jsonError(c, fiber.StatusForbidden, "forbidden", "the value is kept in another region")
	default:
		n.log.Error("edge: reveal", "tenant", who.Tenant, "agent", agent, "err", err)
		return jsonError(c, fiber.StatusInternalServerError, "internal", "reveal failed")
	}
}
