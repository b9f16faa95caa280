package widget

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/andybalholm/brotli"
)

// Languages are the UI languages of the widget, one i18n/<code>.json each.
// The loader picks one from data-lang, the page's lang or the browser, and
// switches when the shopper writes in another (Kefu.setLanguage).
var Languages = []string{"en", "zh-CN", "zh-TW", "de", "fr", "es", "ja", "ko", "ar", "ru", "pt", "it"}

// Asset is one file the edge serves for the widget.
type Asset struct {
	// Name is the path under the edge root, without the leading slash:
	// "kefu.js" (the stable bootstrap), "kefu.<hash>.en.js" (a loader),
	// "kefu.<hash>.css", "kefu.<hash>.wasm"…
	Name string
	// Type is the Content-Type.
	Type string
	// Body is the file as served without compression.
	Body []byte
	// Immutable says the name carries a hash of the content: caches may
	// keep it forever. Only the bootstrap kefu.js and the legacy unhashed
	// names (kefu.css, kefu.wasm, wasm_exec.js) are mutable.
	Immutable bool
}

// Bundle is the set of files of one widget build.
type Bundle struct {
	// Assets are every file, bootstrap first.
	Assets []Asset
	// Hash is the content hash shared by the loaders and their string
	// tables (kefu.<Hash>.<lang>.js, kefu.<Hash>.<lang>.json).
	Hash string
}

// Placeholders the build replaces in kefu.js, more.js and boot.js: all are
// valid JavaScript string literals before the replacement.
const (
	markStrings = `"@@STRINGS@@"` // the UI strings of the bundle's language that the file uses (kefu.js, more.js)
	markAssets  = `"@@ASSETS@@"`  // {css, strings} (kefu.js); {css2, wasm, exec, strings, langs} (more.js); {strings, langs} (boot.js)
	// markCSS becomes ["<the file's minified style sheet>"] (kefu.js:
	// kefu.css, more.js: more.css), which the page adopts as a
	// constructed style sheet: no request before the launcher shows. The
	// style sheets stay served under their names for browsers without
	// constructed style sheets.
	markCSS = `"@@CSS@@"`
)

// chunkStrings are the keys of a language's string table that only the
// lazily loaded chunk more.js uses (photos, product cards, CSAT, the
// callback form, popular questions, the events of a handoff and the human
// queue, the instant-answer mark, the texts of error frames); "q" names
// those of the queue's table, all of which the chunk uses, "e" the errors'. The loader carries the others, except
// unusedStrings; the whole table is kefu.<H>.<lang>.json, which
// Kefu.setLanguage fetches.
var chunkStrings = map[string]bool{
	"photo": true, "photo_type": true, "photo_size": true, "csat_q": true, "csat_thanks": true, "star": true,
	"stock_in": true, "stock_out": true, "view": true, "suggest": true, "attach": true, "instant": true,
	"handoff": true, "assigned": true, "closed": true, "typing": true, "q": true, "e": true,
}

// unusedStrings are keys neither script reads (kept in the tables for
// translators and older widgets).
var unusedStrings = map[string]bool{"you": true, "bot": true, "today": true, "chat": true}

// splitStrings divides a string table between the loader and the chunk.
func splitStrings(all map[string]any) (loader, chunk map[string]any) {
	loader, chunk = map[string]any{}, map[string]any{}
	for k, v := range all {
		if sub, ok := v.(map[string]any); ok && !chunkStrings[k] {
			l, c := map[string]any{}, map[string]any{}
			for k2, v2 := range sub {
				if chunkStrings[k+"."+k2] {
					c[k2] = v2
				} else {
					l[k2] = v2
				}
			}
			loader[k] = l
			if len(c) > 0 {
				chunk[k] = c
			}
			continue
		}
		switch {
		case chunkStrings[k]:
			chunk[k] = v
		case !unusedStrings[k]:
			loader[k] = v
		}
	}
	return loader, chunk
}

// ErrNoLoader is returned by Build when the source file system has no
// kefu.js.
var ErrNoLoader = errors.New("widget: no kefu.js in the source files")

// Build assembles the widget from src (FS(), or the source folder) and
// the built files in dist (kefu.wasm, wasm_exec.js, and min/<sha>.js|css:
// minified copies made by `make wasm`, looked up by the SHA-256 of the
// unminified text so that a stale build output is never served).
//
// The files:
//
//	kefu.js                    bootstrap: tiny, stable URL, short cache; loads the loader for the page's language
//	kefu.<H>.<lang>.js         the loader with one language's strings (immutable): a text chat over the WebSocket
//	kefu.<H>.<lang>.more.js    the rest (more.js: photos, cards, CSAT, identify, the core…), fetched after the chat works (immutable)
//	kefu.<H>.<lang>.json       that language's strings, for switching language (immutable)
//	kefu.<h>.css               the loader's style sheet; another kefu.<h>.css, the chunk's (immutable)
//	kefu.<h>.wasm, wasm_exec.<h>.js   the core and its Go glue (immutable), when built
//	kefu.css, kefu.wasm, wasm_exec.js  the same under the old names (mutable)
//
// A src without boot.js (an older or test file set) is served as it is:
// kefu.js is then the loader itself.
func Build(src, dist fs.FS) (Bundle, error) {
	if dist == nil {
		dist = emptyFS{}
	}
	loader, err := fs.ReadFile(src, "kefu.js")
	if errors.Is(err, fs.ErrNotExist) {
		return Bundle{}, ErrNoLoader
	}
	if err != nil {
		return Bundle{}, fmt.Errorf("widget: read kefu.js: %w", err)
	}
	boot, err := fs.ReadFile(src, "boot.js")
	if errors.Is(err, fs.ErrNotExist) {
		return plain(src, dist, loader)
	}
	if err != nil {
		return Bundle{}, fmt.Errorf("widget: read boot.js: %w", err)
	}
	chunk, err := fs.ReadFile(src, "more.js")
	if err != nil {
		return Bundle{}, fmt.Errorf("widget: read more.js: %w", err)
	}
	var b Bundle
	add := func(name, ctype string, body []byte, immutable bool) {
		b.Assets = append(b.Assets, Asset{Name: name, Type: ctype, Body: body, Immutable: immutable})
	}
	assets := map[string]any{"langs": Languages}
	css, err := fs.ReadFile(src, "kefu.css")
	if err != nil {
		return Bundle{}, fmt.Errorf("widget: read kefu.css: %w", err)
	}
	css = minified(dist, css, ".css")
	cssName := "kefu." + short(css) + ".css"
	assets["css"] = cssName
	css2, err := fs.ReadFile(src, "more.css")
	if err != nil {
		return Bundle{}, fmt.Errorf("widget: read more.css: %w", err)
	}
	css2 = minified(dist, css2, ".css")
	css2Name := "kefu." + short(css2) + ".css"
	assets["css2"] = css2Name
	var late []Asset
	late = append(late, Asset{Name: cssName, Type: typeCSS, Body: css, Immutable: true}, Asset{Name: "kefu.css", Type: typeCSS, Body: css},
		Asset{Name: css2Name, Type: typeCSS, Body: css2, Immutable: true})
	for _, f := range []struct{ file, key, stem, ext, ctype string }{
		{"kefu.wasm", "wasm", "kefu", ".wasm", "application/wasm"},
		{"wasm_exec.js", "exec", "wasm_exec", ".js", typeJS},
	} {
		body, err := fs.ReadFile(dist, f.file)
		if errors.Is(err, fs.ErrNotExist) {
			continue // not built: the widget answers over the network only
		}
		if err != nil {
			return Bundle{}, fmt.Errorf("widget: read %s: %w", f.file, err)
		}
		if f.ext == ".js" {
			body = minified(dist, body, ".js")
		}
		name := f.stem + "." + short(body) + f.ext
		assets[f.key] = name
		late = append(late, Asset{Name: name, Type: f.ctype, Body: body, Immutable: true}, Asset{Name: f.file, Type: f.ctype, Body: body})
	}
	stringsOf := make(map[string][]byte, len(Languages))
	loaderStrings := make(map[string][]byte, len(Languages))
	chunkStringsOf := make(map[string][]byte, len(Languages))
	h := sha256.New()
	h.Write(loader)
	h.Write(chunk)
	for _, lang := range Languages {
		raw, err := fs.ReadFile(src, "i18n/"+lang+".json")
		if err != nil {
			return Bundle{}, fmt.Errorf("widget: strings of %s: %w", lang, err)
		}
		var probe map[string]any
		if err := json.Unmarshal(raw, &probe); err != nil {
			return Bundle{}, fmt.Errorf("widget: strings of %s: %w", lang, err)
		}
		compact, _ := json.Marshal(probe) // sorted keys, no indentation
		stringsOf[lang] = compact
		l, c := splitStrings(probe)
		loaderStrings[lang], _ = json.Marshal(l)
		chunkStringsOf[lang], _ = json.Marshal(c)
		h.Write(compact)
	}
	fixed, _ := json.Marshal(assets) // css, wasm, exec names: part of the hash
	h.Write(fixed)
	b.Hash = hex.EncodeToString(h.Sum(nil))[:10]
	assets["strings"] = "kefu." + b.Hash + "."
	assetsJSON, _ := json.Marshal(assets)
	if bytes.Count(loader, []byte(markStrings)) != 1 || bytes.Count(loader, []byte(markAssets)) != 1 {
		return Bundle{}, fmt.Errorf("widget: kefu.js needs the %s and %s placeholders once each", markStrings, markAssets)
	}
	if bytes.Count(boot, []byte(markAssets)) != 1 {
		return Bundle{}, fmt.Errorf("widget: boot.js needs the %s placeholder once", markAssets)
	}
	if bytes.Count(chunk, []byte(markStrings)) != 1 || bytes.Count(chunk, []byte(markCSS)) != 1 || bytes.Count(chunk, []byte(markAssets)) != 1 {
		return Bundle{}, fmt.Errorf("widget: more.js needs the %s, %s and %s placeholders once each", markStrings, markCSS, markAssets)
	}
	if bytes.Count(loader, []byte(markCSS)) != 1 {
		return Bundle{}, fmt.Errorf("widget: kefu.js needs the %s placeholder once", markCSS)
	}
	loader = bytes.Replace(loader, []byte(markCSS), cssArray(css), 1)
	chunk = bytes.Replace(chunk, []byte(markCSS), cssArray(css2), 1)
	// The loader names only what it loads itself (its style sheet's copy
	// and the chunk): the core's, the glue's and the languages' names are
	// the chunk's, every byte of the loader comes before the launcher shows.
	loaderAssets, _ := json.Marshal(map[string]any{"css": assets["css"], "strings": assets["strings"]})
	delete(assets, "css")
	chunkAssets, _ := json.Marshal(assets)
	chunk = bytes.Replace(chunk, []byte(markAssets), chunkAssets, 1)
	assetsJSON = loaderAssets
	// The bootstrap needs only the languages and the loaders' stem: every
	// byte of it comes before the launcher shows.
	bootAssets, _ := json.Marshal(map[string]any{"langs": Languages, "strings": assets["strings"]})
	bootBody := minified(dist, bytes.Replace(boot, []byte(markAssets), bootAssets, 1), ".js")
	add("kefu.js", typeJS, bootBody, false)
	for _, lang := range Languages {
		body := bytes.Replace(loader, []byte(markStrings), loaderStrings[lang], 1)
		body = bytes.Replace(body, []byte(markAssets), assetsJSON, 1)
		add("kefu."+b.Hash+"."+lang+".js", typeJS, minified(dist, body, ".js"), true)
		add("kefu."+b.Hash+"."+lang+".json", "application/json", stringsOf[lang], true)
		more := bytes.Replace(chunk, []byte(markStrings), chunkStringsOf[lang], 1)
		add("kefu."+b.Hash+"."+lang+".more.js", typeJS, minified(dist, more, ".js"), true)
	}
	b.Assets = append(b.Assets, late...)
	return b, nil
}

// cssArray is a style sheet as a one-element JSON array (markCSS).
func cssArray(css []byte) []byte {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false) // a JavaScript string: ">" needs no escape
	_ = e.Encode([]string{string(css)})
	return bytes.TrimSpace(b.Bytes())
}

// emptyFS has no files: a build without outputs.
type emptyFS struct{}

func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

const (
	typeJS  = "text/javascript; charset=utf-8"
	typeCSS = "text/css; charset=utf-8"
)

// plain serves a source set without boot.js as it is.
func plain(src, dist fs.FS, loader []byte) (Bundle, error) {
	b := Bundle{Assets: []Asset{{Name: "kefu.js", Type: typeJS, Body: loader}}}
	for _, f := range []struct {
		fsys        fs.FS
		name, ctype string
	}{{src, "kefu.css", typeCSS}, {dist, "kefu.wasm", "application/wasm"}, {dist, "wasm_exec.js", typeJS}} {
		body, err := fs.ReadFile(f.fsys, f.name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Bundle{}, fmt.Errorf("widget: read %s: %w", f.name, err)
		}
		b.Assets = append(b.Assets, Asset{Name: f.name, Type: f.ctype, Body: body})
	}
	return b, nil
}

// MinName is where `make wasm` puts the minified copy of a text whose
// unminified form is src, in the dist folder: min/<sha256 of src><ext>.
func MinName(src []byte, ext string) string {
	s := sha256.Sum256(src)
	return path.Join("min", hex.EncodeToString(s[:])+ext)
}

// CompressedName is where `make wasm` puts a compressed copy (ext ".br"
// or ".gz") of a served file whose content is body, in the dist folder:
// z/<sha256 of body><ext>. The build (internal/tools/widgetdist) checks
// every copy it keeps with CheckCompressed; the edge serves a copy of
// that name as it is.
func CompressedName(body []byte, ext string) string {
	s := sha256.Sum256(body)
	return path.Join("z", hex.EncodeToString(s[:])+ext)
}

// ErrCompressedCopy says a compressed copy does not decompress to the file
// it is named after.
var ErrCompressedCopy = errors.New("widget: compressed copy does not match its file")

// CheckCompressed returns nil when z, a brotli (ext ".br") or gzip (".gz")
// copy, decompresses to exactly body, else an error wrapping
// ErrCompressedCopy (a truncated or foreign copy).
func CheckCompressed(z, body []byte, ext string) error {
	var r io.Reader
	switch ext {
	case ".br":
		r = brotli.NewReader(bytes.NewReader(z))
	case ".gz":
		gr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCompressedCopy, err)
		}
		r = gr
	default:
		return fmt.Errorf("%w: unknown extension %q", ErrCompressedCopy, ext)
	}
	got, err := io.ReadAll(io.LimitReader(r, int64(len(body))+1))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCompressedCopy, err)
	}
	if !bytes.Equal(got, body) {
		return fmt.Errorf("%w: %d bytes decompressed, want the %d of the file", ErrCompressedCopy, len(got), len(body))
	}
	return nil
}

// minified returns dist's minified copy of body when the build made one.
func minified(dist fs.FS, body []byte, ext string) []byte {
	if dist == nil {
		return body
	}
	if m, err := fs.ReadFile(dist, MinName(body, ext)); err == nil && len(m) > 0 {
		return m
	}
	return body
}

// Unminified returns the texts Build would minify when dist has no
// minified copy yet: what `make wasm` feeds its minifier, keyed by
// MinName. Call it repeatedly with a dist that gains the copies: the
// bootstrap and loaders embed the names of the minified style sheet and
// glue, so they are known only after those are minified.
func Unminified(src, dist fs.FS) (map[string][]byte, error) {
	out := map[string][]byte{}
	b, err := Build(src, dist)
	if err != nil {
		return nil, err
	}
	for _, a := range b.Assets {
		ext := path.Ext(a.Name)
		if ext != ".js" && ext != ".css" {
			continue
		}
		if !a.Immutable && a.Name != "kefu.js" {
			continue
		}
		if _, err := fs.Stat(dist, MinName(a.Body, ext)); err == nil {
			continue // a.Body is the unminified text only when its copy is missing
		}
		if looksMinified(a.Body) {
			continue
		}
		out[MinName(a.Body, ext)] = a.Body
	}
	return out, nil
}

// looksMinified is true for a text with few line breaks per byte: an
// already minified file (or one that was minified in an earlier pass).
func looksMinified(b []byte) bool {
	return len(b) > 0 && bytes.Count(b, []byte("\n"))*400 < len(b)
}

// Names returns the asset names of b, sorted.
func (b Bundle) Names() []string {
	out := make([]string, len(b.Assets))
	for i, a := range b.Assets {
		out[i] = a.Name
	}
	sort.Strings(out)
	return out
}

func short(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])[:10]
}

// LoaderLang maps a language tag (a browser's "zh-Hant-TW", the core's
// "zh") to one of Languages, "" when none fits.
func LoaderLang(tag string) string {
	t := strings.ToLower(strings.ReplaceAll(tag, "_", "-"))
	if strings.HasPrefix(t, "zh") {
		if strings.Contains(t, "tw") || strings.Contains(t, "hk") || strings.Contains(t, "mo") || strings.Contains(t, "hant") {
			return "zh-TW"
		}
		return "zh-CN"
	}
	base, _, _ := strings.Cut(t, "-")
	for _, l := range Languages {
		if l == base {
			return l
		}
	}
	return ""
}
