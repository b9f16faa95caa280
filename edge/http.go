package edge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/contrib/websocket"
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
}

// hitsBody is the JSON body of POST /w/hits.
type hitsBody struct {
	Visitor string `json:"visitor"`
	Hits    []Hit  `json:"hits"`
}

// SiteConfig is the answer of GET /w/config?site=S.
type SiteConfig struct {
	V       int               `json:"v"`
	Site    string            `json:"site"`
	Tenant  string            `json:"tenant"`
	Region  string            `json:"region"`
	WS      string            `json:"ws"`
	Hits    string            `json:"hits"`
	MaxText int               `json:"max_text"`
	FAQ     chat.FAQPack      `json:"faq"`
	Models  map[string]string `json:"models"`
}

type siteRef struct {
	key  string
	site Site
}

// asset is a file served from memory.
type asset struct {
	body  []byte
	br    []byte // precompressed brotli, if any
	etag  string
	ctype string
}

var widgetFiles = map[string]string{
	"kefu.js":      "text/javascript; charset=utf-8",
	"kefu.css":     "text/css; charset=utf-8",
	"kefu.wasm":    "application/wasm",
	"wasm_exec.js": "text/javascript; charset=utf-8",
}

func loadWidget(fsys fs.FS) (map[string]asset, error) {
	out := make(map[string]asset)
	if fsys == nil {
		return out, nil
	}
	for name, ctype := range widgetFiles {
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("edge: read widget file %q: %w", name, err)
		}
		a := asset{body: b, etag: etag(b), ctype: ctype}
		if name == "kefu.wasm" {
			br, err := fs.ReadFile(fsys, name+".br")
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("edge: read widget file %q: %w", name+".br", err)
			}
			a.br = br
		}
		out[name] = a
	}
	return out, nil
}

func loadModels(models map[string][]byte) map[string]asset {
	out := make(map[string]asset, len(models))
	for name, b := range models {
		out[name] = asset{body: b, etag: etag(b), ctype: "application/octet-stream"}
	}
	return out
}

func etag(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// Register adds the edge's routes to app:
//
//	GET  /kefu.js /kefu.css /kefu.wasm /wasm_exec.js   widget files
//	GET  /ws?site=S                                   WebSocket (docs/PROTOCOL.md)
//	GET  /w/config?site=S                             site settings, FAQ pack, model URLs
//	GET  /w/models/<name>.kmod?site=S                 model artifacts
//	POST /w/hits?site=S                               batched local-answer hits
//	POST /v1/reveal                                   an agent reveals a PII value of this region (bearer token)
//	GET  /demo/                                       the storefront demo (DemoFS)
func (n *Node) Register(app *fiber.App) {
	for name := range widgetFiles {
		app.Get("/"+name, n.serveWidget(name))
	}
	app.Get("/ws", n.guard, func(c *fiber.Ctx) error {
		if !websocket.IsWebSocketUpgrade(c) {
			return jsonError(c, fiber.StatusUpgradeRequired, "upgrade_required", "this route speaks WebSocket (docs/PROTOCOL.md)")
		}
		return c.Next()
	}, n.admitConn, websocket.New(n.serveLimited, websocket.Config{
		// The site guard checked Origin already; the library default would refuse nothing either.
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		RecoverHandler: func(c *websocket.Conn) {
			if r := recover(); r != nil {
				metricErrors.WithLabelValues("panic").Inc()
				n.log.Error("edge: websocket handler panicked", "panic", r)
			}
		},
	}))
	app.Options("/w/*", n.guard, func(c *fiber.Ctx) error {
		c.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		c.Set("Access-Control-Allow-Headers", "Content-Type")
		c.Set("Access-Control-Max-Age", "600")
		return c.SendStatus(fiber.StatusNoContent)
	})
	app.Get("/w/config", n.guard, n.serveConfig)
	app.Get("/w/models/:file", n.guard, n.serveModel)
	app.Post("/w/hits", n.guard, n.serveHits)
	app.All("/w/*", n.guard, func(c *fiber.Ctx) error {
		return jsonError(c, fiber.StatusNotFound, "not_found", "no such widget route")
	})
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
	site, ok := n.cfg.Sites[key]
	if !ok {
		metricErrors.WithLabelValues("unknown_site").Inc()
		return jsonError(c, fiber.StatusForbidden, "unknown_site", fmt.Sprintf("unknown site %q", clip(key)))
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin != "" && len(site.Origins) > 0 && !contains(site.Origins, origin) {
		metricErrors.WithLabelValues("origin_refused").Inc()
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
	case chat.ChannelWeb, chat.ChannelApp, chat.ChannelWeChat, chat.ChannelWeCom, chat.ChannelDouyin, chat.ChannelEmail, chat.ChannelAPI:
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

func (n *Node) serveWidget(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, ok := n.widget[name]
		if !ok {
			return jsonError(c, fiber.StatusNotFound, "not_found", name+" is not built into this edge")
		}
		c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		c.Set(fiber.HeaderCacheControl, "public, max-age=300, must-revalidate")
		body, tag := a.body, a.etag
		if a.br != nil {
			c.Vary(fiber.HeaderAcceptEncoding)
			if acceptsBrotli(c.Get(fiber.HeaderAcceptEncoding)) {
				body, tag = a.br, `W/`+a.etag
				c.Set(fiber.HeaderContentEncoding, "br")
			}
		}
		return sendAsset(c, body, tag, a.ctype)
	}
}

func sendAsset(c *fiber.Ctx, body []byte, tag, ctype string) error {
	c.Set(fiber.HeaderETag, tag)
	c.Set(fiber.HeaderContentType, ctype)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && strings.Contains(inm, strings.TrimPrefix(tag, "W/")) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if c.Method() == fiber.MethodHead {
		c.Response().Header.SetContentLength(len(body))
		return nil
	}
	return c.Send(body)
}

// acceptsBrotli reports whether an Accept-Encoding header allows br.
func acceptsBrotli(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "br") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000")
	}
	return false
}

func (n *Node) serveConfig(c *fiber.Ctx) error {
	ref := c.Locals(localSite).(siteRef)
	q := "?site=" + ref.key
	cfg := SiteConfig{V: chat.ProtocolVersion, Site: ref.key, Tenant: ref.site.Tenant, Region: n.cfg.Region,
		WS: "/ws" + q, Hits: "/w/hits" + q, MaxText: n.cfg.MaxText, FAQ: ref.site.FAQ, Models: map[string]string{}}
	if cfg.FAQ.Entries == nil {
		cfg.FAQ.Entries = []chat.FAQEntry{}
	}
	names := make([]string, 0, len(n.models))
	for name := range n.models {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cfg.Models[name] = "/w/models/" + name + ".kmod" + q + "&v=" + strings.Trim(n.models[name].etag, `"`)
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.JSON(cfg)
}

func (n *Node) serveModel(c *fiber.Ctx) error {
	file := c.Params("file")
	name, ok := strings.CutSuffix(file, ".kmod")
	a, found := n.models[name]
	if !ok || !found {
		return jsonError(c, fiber.StatusNotFound, "not_found", fmt.Sprintf("no model %q", clip(file)))
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return sendAsset(c, a.body, a.etag, a.ctype)
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
	metricLocalHits.WithLabelValues(ref.site.Tenant).Add(float64(len(hb.Hits)))
	return c.SendStatus(fiber.StatusNoContent)
}

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
	return sendAsset(c, b, etag(b), ctype)
}
