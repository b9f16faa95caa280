package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/edgebench"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/edge/pluginhost/hostbench"
	"github.com/kefu-io/kefu/internal/stack"
)

// benches are the `kefu bench` subcommands; each prints numbers that go in
// README.md together with the command that produced them.
var benches = map[string]command{
	"edge":    edgebench.Main,
	"plugins": hostbench.Main,
}

func init() {
	register("bench", "benchmarks: edge (edge vs bare Fiber echo), plugins (our host vs Extism)", runBench)
	edgebench.PluginLoader = loadBenchPipeline
}

func runBench(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || benches[args[0]] == nil {
		names := make([]string, 0, len(benches))
		for n := range benches {
			names = append(names, n)
		}
		fmt.Fprintf(stderr, "usage: kefu bench {%s} [flags]\n", strings.Join(names, "|"))
		return 2
	}
	return benches[args[0]](ctx, args[1:], stdin, stdout, stderr)
}

// benchPipelines are the pipelines `kefu bench edge --plugins NAME` runs,
// made of built-in plugins.
var benchPipelines = map[string][]string{
	"eu":   {"pii-redact", "gdpr-residency", "sensitive-alert"},
	"pii":  {"pii-redact"},
	"full": {"pii-redact", "gdpr-residency", "sensitive-alert", "order-status"},
}

// loadBenchPipeline builds the named pipeline of built-in plugins for the
// bench's edge region.
func loadBenchPipeline(ctx context.Context, spec string) (edge.Plugins, func() error, error) {
	names, ok := benchPipelines[spec]
	if !ok {
		return nil, nil, fmt.Errorf("unknown pipeline (have eu, pii, full)")
	}
	cfg := stack.DefaultPluginConfig("", "http://127.0.0.1:9/v1/orders", "127.0.0.1:9", slog.New(slog.DiscardHandler))
	r := cfg.Regions["local"]
	r.Pipelines = map[pluginhost.Hook][]string{pluginhost.HookInbound: names}
	cfg.Regions = map[string]pluginhost.Region{"bench": r}
	h, err := pluginhost.NewHost(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return h, h.Close, nil
}
