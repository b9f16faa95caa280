package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/edgebench"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/edge/pluginhost/hostbench"
	"github.com/kefu-io/kefu/internal/stack"
)

func init() {
	register("edge", "the edge with the EU pipeline vs without plugins vs a minimal publish-and-PubAck handler (throughput ratios in one run)", edgebench.Main)
	register("plugins", "our plugin host vs Extism (per-call cost in one run)", hostbench.Main)
	edgebench.PluginLoader = loadBenchPipeline
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
