// Package hostbench implements `kefu bench plugins`: the per-call overhead
// of a pass-through plugin with a 1 KiB message in our host
// (edge/pluginhost) and in the Extism Go SDK host running the equivalent
// Extism-ABI plugin, cold start with and without the compilation cache, and
// 1,000 concurrent calls — all in one run on the same machine, printed as a
// table with the ours/Extism ratio.
//
// Both guests are Go (GOOS=wasip1 reactors built by the local toolchain from
// plugins/examples/passthrough and hostbench/testdata/extism-passthrough)
// and do the same work with the same code: take the envelope into guest
// memory, decode it with the PDK (pdk.Handle), and pass. Both hosts use
// wazero's compiler and get the same bytes, encoded per call: the binary
// envelope (plugins/ABI.md section 4.1) that our host sends PDK guests.
package hostbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/kefu-io/kefu/internal/procstat"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// Envelope returns the benchmark's inbound envelope with a text of size
// bytes.
func Envelope(size int) chat.Envelope {
	return chat.Envelope{
		V: 1, Tenant: "demo", Region: "bench", Channel: chat.ChannelWeb, Visitor: "v-bench",
		Direction: chat.Inbound, Labels: map[string]string{"sku": "A-100", "page": "/p/a-100"},
		Message: chat.Message{
			ID: "01JBENCH000000000000000001", ConversationID: "01JBENCHCONV00000000000001",
			Role: chat.RoleShopper, Text: strings.Repeat("where is my order 12345? ", size/25+1)[:size],
			Lang: "en", At: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		},
	}
}

// Ours is our host with one region "bench" running one plugin inbound.
type Ours struct {
	Host *pluginhost.Host
}

// NewOurs starts a host over wasm. cacheDir "" keeps compiled code in
// memory only.
func NewOurs(ctx context.Context, wasm []byte, cacheDir string, poolSize int) (*Ours, error) {
	cfg := pluginhost.Config{
		CacheDir: cacheDir,
		Defaults: pluginhost.Limits{PoolSize: poolSize, Timeout: pluginhost.Duration(10 * time.Second)},
		Regions: map[string]pluginhost.Region{"bench": {
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"passthrough"}},
		}},
		Builtin:    func(string) ([]byte, bool) { return wasm, true },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: metric.NewRegistry(),
	}
	h, err := pluginhost.NewHost(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &Ours{Host: h}, nil
}

// Call runs the pipeline once.
func (o *Ours) Call(ctx context.Context, env chat.Envelope) error {
	out, err := o.Host.Run(ctx, "bench", pluginhost.HookInbound, env)
	if err != nil {
		return err
	}
	if out.Verdict != pluginhost.Pass {
		return fmt.Errorf("hostbench: verdict %s", out.Verdict)
	}
	return nil
}

// Close stops the host.
func (o *Ours) Close() error { return o.Host.Close() }

// Extism is the Extism Go SDK host with a pool of plugin instances (an
// Extism instance serves one call at a time, like ours).
type Extism struct {
	compiled *extism.CompiledPlugin
	pool     chan *extism.Plugin
	all      []*extism.Plugin
}

// NewExtism compiles wasm and creates poolSize instances; each runs its
// _initialize on its first call, so NewExtism makes one warm-up call each.
// timeout > 0 sets the manifest's per-call timeout, which Extism enforces
// with wazero's WithCloseOnContextDone.
func NewExtism(ctx context.Context, wasm []byte, cache wazero.CompilationCache, poolSize int, timeout time.Duration) (*Extism, error) {
	rc := wazero.NewRuntimeConfigCompiler()
	if cache != nil {
		rc = rc.WithCompilationCache(cache)
	}
	manifest := extism.Manifest{Wasm: []extism.Wasm{extism.WasmData{Data: wasm, Name: "main"}}, Timeout: uint64(timeout / time.Millisecond)}
	// The guest's PDK links kefu.log (its error path): give it a no-op.
	logFn := extism.NewHostFunctionWithStack("log", func(context.Context, *extism.CurrentPlugin, []uint64) {},
		[]extism.ValueType{extism.ValueTypeI32, extism.ValueTypeI32, extism.ValueTypeI32}, nil)
	logFn.SetNamespace("kefu")
	compiled, err := extism.NewCompiledPlugin(ctx, manifest, extism.PluginConfig{EnableWasi: true, RuntimeConfig: rc}, []extism.HostFunction{logFn})
	if err != nil {
		return nil, fmt.Errorf("hostbench: extism compile: %w", err)
	}
	e := &Extism{compiled: compiled, pool: make(chan *extism.Plugin, poolSize)}
	warm16 := Envelope(16)
	warm := pluginhost.BinaryEnvelope(&warm16)
	for range poolSize {
		p, err := compiled.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("hostbench: extism instance: %w", err)
		}
		if rc, _, err := p.CallWithContext(ctx, "on_inbound", warm); err != nil || rc != 0 {
			e.Close()
			return nil, fmt.Errorf("hostbench: extism warm-up: rc %d: %v", rc, err)
		}
		e.all = append(e.all, p)
		e.pool <- p
	}
	return e, nil
}

// Call encodes env (as our host does) and calls the plugin once.
func (e *Extism) Call(ctx context.Context, env chat.Envelope) error {
	// The bytes our host would send the same PDK guest (it takes the
	// binary envelope), so both guests decode the same input.
	b := pluginhost.BinaryEnvelope(&env)
	var p *extism.Plugin
	select {
	case p = <-e.pool:
	case <-ctx.Done():
		return ctx.Err()
	}
	rc, out, err := p.CallWithContext(ctx, "on_inbound", b)
	e.pool <- p
	if err != nil || rc != 0 || len(out) != 0 {
		return fmt.Errorf("hostbench: extism call: rc %d, %d bytes out: %v", rc, len(out), err)
	}
	return nil
}

// Close releases the instances and the runtime.
func (e *Extism) Close() error {
	ctx := context.Background()
	for _, p := range e.all {
		_ = p.Close(ctx)
	}
	return e.compiled.Close(ctx)
}

// Bundles builds (or finds in the build cache) the two plugins from the
// repository's sources; it needs the Go toolchain and a checkout.
func Bundles(ctx context.Context) (ours, ext []byte, err error) {
	root, err := wasmbuild.ModuleRoot(".")
	if err != nil {
		return nil, nil, fmt.Errorf("hostbench: run from the kefu repository (or pass -ours and -extism): %w", err)
	}
	read := func(dir string) ([]byte, error) {
		p, err := wasmbuild.Cached(ctx, filepath.Join(root, dir))
		if err != nil {
			return nil, err
		}
		return os.ReadFile(p)
	}
	if ours, err = read("plugins/examples/passthrough"); err != nil {
		return nil, nil, err
	}
	if ext, err = read("edge/pluginhost/hostbench/testdata/extism-passthrough"); err != nil {
		return nil, nil, err
	}
	return ours, ext, nil
}

type caller interface {
	Call(ctx context.Context, env chat.Envelope) error
}

// perCall returns the mean latency of n sequential calls.
func perCall(ctx context.Context, c caller, env chat.Envelope, n int) (time.Duration, error) {
	for range min(n/10, 200) { // warm up
		if err := c.Call(ctx, env); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	for range n {
		if err := c.Call(ctx, env); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / time.Duration(n), nil
}

// concurrent runs calls calls from calls goroutines at once and returns the
// wall time for all of them.
func concurrent(ctx context.Context, c caller, env chat.Envelope, calls int) (time.Duration, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	start := time.Now()
	for range calls {
		wg.Go(func() {
			if err := c.Call(ctx, env); err != nil {
				mu.Lock()
				first = errors.Join(first, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

// coldOurs is the time from bytes to a host that has served one call.
func coldOurs(ctx context.Context, wasm []byte, cacheDir string) (time.Duration, error) {
	start := time.Now()
	o, err := NewOurs(ctx, wasm, cacheDir, 1)
	if err != nil {
		return 0, err
	}
	defer o.Close()
	if err := o.Call(ctx, Envelope(16)); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func coldExtism(ctx context.Context, wasm []byte, cacheDir string) (time.Duration, error) {
	start := time.Now()
	var cache wazero.CompilationCache
	if cacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return 0, err
		}
		defer c.Close(ctx)
		cache = c
	}
	e, err := NewExtism(ctx, wasm, cache, 1, 0) // includes the first call
	if err != nil {
		return 0, err
	}
	defer e.Close()
	return time.Since(start), nil
}

// Main runs `kefu bench plugins [-n CALLS] [-size BYTES] [-concurrent N]
// [-pool N] [-ours FILE] [-extism FILE]` and prints the table.
func Main(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench plugins", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20000, "sequential calls per host")
	size := fs.Int("size", 1024, "message text bytes")
	conc := fs.Int("concurrent", 1000, "concurrent calls")
	pool := fs.Int("pool", runtime.GOMAXPROCS(0)*2, "instances per host for the concurrent run")
	pipeline := fs.Bool("pipeline", false, "also run the EU pipeline (pii-redact → gdpr-residency → sensitive-alert) and report throughput and RSS")
	oursFile := fs.String("ours", "", "our pass-through .wasm (default: build plugins/examples/passthrough)")
	extFile := fs.String("extism", "", "Extism pass-through .wasm (default: build hostbench/testdata/extism-passthrough)")
	if len(args) > 0 && args[0] == "plugins" {
		args = args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := run(ctx, stdout, *n, *size, *conc, *pool, *oursFile, *extFile); err != nil {
		fmt.Fprintf(stderr, "kefu bench plugins: %v\n", err)
		return 1
	}
	if *pipeline {
		r, err := RunPipeline(ctx, min(*n, 5000), 32, *pool)
		if err != nil {
			fmt.Fprintf(stderr, "kefu bench plugins: pipeline: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "\nEU pipeline %v: %s per message sequential, %.0f messages/s with %d callers (pool %d per plugin), RSS %.1f MiB, verdicts %v\n",
			r.Plugins, fmtDur(r.PerMessage), r.Throughput, r.Concurrency, *pool, float64(r.RSS)/(1<<20), r.Verdicts)
	}
	return 0
}

func run(ctx context.Context, stdout io.Writer, n, size, conc, pool int, oursFile, extFile string) error {
	var ours, ext []byte
	var err error
	if oursFile != "" && extFile != "" {
		if ours, err = os.ReadFile(oursFile); err != nil {
			return err
		}
		if ext, err = os.ReadFile(extFile); err != nil {
			return err
		}
	} else if ours, ext, err = Bundles(ctx); err != nil {
		return err
	}
	env := Envelope(size)
	type row struct {
		what      string
		ours, ext time.Duration
	}
	var rows []row

	// (c) cold start: empty on-disk cache, then the same cache again.
	tmp, err := os.MkdirTemp("", "kefu-bench-cache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	oc, ec := filepath.Join(tmp, "ours"), filepath.Join(tmp, "extism")
	coldO, err := coldOurs(ctx, ours, oc)
	if err != nil {
		return err
	}
	coldE, err := coldExtism(ctx, ext, ec)
	if err != nil {
		return err
	}
	rows = append(rows, row{"cold start, no cache (compile + instance + 1 call)", coldO, coldE})
	warmO, err := coldOurs(ctx, ours, oc)
	if err != nil {
		return err
	}
	warmE, err := coldExtism(ctx, ext, ec)
	if err != nil {
		return err
	}
	rows = append(rows, row{"cold start, on-disk compilation cache", warmO, warmE})

	// (a) per-call overhead, one caller.
	o, err := NewOurs(ctx, ours, oc, pool)
	if err != nil {
		return err
	}
	defer o.Close()
	e, err := NewExtism(ctx, ext, nil, pool, 0)
	if err != nil {
		return err
	}
	defer e.Close()
	et, err := NewExtism(ctx, ext, nil, 1, 10*time.Second)
	if err != nil {
		return err
	}
	defer et.Close()
	po, err := perCall(ctx, o, env, n)
	if err != nil {
		return err
	}
	pe, err := perCall(ctx, e, env, n)
	if err != nil {
		return err
	}
	rows = append(rows, row{fmt.Sprintf("per call, pass-through, %d B text", size), po, pe})
	pt, err := perCall(ctx, et, env, max(n/10, 10))
	if err != nil {
		return err
	}
	rows = append(rows, row{"  same, Extism with a manifest timeout (context-done checks)", po, pt})

	// (d) concurrent calls.
	co, err := concurrent(ctx, o, env, conc)
	if err != nil {
		return err
	}
	ce, err := concurrent(ctx, e, env, conc)
	if err != nil {
		return err
	}
	rows = append(rows, row{fmt.Sprintf("%d concurrent calls, pool %d (wall)", conc, pool), co, ce})

	rss := procstat.RSS()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "measure\tkefu pluginhost\tExtism go-sdk\tratio (kefu/Extism)\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f×\t\n", r.what, fmtDur(r.ours), fmtDur(r.ext), float64(r.ours)/float64(r.ext))
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\n%s, %s/%s, GOMAXPROCS %d; guests: Go wasip1 reactors (%d B ours, %d B Extism); ours stops runaway loops with an inline loop budget, Extism without a timeout has no limit\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), len(ours), len(ext))
	if rss > 0 {
		fmt.Fprintf(stdout, "process RSS after the runs: %.1f MiB (both hosts, %d instances each)\n", float64(rss)/(1<<20), pool)
	}
	return nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f µs", float64(d.Nanoseconds())/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d.Nanoseconds())/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
