// Package wasmbuild builds Go plugins (GOOS=wasip1, -buildmode=c-shared)
// and the widget core (GOOS=js) with the local Go toolchain, and caches
// test builds of plugins by content.
package wasmbuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Build compiles the main package in dir to out. Compiler output goes to
// stderr (may be nil).
func Build(ctx context.Context, dir, out string, stderr io.Writer) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("wasmbuild: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return fmt.Errorf("wasmbuild: %w", err)
	}
	var buf bytes.Buffer
	w := io.Writer(&buf)
	if stderr != nil {
		w = io.MultiWriter(&buf, stderr)
	}
	cmd := exec.CommandContext(ctx, goBin(), "build", "-buildmode=c-shared", "-trimpath", "-o", abs, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	cmd.Stdout = w
	cmd.Stderr = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("wasmbuild: go build %s: %w: %s", dir, err, strings.TrimSpace(buf.String()))
	}
	return nil
}

// CoreFlags are the widget core's build flags, the Makefile's WASM_FLAGS
// that shoppers' kefu.wasm is built with (widget/core TestWASMCoreSize
// checks that the two agree): no inlining in the runtime and the standard
// library (−30 KB of brotli), inlining kept in this module's packages.
var CoreFlags = []string{"-trimpath", "-gcflags=all=-l", "-gcflags=github.com/kefu-io/kefu/...=", "-ldflags=-s -w"}

// BuildCore compiles the widget core (widget/wasm, GOOS=js) to out with
// flags; it must run inside this module.
func BuildCore(ctx context.Context, out string, flags ...string) error {
	args := append(append([]string{"build"}, flags...), "-o", out, "github.com/kefu-io/kefu/widget/wasm")
	cmd := exec.CommandContext(ctx, goBin(), args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("wasmbuild: go build widget/wasm: %w: %s", err, strings.TrimSpace(string(b)))
	}
	return nil
}

func goBin() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var mu sync.Map // key → *sync.Mutex, so parallel tests build once

// Cached builds dir (a plugin main package inside this module) unless a
// build of the same sources (the package's and plugins/pdk's .go files and
// the Go version) is already in the cache directory, and returns the path
// of the .wasm. The cache is $KEFU_WASM_CACHE, else <user cache>/kefu/wasm.
func Cached(ctx context.Context, dir string) (string, error) {
	key, err := sourceKey(dir)
	if err != nil {
		return "", err
	}
	cacheDir := os.Getenv("KEFU_WASM_CACHE")
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		cacheDir = filepath.Join(base, "kefu", "wasm")
	}
	out := filepath.Join(cacheDir, filepath.Base(dir)+"-"+key+".wasm")
	m, _ := mu.LoadOrStore(out, &sync.Mutex{})
	m.(*sync.Mutex).Lock()
	defer m.(*sync.Mutex).Unlock()
	if fileExists(out) {
		return out, nil
	}
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	if err := Build(ctx, dir, tmp, nil); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("wasmbuild: %w", err)
	}
	return out, nil
}

// CompileCache returns the folder <user cache>/kefu/name, created if
// missing, for wazero's compiled code of plugins that tests run in real
// hosts: kept across runs, so wazero compiles each plugin once per machine
// rather than under the race detector in every run.
func CompileCache(name string) (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	d := filepath.Join(base, "kefu", name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("wasmbuild: compile cache: %w", err)
	}
	return d, nil
}

// ModuleRoot returns the directory of the go.mod above dir.
func ModuleRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("wasmbuild: no go.mod above " + dir)
		}
		d = parent
	}
}

// sourceKey hashes what a build of dir depends on inside the module: the
// non-test .go files of every module package it imports (as `go list -deps`
// reports for GOOS=wasip1), go.mod and the Go version.
func sourceKey(dir string) (string, error) {
	root, err := ModuleRoot(dir)
	if err != nil {
		return "", err
	}
	cmd := exec.Command(goBin(), "list", "-deps", "-f", "{{.Dir}}", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	listed, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("wasmbuild: go list %s: %w", dir, err)
	}
	dirs := []string{filepath.Join(root, "go.mod")}
	for _, d := range strings.Split(strings.TrimSpace(string(listed)), "\n") {
		if strings.HasPrefix(d, root+string(filepath.Separator)) {
			dirs = append(dirs, d)
		}
	}
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	for _, d := range dirs {
		files, err := sourceFiles(d)
		if err != nil {
			return "", err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("wasmbuild: %w", err)
			}
			fmt.Fprintf(h, "%s %d\n", strings.TrimPrefix(f, root), len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}

// sourceFiles lists the non-test .go files of one package folder (or the
// file itself), sorted.
func sourceFiles(d string) ([]string, error) {
	st, err := os.Stat(d)
	if err != nil {
		return nil, fmt.Errorf("wasmbuild: %w", err)
	}
	if !st.IsDir() {
		return []string{d}, nil
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		return nil, fmt.Errorf("wasmbuild: %w", err)
	}
	var files []string
	for _, e := range ents {
		if n := e.Name(); !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			files = append(files, filepath.Join(d, n))
		}
	}
	sort.Strings(files)
	return files, nil
}
