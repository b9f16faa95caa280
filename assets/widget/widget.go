// Package widget embeds the browser side of the Kefu widget that the edge
// serves — the bootstrap boot.js (served as kefu.js, the one script a
// merchant adds), the loader kefu.js and its style sheet kefu.css, the
// lazily loaded rest more.js and more.css, the UI strings i18n/<lang>.json
// and, merged in from package assets/dist, the built kefu.wasm and
// wasm_exec.js with their minified and precompressed copies — and
// assembles them into the content-hashed files the edge serves (Build).
//
// The loader is plain JavaScript with no framework and no third-party
// requests: it draws the launcher and the chat panel in a Shadow DOM and
// chats over the WebSocket /ws. When the chat works (or at first need: a
// product card, a CSAT request, a photo) it fetches more.js, which carries
// photos, product cards, CSAT, identify, proactive notices, the callback
// form and the WASM core that answers the site's local FAQ entries in the
// browser (see widget/core). Its public API is window.Kefu (docs/CONTRACTS.md).
package widget

import (
	"embed"
	"errors"
	"io/fs"
	"sort"

	"github.com/kefu-io/kefu/assets/dist"
)

//go:embed kefu.js kefu.css more.js more.css boot.js i18n
var files embed.FS

// FS returns the sources (kefu.js, more.js, boot.js, kefu.css, more.css, i18n/) plus the built files of assets/dist, as
// one flat read-only file system, safe for concurrent use. A name present
// in both comes from this package.
func FS() fs.FS { return union{files, dist.FS()} }

// union overlays file systems; the first that has a name wins.
type union []fs.FS

func (u union) Open(name string) (fs.File, error) {
	var first error
	for _, f := range u {
		file, err := f.Open(name)
		if err == nil {
			return file, nil
		}
		if first == nil || !errors.Is(err, fs.ErrNotExist) {
			first = err
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return nil, first
}

// ReadDir merges the listings of every layer.
func (u union) ReadDir(name string) ([]fs.DirEntry, error) {
	seen := map[string]bool{}
	var out []fs.DirEntry
	found := false
	for _, f := range u {
		list, err := fs.ReadDir(f, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		for _, e := range list {
			if !seen[e.Name()] {
				seen[e.Name()] = true
				out = append(out, e)
			}
		}
	}
	if !found {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}
