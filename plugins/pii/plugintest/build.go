package plugintest

import (
	"context"
	"os"
	"path/filepath"

	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// Build compiles the plugin main package in dir (for example
// "plugins/pii-redact", relative to root, the module root) unless a build
// of the same sources is cached (internal/wasmbuild), and returns the .wasm bytes.
func Build(ctx context.Context, root, dir string) ([]byte, error) {
	path, err := wasmbuild.Cached(ctx, filepath.Join(root, dir))
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}
