package edgebench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

type countingPlugins struct{ n atomic.Int64 }

func (p *countingPlugins) Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	p.n.Add(1)
	return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
}

func TestRun(t *testing.T) {
	p := &countingPlugins{}
	res, err := Run(t.Context(), Options{Clients: 3, Messages: 4, Warmup: 1, Plugins: p, PluginsName: "count"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Edge.Messages != 12 || res.Echo.Messages != 12 || res.Edge.Errors != 0 || res.Echo.Errors != 0 {
		t.Fatalf("result %+v", res)
	}
	if res.Edge.P50 <= 0 || res.Edge.P99 < res.Edge.P50 || res.Edge.AcceptedP50 <= 0 || res.Edge.AcceptedP50 > res.Edge.P99 ||
		res.ThroughputRatio <= 0 || res.LatencyRatio <= 0 || res.Plugins != "count" {
		t.Fatalf("result %+v", res)
	}
	// Inbound and outbound hooks ran for every message (warmup included).
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
	if res.Edge.Messages != 4 || res.Plugins != "none" {
		t.Fatalf("result %+v", res)
	}
	out.Reset()
	if code := Main(t.Context(), []string{"--clients", "1", "--messages", "1", "--no-echo"}, nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "edge send→reply") || strings.Contains(out.String(), "baseline") {
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
	if code := Main(t.Context(), []string{"--plugins", "eu", "--clients", "1", "--messages", "1", "--no-echo"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !released || p.n.Load() == 0 || !strings.Contains(out.String(), "plugins: eu") {
		t.Fatalf("released %v, runs %d, report %s", released, p.n.Load(), out.String())
	}
	if code := Main(t.Context(), []string{"--plugins", "mars"}, nil, &out, &errb); code != 1 {
		t.Fatalf("unknown pipeline: exit %d", code)
	}
}

func TestPercentile(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	if p := percentile(d, 0.5); p != 5 {
		t.Fatalf("p50 %v", p)
	}
	if p := percentile(d, 0.99); p != 10 {
		t.Fatalf("p99 %v", p)
	}
	if p := percentile(nil, 0.5); p != 0 {
		t.Fatalf("empty %v", p)
	}
}
