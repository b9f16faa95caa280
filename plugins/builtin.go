// Package plugins holds the built-in edge plugins compiled into the kefu
// binary, so `kefu dev` and `kefu edge` need no plugin files on disk.
// `make plugins` writes plugins/dist/<name>.wasm (GOOS=wasip1 reactors) before
// the binary is built; a binary built without them has no built-in plugins,
// and Lookup reports false.
package plugins

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Lookup returns the bundle of the built-in plugin name ("pii-redact").
// The returned slice is shared: callers must not modify it.
func Lookup(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := dist.ReadFile("dist/" + name + ".wasm")
	if err != nil {
		return nil, false
	}
	return b, true
}

// Names lists the built-in plugins, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(dist, "dist")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".wasm"); ok && !e.IsDir() {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
