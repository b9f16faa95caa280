// Package builtin serves the plugins built into plugins/dist (`make
// plugins`; embedded by package dist, since go:embed cannot reach a parent
// folder), so that `kefu dev` and `kefu edge` run the built-in plugins
// with no files on disk. Pass Lookup as pluginhost.Config.Builtin.
//
// `make plugins` packs the built-in plugins into one archive, Archive (a
// tar of <name>.wasm, zstd-compressed in one frame by
// internal/tools/pluginpack): the plugins are Go programs sharing their
// runtime and the PDK, so packed together they take 2.2 MB instead of 5.3
// MB as separate gzip files — the plugins were the largest part of the
// binary. Lookup decompresses up to the plugin it wants on every call
// (tens of ms; the plugin host compiles a module once and keeps it). A
// plain <name>.wasm or a gzip-compressed <name>.wasm.gz in dist is served
// too (plugins/examples/as-keyword copies its .wasm there with DIST=1),
// and comes first.
//
// Before a build, dist holds only its README.md and Names is empty; a
// host whose pipelines name a plugin that is neither built in nor in the
// plugin folder refuses to start with the plugin's name.
package builtin

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/kefu-io/kefu/plugins/dist"
)

// Archive is the name, in plugins/dist, of the packed built-in plugins.
const Archive = "builtin.tar.zst"

// maxPlugin bounds a decompressed plugin (a corrupt or hostile file must
// not fill memory). A variable so that tests can lower it.
var maxPlugin int64 = 64 << 20

// maxWindow bounds the zstd window the archive may use (pluginpack: 16 MiB).
const maxWindow = 32 << 20

// errTooLarge: a plugin decompresses to more than maxPlugin bytes.
var errTooLarge = errors.New("builtin: plugin larger than 64 MiB")

// Lookup returns the bundle of the built-in plugin name (dist/<name>.wasm,
// else dist/<name>.wasm.gz, else <name>.wasm in the archive). A plain
// .wasm's bytes are shared: callers must not modify them.
func Lookup(name string) ([]byte, bool) { return lookup(dist.FS, name) }

// Names lists the built-in plugins, sorted. The list is read once (the
// archive is decompressed to list it) and shared: do not modify it.
func Names() []string {
	namesOnce.Do(func() { embeddedNames = names(dist.FS) })
	return embeddedNames
}

// Has reports whether name is a built-in plugin, without decompressing it.
func Has(name string) bool { return slices.Contains(Names(), name) }

var (
	namesOnce     sync.Once
	embeddedNames []string
)

func lookup(fsys fs.FS, name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	if b, err := fs.ReadFile(fsys, name+".wasm"); err == nil {
		return b, true
	}
	if gz, err := fs.ReadFile(fsys, name+".wasm.gz"); err == nil {
		b, err := gunzip(gz)
		return b, err == nil
	}
	var found []byte
	err := walkArchive(fsys, func(entry string, r io.Reader) (bool, error) {
		if entry != name+".wasm" {
			return false, nil
		}
		b, err := readCapped(r)
		found = b
		return true, err
	})
	if err != nil || found == nil {
		return nil, false
	}
	return found, true
}

func names(fsys fs.FS) []string {
	seen := map[string]bool{}
	var out []string
	add := func(file string) {
		n, ok := strings.CutSuffix(file, ".wasm")
		if !ok {
			n, ok = strings.CutSuffix(file, ".wasm.gz")
		}
		if ok && n != "" && !strings.ContainsAny(n, "/\\.") && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if !e.IsDir() {
			add(e.Name())
		}
	}
	_ = walkArchive(fsys, func(entry string, _ io.Reader) (bool, error) {
		add(entry)
		return false, nil
	})
	sort.Strings(out)
	return out
}

// walkArchive calls f with each regular file of the archive (if fsys has
// one) until f says stop or returns an error. A missing archive is no error.
func walkArchive(fsys fs.FS, f func(name string, r io.Reader) (stop bool, err error)) error {
	packed, err := fs.ReadFile(fsys, Archive)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	zr, err := zstd.NewReader(bytes.NewReader(packed), zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(maxWindow))
	if err != nil {
		return fmt.Errorf("builtin: %s: %w", Archive, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("builtin: %s: %w", Archive, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		stop, err := f(h.Name, tr)
		if stop || err != nil {
			return err
		}
	}
}

func gunzip(gz []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	return readCapped(zr)
}

func readCapped(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPlugin+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxPlugin {
		return nil, errTooLarge
	}
	return b, nil
}
