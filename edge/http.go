package edge

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/chat"
)

// localSite is the fiber.Locals key of the resolved site.
const localSite = "kefu.site"

// Limits of POST /w/hits.
const (
	maxHitsBody  = 32 << 10
	maxHitsBatch = 100
)

// SubjectHitsPrefix + tenant is the core NATS subject where the edge
// forwards the widget's local-answer hits as a HitsRecord (JSON).
const SubjectHitsPrefix = "kefu.hits."

// HitsRecord is what the edge publishes on SubjectHitsPrefix+tenant for one
// POST /w/hits batch: the questions the widget answered in the browser,
// for analytics (core NATS, at most once).
type HitsRecord struct {
	V       int       `json:"v"`
	Type    string    `json:"type"` // "widget.hits"
	Tenant  string    `json:"tenant"`
	Region  string    `json:"region"`
	Site    string    `json:"site"`
	Visitor string    `json:"visitor,omitempty"`
	Hits    []Hit     `json:"hits"`
	At      time.Time `json:"at"`
}

// Hit is one question the widget answered locally.
type Hit struct {
	FAQID          string  `json:"faq_id,omitempty"`
	Intent         string  `json:"intent,omitempty"`
	Lang           string  `json:"lang,omitempty"`
	Score          float64 `json:"score,omitempty"`
	ConversationID string  `json:"conversation_id,omitempty"`
	At             int64   `json:"at,omitempty"` // unix milliseconds
	// ID, Question, AnswerID and Answer report the local answer itself so
	// the agent reads what the shopper read (workframes.go): sent once the
	// widget knows its conversation. Never published in a HitsRecord.
	ID       string `json:"id,omitempty"`
	Question string `json:"question,omitempty"`
	AnswerID string `json:"answer_id,omitempty"`
	Answer   string `json:"answer,omitempty"`
}

// hitsBody is the JSON body of POST /w/hits.
type hitsBody struct {
	Visitor string `json:"visitor"`
	Hits    []Hit  `json:"hits"`
}

type siteRef struct {
	key  string
	site Site
}

// Register adds the edge's routes to app:
//
//	GET  /kefu.js                                     the widget's bootstrap (stable URL, short cache)
//	GET  /kefu.<hash>.<lang>.js, /kefu.<hash>.css…    the widget's files (content-hashed, immutable; see assets/widget.Build)
//	GET  /kefu.css /kefu.wasm /wasm_exec.js           the same files under their old names
//	GET  /ws?site=S                                   WebSocket (docs/PROTOCOL.md)
//	GET  /w/config?site=S                             site settings, FAQ pack and model URLs (small)
//	GET  /w/faq/<lang>.json?site=S&v=H                the site's FAQ pack in one language (immutable with v)
//	GET  /w/models/<name>.kmod?site=S&v=H             model artifacts (immutable with v)
//	POST /w/hits?site=S                               batched local-answer hits
//	POST /v1/reveal                                   an agent reveals a PII value of this region (bearer token)
//	GET  /demo/                                       the storefront demo (DemoFS)
func (n *Node) Register(app *fiber.App) {
	for name, a := range n.widget {
		app.Get("/"+name, n.serveWidget(a))
	}
	app.Server().KeepHijackedConns = true // upgradeWS: a socket is closed by its own goroutine
	app.Get("/ws", n.guard, func(c *fiber.Ctx) error {
		if !websocket.FastHTTPIsWebSocketUpgrade(c.Context()) {
			return jsonError(c, fiber.StatusUpgradeRequired, "upgrade_required", "this route speaks WebSocket (docs/PROTOCOL.md)")
		}
		return c.Next()
	}, n.admitConn, n.upgradeWS)
	app.Options("/w/*", n.guard, func(c *fiber.Ctx) error {
		c.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		c.Set("Access-Control-Allow-Headers", "Content-Type")
		c.Set("Access-Control-Max-Age", "600")
		return c.SendStatus(fiber.StatusNoContent)
	})
	app.Get("/w/config", n.guard, n.serveConfig)
	app.Get("/w/models/:file", n.guard, n.serveModel)
	app.Get("/w/faq/:file", n.guard, n.serveFAQ)
	app.Post("/w/hits", n.guard, n.serveHits)
	app.Post("/w/upload", n.guard, n.serveUpload)
	app.All("/w/*", n.guard, func(c *fiber.Ctx) error {
		return jsonError(c, fiber.StatusNotFound, "not_found", "no such widget route")
	})
	app.All("/channels/:kind/:id", n.serveChannel)
	app.Options("/v1/reveal", n.revealPreflight)
	app.Post("/v1/reveal", n.serveReveal)
	if n.cfg.DemoFS != nil {
		app.Get("/demo/*", n.serveDemo)
	}
}

// guard resolves ?site= and checks Origin; unknown sites and refused
// origins get 403.
func (n *Node) guard(c *fiber.Ctx) error {
	key := c.Query("site")
	site, ok := n.site(key)
	if !ok {
		n.m.errors.WithLabelValues("unknown_site").Inc()
		return jsonError(c, fiber.StatusForbidden, "unknown_site", fmt.Sprintf("unknown site %q", clip(key)))
	}
	origin := c.Get(fiber.HeaderOrigin)
	if !site.AllowsOrigin(origin, string(c.Request().Host())) {
		n.m.errors.WithLabelValues("origin_refused").Inc()
		return jsonError(c, fiber.StatusForbidden, "origin_refused", fmt.Sprintf("origin %q is not allowed for site %q", clip(origin), key))
	}
	if ch := c.Query("channel"); ch != "" && !knownChannel(chat.Channel(ch)) {
		return jsonError(c, fiber.StatusBadRequest, "bad_request", fmt.Sprintf("unknown channel %q", clip(ch)))
	}
	if origin != "" {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Vary(fiber.HeaderOrigin)
	}
	c.Locals(localSite, siteRef{key: key, site: site})
	return c.Next()
}

func knownChannel(ch chat.Channel) bool {
	switch ch {
	case chat.ChannelWeb, chat.ChannelApp, chat.ChannelWeChat, chat.ChannelWeCom, chat.ChannelDouyin, chat.ChannelEmail, chat.ChannelAPI,
		chat.ChannelTelegram, chat.ChannelWhatsApp, chat.ChannelWebhook:
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func jsonError(c *fiber.Ctx, status int, code, reason string) error {
	return c.Status(status).JSON(fiber.Map{"error": reason, "code": code})
}

func (n *Node) serveHits(c *fiber.Ctx) error {
	ref := c.Locals(localSite).(siteRef)
	body := c.Body()
	if len(body) > maxHitsBody {
		return jsonError(c, fiber.StatusRequestEntityTooLarge, chat.CodeTooLarge, fmt.Sprintf("body over %d bytes", maxHitsBody))
	}
	var hb hitsBody
	if err := json.Unmarshal(body, &hb); err != nil {
		return jsonError(c, fiber.StatusBadRequest, "bad_request", "body is not a JSON hits batch: "+err.Error())
	}
	if len(hb.Hits) == 0 {
		return jsonError(c, fiber.StatusBadRequest, "bad_request", "hits is empty")
	}
	if len(hb.Hits) > maxHitsBatch {
		return jsonError(c, fiber.StatusRequestEntityTooLarge, chat.CodeTooLarge, fmt.Sprintf("%d hits, the limit is %d per batch", len(hb.Hits), maxHitsBatch))
	}
	if hb.Visitor != "" && !chat.ValidID(hb.Visitor) {
		return jsonError(c, fiber.StatusBadRequest, "bad_request", "visitor is not 1-64 characters of [0-9A-Za-z_-]")
	}
	for i, h := range hb.Hits {
		if h.FAQID == "" && h.Intent == "" {
			return jsonError(c, fiber.StatusBadRequest, "bad_request", fmt.Sprintf("hit %d has neither faq_id nor intent", i))
		}
		// Hits skip the plugins: their fields may only have the shape of
		// ids, never free text that could carry personal data.
		if h.FAQID != "" && !validHintTag(h.FAQID) || h.Intent != "" && !validHintTag(h.Intent) || h.Lang != "" && hintLang(h.Lang) == "" ||
			(h.ConversationID != "" && !chat.ValidID(h.ConversationID)) {
			return jsonError(c, fiber.StatusBadRequest, "bad_request", fmt.Sprintf("hit %d has an oversized or malformed field", i))
		}
		if err := checkLocalReport(h, hb.Visitor); err != nil {
			return jsonError(c, fiber.StatusBadRequest, "bad_request", fmt.Sprintf("hit %d: %v", i, err))
		}
	}
	if err := n.reportLocal(c.UserContext(), ref, hb.Visitor, hb.Hits); err != nil {
		n.log.Warn("edge: local answers not forwarded", "tenant", ref.site.Tenant, "err", err)
		return jsonError(c, fiber.StatusServiceUnavailable, chat.CodeUnavailable, "could not forward the local answers now; retry")
	}
	for i := range hb.Hits { // analytics get the shape, never the texts
		hb.Hits[i].ID, hb.Hits[i].Question, hb.Hits[i].AnswerID, hb.Hits[i].Answer = "", "", "", ""
	}
	rec := HitsRecord{V: chat.ProtocolVersion, Type: "widget.hits", Tenant: ref.site.Tenant, Region: n.cfg.Region,
		Site: ref.key, Visitor: hb.Visitor, Hits: hb.Hits, At: time.Now().UTC()}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("edge: encode hits: %w", err)
	}
	if err := n.nc.Publish(SubjectHitsPrefix+chat.SubjectToken(ref.site.Tenant), data); err != nil {
		n.log.Warn("edge: hits not forwarded", "tenant", ref.site.Tenant, "err", err)
		return jsonError(c, fiber.StatusServiceUnavailable, chat.CodeUnavailable, "could not forward hits now")
	}
	n.m.localHits.WithLabelValues(ref.site.Tenant).Add(float64(len(hb.Hits)))
	return c.SendStatus(fiber.StatusNoContent)
}

// DemoCSP is the Content-Security-Policy of the storefront demo page: the
// entries a merchant page needs to embed the widget from its edge, on a
// page served by the edge itself (docs: SECURITY.md, "Embedding the
// widget"): scripts and the WASM from the edge ('wasm-unsafe-eval' lets
// WebAssembly compile), the socket and widget routes on the edge, product
// images over https; framed only by itself.
const DemoCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"

// serveDemo serves DemoFS; a path ending in / serves its index.html.
func (n *Node) serveDemo(c *fiber.Ctx) error {
	if c.Path() == "/demo" {
		return c.Redirect("/demo/", fiber.StatusMovedPermanently)
	}
	p := c.Params("*")
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	p = path.Clean(p)
	if !fs.ValidPath(p) {
		return jsonError(c, fiber.StatusNotFound, "not_found", "no such demo file")
	}
	b, err := fs.ReadFile(n.cfg.DemoFS, p)
	if err != nil {
		return jsonError(c, fiber.StatusNotFound, "not_found", "no such demo file")
	}
	ctype := mime.TypeByExtension(path.Ext(p))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	if strings.HasSuffix(p, ".html") {
		c.Set(fiber.HeaderContentSecurityPolicy, DemoCSP)
	}
	return sendAsset(c, asset{body: b, etag: etag(b), ctype: ctype})
}

// writeBuffers lends WebSocket write buffers to connections while they write.
var writeBuffers = &sync.Pool{}
