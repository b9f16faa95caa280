package edge

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/chat"
)

// SiteConfig is the answer of GET /w/config?site=S. It stays small (a few
// hundred bytes): the FAQ pack is split by language (FAQPacks) and the
// widget fetches only the shopper's.
type SiteConfig struct {
	V       int               `json:"v"`
	Site    string            `json:"site"`
	Tenant  string            `json:"tenant"`
	Region  string            `json:"region"`
	WS      string            `json:"ws"`
	Hits    string            `json:"hits"`
	MaxText int               `json:"max_text"`
	Models  map[string]string `json:"models"`
	// FAQPacks maps a language of the site's FAQ pack (zh, zh-TW, en…) to
	// the URL of that language's pack (/w/faq/<lang>.json?site=S&v=H).
	FAQPacks map[string]string `json:"faq_packs"`
	// Greeting is the site's greeting (the tenant's widget.greeting), when set.
	Greeting string `json:"greeting,omitempty"`
	// Settings are the tenant's public settings (central's configuration).
	Settings map[string]string `json:"settings,omitempty"`
	// Identify says the site verifies identify() hashes.
	Identify bool `json:"identify,omitempty"`
	// Lang and Suggest answer /w/config?site=S&lang=L for a language L of
	// the FAQ packs: the chips under the greeting, up to SuggestN questions
	// of that language (Suggest), so the widget shows them without
	// fetching the pack, which waits for the shopper's first keystroke and
	// then is the pack of the language typed (issue 13).
	Lang    string   `json:"lang,omitempty"`
	Suggest []string `json:"suggest,omitempty"`
}

// SuggestN is how many questions /w/config suggests (SiteConfig.Suggest).
const SuggestN = 3

// Suggest returns up to n questions of a language's pack (SplitFAQ) for
// the chips under the greeting: the first paraphrase in lang of its first
// entries answered in the browser.
func Suggest(p chat.FAQPack, lang string, n int) []string {
	var out []string
	for _, e := range p.Entries {
		if len(out) == n {
			break
		}
		if q := e.Questions[lang]; e.Local && len(q) > 0 && q[0] != "" {
			out = append(out, q[0])
		}
	}
	return out
}

// asset is a file served from memory with its compressed copies.
type asset struct {
	body, br, gz []byte
	etag         string
	ctype        string
	immutable    bool
}

// Cache-Control of the three kinds of files. No "public": it only matters
// for requests with an Authorization header, which these never have.
const (
	cacheImmutable = "max-age=31536000, immutable"
	cacheShort     = "max-age=300, stale-while-revalidate=86400"
	// The config names the FAQ packs by content; short, so a knowledge
	// change (a new pack) reaches a reloaded page within seconds.
	cacheConfig = "max-age=5"
)

// loadWidget builds the widget's files from fsys (assets/widget.FS(): the
// sources plus the build outputs) and compresses each: with the copies
// `make wasm` made and checked (z/<sha256>.br|.gz), else here.
func loadWidget(fsys fs.FS) (map[string]asset, error) {
	out := make(map[string]asset)
	if fsys == nil {
		return out, nil
	}
	b, err := widget.Build(fsys, fsys)
	if errors.Is(err, widget.ErrNoLoader) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("edge: widget: %w", err)
	}
	for _, a := range b.Assets {
		out[a.Name] = newAsset(fsys, a.Body, a.Type, a.Immutable)
	}
	return out, nil
}

func loadModels(fsys fs.FS, models map[string][]byte) map[string]asset {
	out := make(map[string]asset, len(models))
	for name, b := range models {
		out[name] = newAsset(fsys, b, "application/octet-stream", true)
	}
	return out
}

// newAsset wraps body with its etag and compressed copies.
func newAsset(fsys fs.FS, body []byte, ctype string, immutable bool) asset {
	a := asset{body: body, etag: etag(body), ctype: ctype, immutable: immutable}
	a.br = precompressed(fsys, body, ".br")
	if a.br == nil {
		a.br = compress(body, ".br")
	}
	a.gz = precompressed(fsys, body, ".gz")
	if a.gz == nil {
		a.gz = compress(body, ".gz")
	}
	return a
}

// precompressed returns the build's compressed copy of body, the file
// z/<sha256 of body><ext> of fsys (assets/widget.CompressedName), or nil.
// The name binds the copy to this content and `make wasm`
// (internal/tools/widgetdist) checked that it decompresses to it
// (widget.CheckCompressed) before the binary embedded it, so it is not
// decompressed again here: that cost every start ~1 s (~2–14 s under
// -race), mostly the core's 2.4 MB, twice (kefu.wasm and its hashed name).
func precompressed(fsys fs.FS, body []byte, ext string) []byte {
	if fsys == nil {
		return nil
	}
	z, err := fs.ReadFile(fsys, widget.CompressedName(body, ext))
	if err != nil || len(z) == 0 {
		return nil
	}
	return z
}

// compress makes a copy at start-up for a file the build did not
// compress (a development build): gzip at its best, brotli at level 11
// for small files and 6 for large ones, to keep the start quick.
func compress(body []byte, ext string) []byte {
	var buf bytes.Buffer
	if ext == ".br" {
		level := brotli.BestCompression
		if len(body) > 256<<10 {
			level = 6
		}
		w := brotli.NewWriterLevel(&buf, level)
		_, _ = w.Write(body)
		_ = w.Close()
	} else {
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = w.Write(body)
		_ = w.Close()
	}
	if buf.Len() >= len(body) {
		return nil // not worth it: send the file as it is
	}
	return buf.Bytes()
}

func etag(b []byte) string {
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// serveWidget serves one of the widget's files. A script or style sheet
// that an element loads (the bootstrap's <script>, the loader's) carries
// only the headers a browser uses for it, every byte of which a shopper
// pays before the launcher shows (issue 13):
//   - no Referrer-Policy: a classic script's requests follow the page's
//     policy, never the header of the script's own response, and the
//     widget's style sheets name no URL (the header is also the
//     browsers' default, strict-origin-when-cross-origin);
//   - no Access-Control-Allow-Origin: the merchant's tag and the widget
//     load them with a <script> or <link> without crossorigin (the files
//     the page fetches — string tables, the core — keep it);
//   - for a content-hashed (immutable) one, no ETag: it is never
//     revalidated.
//
// X-Content-Type-Options: nosniff, Content-Type, Cache-Control and Vary
// stay on every file.
func (n *Node) serveWidget(a asset) fiber.Handler {
	element := strings.HasPrefix(a.ctype, "text/javascript") || strings.HasPrefix(a.ctype, "text/css")
	lean := element && a.immutable
	return func(c *fiber.Ctx) error {
		if element {
			c.Response().Header.Del(fiber.HeaderReferrerPolicy)
		}
		if !element {
			c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
		}
		if a.immutable {
			c.Set(fiber.HeaderCacheControl, cacheImmutable)
		} else {
			c.Set(fiber.HeaderCacheControl, cacheShort)
		}
		if lean {
			return sendBody(c, a)
		}
		return sendAsset(c, a)
	}
}

// sendAsset answers with a's body, brotli or gzip as the client accepts,
// or 304 when its If-None-Match names the etag.
func sendAsset(c *fiber.Ctx, a asset) error {
	tag := a.etag // the tag of a compressed copy is weak
	if a.br != nil || a.gz != nil {
		ae := c.Get(fiber.HeaderAcceptEncoding)
		if (a.br != nil && accepts(ae, "br")) || (a.gz != nil && accepts(ae, "gzip")) {
			tag = `W/` + a.etag
		}
	}
	c.Set(fiber.HeaderETag, tag)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && strings.Contains(inm, strings.TrimPrefix(a.etag, "W/")) {
		c.Set(fiber.HeaderContentType, a.ctype)
		if a.br != nil || a.gz != nil {
			c.Vary(fiber.HeaderAcceptEncoding)
		}
		return c.SendStatus(fiber.StatusNotModified)
	}
	return sendBody(c, a)
}

// sendBody answers with a's body, brotli or gzip as the client accepts.
func sendBody(c *fiber.Ctx, a asset) error {
	body := a.body
	if a.br != nil || a.gz != nil {
		c.Vary(fiber.HeaderAcceptEncoding)
		ae := c.Get(fiber.HeaderAcceptEncoding)
		switch {
		case a.br != nil && accepts(ae, "br"):
			body = a.br
			c.Set(fiber.HeaderContentEncoding, "br")
		case a.gz != nil && accepts(ae, "gzip"):
			body = a.gz
			c.Set(fiber.HeaderContentEncoding, "gzip")
		}
	}
	c.Set(fiber.HeaderContentType, a.ctype)
	if c.Method() == fiber.MethodHead {
		c.Response().Header.SetContentLength(len(body))
		return nil
	}
	return c.Send(body)
}

// accepts reports whether an Accept-Encoding header allows coding.
func accepts(h, coding string) bool {
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.TrimSpace(name)
		if !strings.EqualFold(name, coding) && name != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return !(q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000")
	}
	return false
}

// acceptsBrotli reports whether an Accept-Encoding header allows br.
func acceptsBrotli(h string) bool { return accepts(h, "br") }

func (n *Node) serveConfig(c *fiber.Ctx) error {
	ref := c.Locals(localSite).(siteRef)
	q := "?site=" + ref.key
	cfg := SiteConfig{V: chat.ProtocolVersion, Site: ref.key, Tenant: ref.site.Tenant, Region: n.cfg.Region,
		WS: "/ws" + q, Hits: "/w/hits" + q, MaxText: n.cfg.MaxText, Models: map[string]string{}, FAQPacks: map[string]string{},
		Greeting: ref.site.Greeting, Settings: ref.site.Settings, Identify: ref.site.IdentitySecret != ""}
	names := make([]string, 0, len(n.models))
	for name := range n.models {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		cfg.Models[name] = "/w/models/" + name + ".kmod" + q + "&v=" + n.models[name].version()
	}
	packs, suggest := n.faqPacks(ref)
	for lang, a := range packs {
		cfg.FAQPacks[lang] = "/w/faq/" + lang + ".json" + q + "&v=" + a.version()
	}
	// Only a language of the packs names a body of its own: the cache
	// holds at most one body per pack language and site.
	if lang := c.Query("lang"); len(suggest[lang]) > 0 {
		cfg.Lang, cfg.Suggest = lang, suggest[lang]
	}
	c.Set(fiber.HeaderCacheControl, cacheConfig)
	body, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("edge: site config %q: %w", ref.key, err)
	}
	a := n.configs.get(ref.key+"\x00"+cfg.Lang, body)
	a.ctype = fiber.MIMEApplicationJSON
	return sendBody(c, a)
}

// configCache keeps each site's (and suggestion language's) last /w/config body with its brotli and
// gzip copies: the body changes only with the site's settings, models or
// FAQ packs, and compressing it on every page load would cost the edge
// more than it saves on the wire (~1 KB of JSON, ~40% of it the
// incompressible hashes in the URLs).
type configCache struct {
	mu    sync.Mutex
	sites map[string]asset
}

// get returns body with its compressed copies, made once per distinct
// body of a site.
func (cc *configCache) get(key string, body []byte) asset {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if a, ok := cc.sites[key]; ok && bytes.Equal(a.body, body) {
		return a
	}
	a := asset{body: body, br: compress(body, ".br"), gz: compress(body, ".gz")}
	if cc.sites == nil {
		cc.sites = map[string]asset{}
	}
	cc.sites[key] = a
	return a
}

// versionLen is how many hex digits of a file's etag name its version in
// /w/config's URLs (&v=): 48 bits tell one file's versions apart, and the
// config lists every model and FAQ pack, so each digit is paid 36 times on
// the wire (issue 13).
const versionLen = 12

// version is the &v= of a's URL: the first versionLen hex digits of its etag.
func (a asset) version() string { return strings.Trim(a.etag, `"`)[:versionLen] }

// versioned sets the cache of a file addressed with &v=<version>: immutable
// when v names this content, else short.
func versioned(c *fiber.Ctx, a asset) {
	if v := c.Query("v"); v != "" && v == a.version() {
		c.Set(fiber.HeaderCacheControl, cacheImmutable)
	} else {
		c.Set(fiber.HeaderCacheControl, cacheShort)
	}
}

func (n *Node) serveModel(c *fiber.Ctx) error {
	file := c.Params("file")
	name, ok := strings.CutSuffix(file, ".kmod")
	a, found := n.models[name]
	if !ok || !found {
		return jsonError(c, fiber.StatusNotFound, "not_found", fmt.Sprintf("no model %q", clip(file)))
	}
	versioned(c, a)
	return sendAsset(c, a)
}

func (n *Node) serveFAQ(c *fiber.Ctx) error {
	ref := c.Locals(localSite).(siteRef)
	file := c.Params("file")
	lang, ok := strings.CutSuffix(file, ".json")
	packs, _ := n.faqPacks(ref)
	a, found := packs[lang]
	if !ok || !found {
		return jsonError(c, fiber.StatusNotFound, "not_found", fmt.Sprintf("no FAQ pack %q for site %q", clip(file), ref.key))
	}
	versioned(c, a)
	return sendAsset(c, a)
}

// packCache holds each site's per-language FAQ packs, made on first use,
// and each language's suggestions (Suggest).
type packCache struct {
	mu      sync.Mutex
	sites   map[string]map[string]asset
	suggest map[string]map[string][]string
}

// faqPacks returns the site's FAQ pack per language and the questions
// /w/config suggests per language.
func (n *Node) faqPacks(ref siteRef) (map[string]asset, map[string][]string) {
	n.packs.mu.Lock()
	defer n.packs.mu.Unlock()
	if p, ok := n.packs.sites[ref.key]; ok {
		return p, n.packs.suggest[ref.key]
	}
	if n.packs.sites == nil {
		n.packs.sites = map[string]map[string]asset{}
		n.packs.suggest = map[string]map[string][]string{}
	}
	p, sug := map[string]asset{}, map[string][]string{}
	site := n.sitePack(ref.site, "")
	for lang, pack := range SplitFAQ(site) {
		pack.Decline = site.Decline
		if s := Suggest(pack, lang, SuggestN); len(s) > 0 {
			sug[lang] = s
		}
		b, err := json.Marshal(pack)
		if err != nil {
			n.log.Error("edge: FAQ pack not encoded", "site", ref.key, "lang", lang, "err", err)
			continue
		}
		p[lang] = newAsset(n.cfg.WidgetFS, b, "application/json", true)
	}
	n.packs.sites[ref.key] = p
	n.packs.suggest[ref.key] = sug
	return p, sug
}

// SplitFAQ splits a FAQ pack into one pack per language of its questions:
// each entry with paraphrases in that language keeps its id, intent and Local flag, the paraphrases in that
// language and, for Local entries only (the browser answers no other), the
// answer in that language (or English). A zh-TW pack falls back to the zh
// paraphrases of an entry without zh-TW ones, and keys its answers "zh":
// the language model calls both scripts zh.
func SplitFAQ(p chat.FAQPack) map[string]chat.FAQPack {
	langs := map[string]bool{}
	for _, e := range p.Entries {
		for l := range e.Questions {
			langs[l] = true
		}
	}
	out := make(map[string]chat.FAQPack, len(langs))
	for l := range langs {
		sub := chat.FAQPack{Version: p.Version, Tenant: p.Tenant, Entries: make([]chat.FAQEntry, 0, len(p.Entries))}
		for _, e := range p.Entries {
			q := e.Questions[l]
			if len(q) == 0 && l == "zh-TW" {
				q = e.Questions["zh"]
			}
			if len(q) == 0 {
				continue // the browser cannot match it in this language
			}
			s := chat.FAQEntry{ID: e.ID, Intent: e.Intent, Local: e.Local, Questions: map[string][]string{}, Answers: map[string]string{}}
			s.Questions[l] = q
			if e.Local {
				key := l
				if l == "zh-TW" {
					key = "zh"
				}
				a := e.Answers[l]
				if a == "" && l == "zh-TW" {
					a = e.Answers["zh"]
				}
				if a != "" {
					s.Answers[key] = a
				} else if a, _ := e.Answer("en"); a != "" {
					s.Answers["en"] = a
				}
			}
			sub.Entries = append(sub.Entries, s)
		}
		out[l] = sub
	}
	return out
}
