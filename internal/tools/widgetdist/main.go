// Command widgetdist prepares the widget's files for serving at build time
// (`make wasm` runs it after building kefu.wasm): it minifies the loader,
// bootstrap, glue and style sheet with esbuild into assets/dist/min/ and
// writes a brotli (level 11) and a gzip (level 9) copy of every file the
// edge serves — the widget's and the browser models — into assets/dist/z/,
// each named by the SHA-256 of the uncompressed text (assets/widget.MinName,
// CompressedName), so a stale copy can never be served. A copy an earlier
// build left is kept only when it decompresses to its file
// (widget.CheckCompressed): the edge serves the copies without decompressing
// them again. Files are written under a temporary name and renamed; files of an
// earlier build that nothing names any more are removed.
//
// esbuild is a build-time dependency only: neither the edge nor kefu
// imports it (the edge serves the unminified files when no copy exists).
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/andybalholm/brotli"
	"github.com/evanw/esbuild/pkg/api"

	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/models/artifacts"
)

func main() {
	src := flag.String("src", "assets/widget", "widget sources")
	dist := flag.String("dist", "assets/dist", "build output folder")
	flag.Parse()
	if err := run(*src, *dist); err != nil {
		fmt.Fprintln(os.Stderr, "widgetdist:", err)
		os.Exit(1)
	}
}

func run(srcDir, distDir string) error {
	src, dist := os.DirFS(srcDir), os.DirFS(distDir)
	keep := map[string]bool{}
	// Minify in passes: the loaders name the minified style sheet and glue,
	// so they change once those exist.
	for pass := 0; pass < 4; pass++ {
		todo, err := widget.Unminified(src, dist)
		if err != nil {
			return err
		}
		if len(todo) == 0 {
			break
		}
		for name, text := range todo {
			out, err := minify(text, filepath.Ext(name))
			if err != nil {
				return fmt.Errorf("minify %s: %w", name, err)
			}
			if err := write(distDir, name, out); err != nil {
				return err
			}
		}
	}
	b, err := widget.Build(src, dist)
	if err != nil {
		return err
	}
	bodies := map[string][]byte{}
	for _, a := range b.Assets {
		bodies[a.Name] = a.Body
	}
	for name, m := range artifacts.WidgetModels() {
		bodies[name+".kmod"] = m
	}
	for _, body := range bodies {
		for _, ext := range []string{".br", ".gz"} {
			zname := widget.CompressedName(body, ext)
			keep[zname] = true
			// The edge serves the copy of this name as it is: an earlier
			// build's copy is kept only when it decompresses to the file.
			if z, err := fs.ReadFile(dist, zname); err == nil && widget.CheckCompressed(z, body, ext) == nil {
				continue
			}
			z := compress(body, ext)
			if err := write(distDir, zname, z); err != nil {
				return err
			}
		}
	}
	keepMinified(dist, b, keep)
	for _, sub := range []string{"min", "z"} {
		entries, _ := os.ReadDir(filepath.Join(distDir, sub))
		for _, e := range entries {
			if name := sub + "/" + e.Name(); !keep[name] {
				_ = os.Remove(filepath.Join(distDir, name))
			}
		}
	}
	fmt.Printf("widgetdist: %d files, hash %s\n", len(b.Assets), b.Hash)
	return nil
}

// keepMinified marks the min/ copies that files of this build are.
func keepMinified(dist fs.FS, b widget.Bundle, keep map[string]bool) {
	entries, _ := fs.ReadDir(dist, "min")
	for _, e := range entries {
		name := "min/" + e.Name()
		m, err := fs.ReadFile(dist, name)
		if err != nil {
			continue
		}
		for _, a := range b.Assets {
			if bytes.Equal(a.Body, m) {
				keep[name] = true
				break
			}
		}
	}
}

func minify(text []byte, ext string) ([]byte, error) {
	loader := api.LoaderJS
	if ext == ".css" {
		loader = api.LoaderCSS
	}
	r := api.Transform(string(text), api.TransformOptions{
		Loader: loader, MinifyWhitespace: true, MinifyIdentifiers: true, MinifySyntax: true,
		Target: api.ES2017, LegalComments: api.LegalCommentsNone, Charset: api.CharsetUTF8,
	})
	if len(r.Errors) > 0 {
		return nil, fmt.Errorf("%s", r.Errors[0].Text)
	}
	return r.Code, nil
}

func compress(body []byte, ext string) []byte {
	var buf bytes.Buffer
	if ext == ".br" {
		w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
		_, _ = w.Write(body)
		_ = w.Close()
	} else {
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = w.Write(body)
		_ = w.Close()
	}
	return buf.Bytes()
}

// write puts b at dir/name through a temporary file and a rename, so an
// interrupted build leaves no partial file under a content-hash name.
func write(dir, name string, b []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
