// Package builtin serves the plugins built into plugins/dist (`make
// plugins`; embedded by package dist, since go:embed cannot reach a parent
// folder), so that `kefu dev` and `kefu edge` run the built-in plugins
// with no files on disk. Pass Lookup as pluginhost.Config.Builtin.
//
// `make plugins` stores each plugin gzip-compressed (<name>.wasm.gz, a
// quarter of the size: the plugins are most of the binary's bytes); Lookup
// decompresses on every call (~10 ms; the plugin host compiles a module
// once and keeps it). A plain <name>.wasm is served as it is.
//
// Before a build, dist holds only its README.md and Names is empty; a
// host whose pipelines name a plugin that is neither built in nor in the
// plugin folder refuses to start with the plugin's name.
package builtin

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"sort"
	"strings"

	"github.com/kefu-io/kefu/plugins/dist"
)

// maxPlugin bounds a decompressed plugin (a corrupt or hostile .gz must
// not fill memory).
const maxPlugin = 64 << 20

// Lookup returns the bundle of the built-in plugin name (dist/<name>.wasm,
// else dist/<name>.wasm.gz decompressed). A plain .wasm's bytes are
// shared: callers must not modify them.
func Lookup(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	if b, err := fs.ReadFile(dist.FS, name+".wasm"); err == nil {
		return b, true
	}
	gz, err := fs.ReadFile(dist.FS, name+".wasm.gz")
	if err != nil {
		return nil, false
	}
	b, err := gunzip(gz)
	if err != nil {
		return nil, false
	}
	return b, true
}

func gunzip(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(zr, maxPlugin+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPlugin {
		return nil, io.ErrShortBuffer
	}
	return b, nil
}

// Names lists the built-in plugins, sorted.
func Names() []string {
	entries, err := fs.ReadDir(dist.FS, ".")
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var names []string
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok {
			n, ok = strings.CutSuffix(e.Name(), ".wasm.gz")
		}
		if ok && !e.IsDir() && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
