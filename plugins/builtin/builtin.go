// Package builtin serves the plugins built into plugins/dist (`make
// plugins`; embedded by package dist, since go:embed cannot reach a parent
// folder), so that `kefu dev` and `kefu edge` run the built-in plugins
// with no files on disk. Pass Lookup as pluginhost.Config.Builtin.
//
// Before a build, dist holds only its README.md and Names is empty; a
// host whose pipelines name a plugin that is neither built in nor in the
// plugin folder refuses to start with the plugin's name.
package builtin

import (
	"io/fs"
	"sort"
	"strings"

	"github.com/kefu-io/kefu/plugins/dist"
)

// Lookup returns the bundle of the built-in plugin name (dist/<name>.wasm).
// The bytes are shared: callers must not modify them.
func Lookup(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := fs.ReadFile(dist.FS, name+".wasm")
	if err != nil {
		return nil, false
	}
	return b, true
}

// Names lists the built-in plugins, sorted.
func Names() []string {
	entries, err := fs.ReadDir(dist.FS, ".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".wasm"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
