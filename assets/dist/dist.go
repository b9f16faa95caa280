// Package dist embeds the built widget files (kefu.wasm, wasm_exec.js, and
// the minified and precompressed copies under min/ and z/) that `make wasm`
// writes into this folder; see README.md.
// The folder always holds README.md so the embed pattern matches even on a
// fresh clone before any build.
package dist

import (
	"embed"
	"io/fs"
	"path"
	"strings"
)

//go:embed *
var files embed.FS

// FS returns the built files. Go sources and the README are hidden; a
// file that was not built is simply absent (fs.ErrNotExist). The result is
// read-only and safe for concurrent use.
func FS() fs.FS { return built{} }

type built struct{}

func (built) Open(name string) (fs.File, error) {
	if name != "." && hidden(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return files.Open(name)
}

// ReadDir lists the built files.
func (built) ReadDir(name string) ([]fs.DirEntry, error) {
	all, err := files.ReadDir(name)
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, e := range all {
		if !hidden(path.Join(name, e.Name())) {
			out = append(out, e)
		}
	}
	return out, nil
}

func hidden(name string) bool {
	return strings.HasSuffix(name, ".go") || name == "README.md"
}
