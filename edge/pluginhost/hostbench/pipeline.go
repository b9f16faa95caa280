package hostbench

import (
	"context"
	"fmt"
	"github.com/kefu-io/kefu/internal/procstat"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// EUPipeline is the inbound pipeline the issue names for region eu, less
// order-status (it needs a merchant API; edge benchmarks cover it).
var EUPipeline = []string{"pii-redact", "gdpr-residency", "sensitive-alert"}

// pipelineMessages are realistic inbound texts (PII, erasure request,
// complaint, plain question).
var pipelineMessages = []string{
	"Hi, my phone is 13800138000 and my email is li.wei@example.com, where is my order 12345?",
	"Bitte löschen Sie meine Daten. Meine IBAN ist DE89 3704 0044 0532 0130 00.",
	"我要投诉，再不退款我就打12315！我的手机号是 139 1234 5678",
	"Do you ship to France? The jacket in size M please.",
}

// PipelineResult is what RunPipeline measured.
type PipelineResult struct {
	Plugins     []string
	PerMessage  time.Duration // mean, sequential
	Throughput  float64       // messages per second with Concurrency callers
	Concurrency int
	RSS         int64 // bytes after the run, 0 if unknown
	Verdicts    map[string]int
}

// RunPipeline builds the EU plugins from the repository, runs n messages
// through them sequentially and then from concurrency goroutines.
func RunPipeline(ctx context.Context, n, concurrency, pool int) (PipelineResult, error) {
	root, err := wasmbuild.ModuleRoot(".")
	if err != nil {
		return PipelineResult{}, err
	}
	bundles := map[string][]byte{}
	for _, name := range EUPipeline {
		p, err := wasmbuild.Cached(ctx, filepath.Join(root, "plugins", name))
		if err != nil {
			return PipelineResult{}, err
		}
		if bundles[name], err = os.ReadFile(p); err != nil {
			return PipelineResult{}, err
		}
	}
	alerts := 0
	var mu sync.Mutex
	cfg := pluginhost.Config{
		Defaults: pluginhost.Limits{PoolSize: pool, Timeout: pluginhost.Duration(10 * time.Second)},
		Regions: map[string]pluginhost.Region{"eu": {
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: EUPipeline},
			Plugins: map[string]pluginhost.Plugin{
				"pii-redact":      {Fail: pluginhost.FailClosed},
				"sensitive-alert": {Grants: []string{pluginhost.CapAlert, pluginhost.CapKV}},
			},
		}},
		Builtin:    func(name string) ([]byte, bool) { b, ok := bundles[name]; return b, ok },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: metric.NewRegistry(),
		AlertSink:  func(context.Context, pluginhost.Alert) { mu.Lock(); alerts++; mu.Unlock() },
	}
	h, err := pluginhost.NewHost(ctx, cfg)
	if err != nil {
		return PipelineResult{}, err
	}
	defer h.Close()
	res := PipelineResult{Plugins: EUPipeline, Concurrency: concurrency, Verdicts: map[string]int{}}
	envs := make([]chat.Envelope, len(pipelineMessages))
	for i, text := range pipelineMessages {
		envs[i] = Envelope(16)
		envs[i].Region = "eu"
		envs[i].Message.Text = text
		envs[i].Message.ConversationID = fmt.Sprintf("01JBENCHCONV0000000000000%d", i)
	}
	one := func(i int) error {
		out, err := h.Run(ctx, "eu", pluginhost.HookInbound, envs[i%len(envs)])
		if err != nil {
			return err
		}
		mu.Lock()
		res.Verdicts[out.Verdict.String()]++
		mu.Unlock()
		return nil
	}
	start := time.Now()
	for i := range n {
		if err := one(i); err != nil {
			return res, err
		}
	}
	res.PerMessage = time.Since(start) / time.Duration(n)
	var wg sync.WaitGroup
	errs := make(chan error, concurrency)
	per := max(n/concurrency, 1)
	start = time.Now()
	for g := range concurrency {
		wg.Go(func() {
			for i := range per {
				if err := one(g + i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return res, err
	}
	res.Throughput = float64(per*concurrency) / time.Since(start).Seconds()
	res.RSS = procstat.RSS()
	return res, nil
}
