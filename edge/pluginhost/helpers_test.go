package pluginhost

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/syncbuf"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// wasmOf builds (or takes from the cache) the plugin in dir, relative to
// this package, and returns its bytes.
func wasmOf(t testing.TB, dir string) []byte {
	t.Helper()
	path, err := wasmbuild.Cached(context.Background(), dir)
	if err != nil {
		t.Fatalf("building %s: %v", dir, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hostile(t testing.TB, name string) []byte {
	return wasmOf(t, filepath.Join("testdata", "hostile", name))
}

func testPlugin(t testing.TB, name string) []byte {
	return wasmOf(t, filepath.Join("testdata", "plugins", name))
}

func passthrough(t testing.TB) []byte {
	return wasmOf(t, filepath.Join("..", "..", "plugins", "examples", "passthrough"))
}

// testCacheDir is a compilation cache shared by the package's tests and
// kept across runs, so only the first run compiles each plugin.
func testCacheDir(t testing.TB) string {
	t.Helper()
	d, err := wasmbuild.CompileCache("wazero-test")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testHost starts a host over bundles (name → wasm) with one region "t".
// The log goes to the returned buffer.
func testHost(t testing.TB, cfg Config, bundles map[string][]byte) (*Host, *syncbuf.Buffer) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Registerer = metric.NewRegistry()
	if cfg.Defaults.Timeout == 0 {
		// Generous: the test machine is shared; attacks set their own.
		cfg.Defaults.Timeout = Duration(10 * time.Second)
	}
	if cfg.CacheDir == "" {
		cfg.CacheDir = testCacheDir(t)
	}
	cfg.Builtin = func(name string) ([]byte, bool) {
		b, ok := bundles[name]
		return b, ok
	}
	h, err := NewHost(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h, logs
}

// region builds a Config with one region "t" whose inbound pipeline is names.
func region(names ...string) Config {
	return Config{Regions: map[string]Region{"t": {
		Pipelines: map[Hook][]string{HookInbound: names},
		Plugins:   map[string]Plugin{},
	}}}
}

func envelope(text string) chat.Envelope {
	return chat.Envelope{
		V: 1, Tenant: "shop1", Region: "t", Channel: chat.ChannelWeb, Visitor: "v1",
		Direction: chat.Inbound,
		Message: chat.Message{
			ID: "01JTESTMESSAGE0000000000001", ConversationID: "01JTESTCONV00000000000000001",
			Role: chat.RoleShopper, Text: text, At: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		},
	}
}

func run(t testing.TB, h *Host, text string) Outcome {
	t.Helper()
	out, err := h.Run(context.Background(), "t", HookInbound, envelope(text))
	if err != nil {
		t.Fatalf("Run(%q): %v", text, err)
	}
	return out
}

// metricValue reads a counter or gauge.
func metricValue(m interface{ Value() float64 }) float64 { return m.Value() }

// signFile signs wasm as release version of plugin name (a signature file).
func signFile(t testing.TB, priv ed25519.PrivateKey, name, version string, wasm []byte) []byte {
	t.Helper()
	b, err := SignBundle(priv, name, version, wasm)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
