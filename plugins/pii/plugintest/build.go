package plugintest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Build compiles the plugin main package in dir (for example
// "plugins/pii-redact", relative to root, the module root) unless a build
// of the same sources is cached, and returns the .wasm bytes.
func Build(ctx context.Context, root, dir string) ([]byte, error) {
	key, err := sourceKey(root, dir)
	if err != nil {
		return nil, err
	}
	cache := os.Getenv("KEFU_WASM_CACHE")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		cache = filepath.Join(base, "kefu", "wasm")
	}
	out := filepath.Join(cache, filepath.Base(dir)+"-"+key+".wasm")
	if b, err := os.ReadFile(out); err == nil {
		return b, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, fmt.Errorf("plugintest: %w", err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.CommandContext(ctx, gobin, "build", "-buildmode=c-shared", "-trimpath", "-o", tmp, "./"+dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("plugintest: go build %s: %w: %s", dir, err, strings.TrimSpace(msg.String()))
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, fmt.Errorf("plugintest: %w", err)
	}
	return os.ReadFile(out)
}

// sourceKey hashes the Go sources a plugin build depends on inside the
// module: the plugin, plugins/pdk and plugins/pii (non-test files), go.mod
// and the Go version.
func sourceKey(root, dir string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version())
	for _, d := range []string{dir, "plugins/pdk", "plugins/pii", "go.mod"} {
		var files []string
		_ = filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && (strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".mod")) && !strings.HasSuffix(p, "_test.go") {
				files = append(files, p)
			}
			return nil
		})
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("plugintest: %w", err)
			}
			fmt.Fprintf(h, "%s %d\n", f, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8]), nil
}
