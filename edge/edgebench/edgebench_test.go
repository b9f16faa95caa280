package edgebench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

type countingPlugins struct {
	n    atomic.Int64
	last atomic.Value // the last inbound text
}

func (p *countingPlugins) Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	p.n.Add(1)
	if hook == pluginhost.HookInbound {
		p.last.Store(env.Message.Text)
	}
	return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
}

// TestRun measures the three servers with a counting pipeline: every
// message is accepted and, at the edge, answered exactly once; the ratios
// are those of the measured rates.
func TestRun(t *testing.T) {
	p := &countingPlugins{}
	res, err := Run(t.Context(), Options{Clients: 3, Messages: 4, Warmup: 1, Plugins: p, PluginsName: "count", Echo: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pipeline == nil || res.Echo == nil || res.Plugins != "count" {
		t.Fatalf("result %+v", res)
	}
	for name, st := range map[string]Stats{"pipeline": *res.Pipeline, "edge": res.Edge, "publish": res.Publish, "echo": *res.Echo} {
		if st.Messages != 12 || st.Errors != 0 || st.PerSecond <= 0 || st.AcceptedP50 <= 0 || st.AcceptedP99 < st.AcceptedP50 {
			t.Fatalf("%s: %+v", name, st)
		}
	}
	for name, st := range map[string]Stats{"pipeline": *res.Pipeline, "edge": res.Edge} {
		if st.Replies != 12 || st.P50 <= 0 || st.P99 < st.P50 {
			t.Fatalf("%s: every measured message answered exactly once: %+v", name, st)
		}
	}
	if res.Publish.Replies != 0 || res.Publish.P50 != 0 {
		t.Fatalf("publish baseline got replies: %+v", res.Publish)
	}
	if res.PipelineRatio != res.Pipeline.PerSecond/res.Edge.PerSecond || res.EdgeRatio != res.Edge.PerSecond/res.Publish.PerSecond {
		t.Fatalf("ratios %+v", res)
	}
	// Inbound and outbound hooks ran for every message (warmup included)
	// of the pipeline run only.
	if got := p.n.Load(); got != 2*3*5 {
		t.Fatalf("plugins ran %d times, want 30", got)
	}
}

func TestMainCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(t.Context(), []string{"--clients", "2", "--messages", "2", "--warmup", "1", "--json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	if res.Edge.Messages != 4 || res.Publish.Messages != 4 || res.Pipeline != nil || res.Echo != nil || res.Plugins != "none" || res.EdgeRatio <= 0 {
		t.Fatalf("result %+v", res)
	}
	out.Reset()
	if code := Main(t.Context(), []string{"--clients", "1", "--messages", "1"}, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "edge/publish throughput") || !strings.Contains(out.String(), "publish baseline") ||
		strings.Contains(out.String(), "pipeline/edge") || strings.Contains(out.String(), "echo") {
		t.Fatalf("exit %d, report:\n%s", code, out.String())
	}
	for _, args := range [][]string{{"--nope"}, {"extra"}, {"--plugins", "eu"}} {
		errb.Reset()
		if code := Main(t.Context(), args, nil, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

func TestMainPluginLoader(t *testing.T) {
	p := &countingPlugins{}
	released := false
	PluginLoader = func(ctx context.Context, spec string) (edge.Plugins, func() error, error) {
		if spec != "eu" {
			return nil, nil, errors.New("no such pipeline")
		}
		return p, func() error { released = true; return nil }, nil
	}
	t.Cleanup(func() { PluginLoader = nil })
	var out, errb bytes.Buffer
	if code := Main(t.Context(), []string{"--clients", "1", "--messages", "1", "--text", "no personal data here"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !released || p.n.Load() == 0 || !strings.Contains(out.String(), "plugins: eu") || !strings.Contains(out.String(), "pipeline/edge throughput") {
		t.Fatalf("released %v, runs %d, report %s", released, p.n.Load(), out.String())
	}
	if got, _ := p.last.Load().(string); got != "no personal data here" {
		t.Fatalf("--text: the pipeline saw %q", got)
	}
	if code := Main(t.Context(), []string{"--plugins", "mars"}, nil, &out, &errb); code != 1 {
		t.Fatalf("unknown pipeline: exit %d", code)
	}
}

func TestMedians(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Fatalf("median %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2 {
		t.Fatalf("median of four %v (the lower middle)", m)
	}
	if m := median(nil); m != 0 {
		t.Fatalf("median of none %v", m)
	}
	st := medianStats([]Stats{{PerSecond: 30, Messages: 3}, {PerSecond: 10, Messages: 1}, {PerSecond: 20, Messages: 2}})
	if st.Messages != 2 {
		t.Fatalf("medianStats %+v", st)
	}
}

// TestRounds: two rounds give two ratios each and medians from them.
func TestRounds(t *testing.T) {
	res, err := Run(t.Context(), Options{Clients: 2, Messages: 2, Warmup: 1, Plugins: &countingPlugins{}, Rounds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rounds != 2 || len(res.EdgeRatios) != 2 || len(res.PipelineRatios) != 2 ||
		res.EdgeRatio != median(res.EdgeRatios) || res.PipelineRatio != median(res.PipelineRatios) {
		t.Fatalf("result %+v", res)
	}
}
