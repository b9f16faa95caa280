package plugintest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/proccpu"
	"github.com/kefu-io/kefu/plugins/pii/piieval"
)

// BenchmarkPIIRedactWasm runs the pii-redact plugin (the real wasip1
// build, in wazero) on every message of the PII test and dev sets, once
// per iteration: the detector's cost where production runs it. Set
// KEFU_PII_WASM to a .wasm file to measure another build of the plugin
// (an older commit's, for a before/after ratio in one run).
func BenchmarkPIIRedactWasm(b *testing.B) {
	var wasm []byte
	var err error
	if p := os.Getenv("KEFU_PII_WASM"); p != "" {
		wasm, err = os.ReadFile(p)
	} else {
		var root string
		if root, err = filepath.Abs("../../.."); err == nil {
			wasm, err = Build(context.Background(), root, "plugins/pii-redact")
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	exs, err := piieval.ReadFiles("../testdata/test.jsonl", "../testdata/dev.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, len(exs))
	for i, ex := range exs {
		texts[i] = ex.Text
	}
	h, err := pluginhost.NewHost(context.Background(), pluginhost.Config{
		CacheDir: filepath.Join(os.TempDir(), "kefu-plugintest-cache"),
		Regions: map[string]pluginhost.Region{"eu": {
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"pii-redact"}},
			Plugins:   map[string]pluginhost.Plugin{"pii-redact": {Fail: pluginhost.FailClosed}},
		}},
		Builtin:    func(n string) ([]byte, bool) { return wasm, n == "pii-redact" },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: metric.NewRegistry(),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	envs := make([]chat.Envelope, len(texts))
	for i, t := range texts {
		envs[i] = envelope("c1", t, chat.Inbound, chat.RoleShopper, nil)
	}
	ctx := context.Background()
	b.ReportMetric(float64(len(envs)), "msgs/op")
	c0 := proccpu.Used()
	for b.Loop() {
		for _, e := range envs {
			if _, err := h.Run(ctx, "eu", pluginhost.HookInbound, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	// CPU time is steadier than wall time on a shared, loaded machine
	b.ReportMetric(float64(proccpu.Used()-c0)/float64(b.N), "cpu-ns/op")
}

// benchText is `kefu bench edge`'s default message (edge/edgebench): an
// order question with an e-mail address and a phone number.
const benchText = "Where is my order 12345? Mail me at jane.doe@example.com or call +49 170 1234567."

// BenchmarkEUPipeline runs `kefu bench edge`'s EU pipeline (pii-redact →
// gdpr-residency → sensitive-alert, with the grants of `kefu dev`) on
// texts shoppers send, whole and each plugin alone on what it sees inside the
// pipeline (after pii-redact: the masked text and its labels), and
// reports CPU time per message: where the pipeline's time goes; eu-parallel
// runs the pipeline from 25×GOMAXPROCS callers at once, as the edge bench's
// clients do. Set KEFU_PLUGIN_DIR to a folder of .wasm files (make plugins'
// build/plugins of another commit) to measure other builds. For a profile
// of the guests' functions: build the test with -tags perfmap (wazero then
// writes /tmp/perf-PID.map), run it under `perf record` with
// KEFU_WAZERO_CACHE=off and read `perf report`.
func BenchmarkEUPipeline(b *testing.B) {
	names := []string{"pii-redact", "gdpr-residency", "sensitive-alert", "order-status"}
	wasm := map[string][]byte{}
	root, err := filepath.Abs("../../..")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range append(names, "examples/passthrough") {
		var w []byte
		if dir := os.Getenv("KEFU_PLUGIN_DIR"); dir != "" {
			w, err = os.ReadFile(filepath.Join(dir, filepath.Base(n)+".wasm"))
		} else {
			w, err = Build(context.Background(), root, "plugins/"+n)
		}
		if err != nil {
			b.Fatal(err)
		}
		wasm[filepath.Base(n)] = w
	}
	settings := map[string]pluginhost.Plugin{
		"pii-redact":      {Fail: pluginhost.FailClosed, Grants: []string{pluginhost.CapVault}},
		"gdpr-residency":  {Fail: pluginhost.FailClosed, Grants: []string{pluginhost.CapKV}},
		"sensitive-alert": {Grants: []string{pluginhost.CapAlert, pluginhost.CapKV}, Config: map[string]string{"console_url": "/console/#c="}},
		"order-status":    {Grants: []string{pluginhost.CapHTTP}, Config: map[string]string{"api": "http://127.0.0.1:9/v1/orders"}},
		"passthrough":     {},
	}
	pipelines := map[string][]string{
		"eu":              {"pii-redact", "gdpr-residency", "sensitive-alert"},
		"pii-redact":      {"pii-redact"},
		"gdpr-residency":  {"gdpr-residency"},
		"sensitive-alert": {"sensitive-alert"},
		"order-status":    {"order-status"},
		"passthrough":     {"passthrough"},
	}
	// KEFU_WAZERO_CACHE=off compiles afresh (a wazero built with -tags
	// perfmap names guest functions for perf only when it compiles them).
	cacheDir := filepath.Join(os.TempDir(), "kefu-plugintest-cache")
	if os.Getenv("KEFU_WAZERO_CACHE") == "off" {
		cacheDir = ""
	}
	hosts := map[string]*pluginhost.Host{}
	// host returns a host running pipeline r alone (made on first use, so
	// that a -bench filter compiles only what it measures).
	host := func(r string) *pluginhost.Host {
		if h := hosts[r]; h != nil {
			return h
		}
		reg := pluginhost.Region{
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: pipelines[r]},
			Plugins:   map[string]pluginhost.Plugin{},
			HTTPAllow: []string{"127.0.0.1:9"},
			Limits:    pluginhost.Limits{Timeout: pluginhost.Duration(5 * time.Second)},
		}
		for _, n := range pipelines[r] {
			reg.Plugins[n] = settings[n]
		}
		h, err := pluginhost.NewHost(context.Background(), pluginhost.Config{
			CacheDir:   cacheDir,
			Regions:    map[string]pluginhost.Region{r: reg},
			Builtin:    func(n string) ([]byte, bool) { w, ok := wasm[n]; return w, ok },
			Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
			Registerer: metric.NewRegistry(),
			AlertSink:  func(context.Context, pluginhost.Alert) {},
		})
		if err != nil {
			b.Fatal(err)
		}
		hosts[r] = h
		return h
	}
	defer func() {
		for _, h := range hosts {
			h.Close()
		}
	}()
	ctx := context.Background()
	texts := map[string]string{
		"bench":  benchText,
		"plain":  "Hi, do you ship to Austria and how long does it take?",
		"long":   strings.Repeat("Hello, I ordered the blue jacket last week but it has not arrived yet. ", 6),
		"street": "Please send it to Hauptstraße 12, 10115 Berlin instead.",
	}
	for _, tn := range []string{"bench", "plain", "long", "street"} {
		env := envelope("c1", texts[tn], chat.Inbound, chat.RoleShopper, nil)
		// what the plugins after pii-redact see
		var first pluginhost.Outcome
		once := func() chat.Envelope {
			if first.Envelope.Message.ID == "" {
				if first, err = host("pii-redact").Run(ctx, "pii-redact", pluginhost.HookInbound, env); err != nil {
					b.Fatal(err)
				}
			}
			return first.Envelope
		}
		for _, r := range []string{"eu", "pii-redact", "gdpr-residency", "sensitive-alert", "order-status", "passthrough"} {
			b.Run(tn+"/"+r, func(b *testing.B) {
				in := env
				if r == "gdpr-residency" || r == "sensitive-alert" || r == "order-status" {
					in = once()
				}
				h := host(r)
				c0 := proccpu.Used()
				for b.Loop() {
					if _, err := h.Run(ctx, r, pluginhost.HookInbound, in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(proccpu.Used()-c0)/float64(b.N)/1e3, "cpu-µs/msg")
			})
		}
		// 50 callers at once, as `kefu bench edge`'s clients: instances
		// of a pool share the calls
		b.Run(tn+"/eu-parallel", func(b *testing.B) {
			h := host("eu")
			b.SetParallelism(25)
			c0 := proccpu.Used()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := h.Run(ctx, "eu", pluginhost.HookInbound, env); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(proccpu.Used()-c0)/float64(b.N)/1e3, "cpu-µs/msg")
		})
	}
}
