package pluginhost

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/kefu-io/kefu/edge/pluginhost/internal/fuel"
	"github.com/kefu-io/kefu/internal/metric"
)

// ABIVersion is the plugin ABI major version this host speaks.
const ABIVersion = 1

// ErrRefused is wrapped by the error of a bundle the host will not run
// (bad signature, bad module, failing start function).
var ErrRefused = errors.New("pluginhost: plugin bundle refused")

// hookExport names the export of each hook.
var hookExport = map[Hook]string{
	HookInbound:  "kefu_on_inbound",
	HookOutbound: "kefu_on_outbound",
	HookEvent:    "kefu_on_event",
}

var hookBit = map[Hook]int32{HookInbound: 1, HookOutbound: 2, HookEvent: 4}

// hookIndex orders hooks in per-instance arrays.
func hookIndex(h Hook) int {
	switch h {
	case HookInbound:
		return 0
	case HookOutbound:
		return 1
	}
	return 2
}

// deployment is one version of one plugin in one region: its own wazero
// runtime (memory cap), compiled module and instance pool. It is immutable
// once built; a reload builds a new one and retires this one, which closes
// when its last in-flight call leaves.
type deployment struct {
	h        *Host
	region   string
	name     string
	version  string // sha256 prefix of the bundle
	settings Plugin
	limits   Limits
	allow    []string
	webhook  string

	rt       wazero.Runtime
	compiled wazero.CompiledModule
	fuel     bool  // loop budget instrumented (else context-done checks)
	hooks    int32 // bit set the guest handles
	binary   bool  // the guest takes the binary envelope (kefu_envelope_formats)
	policy   int32 // the manifest's policies (kefu_policy): PolicyFailClosed

	// triggersFn: the guest exports kefu_triggers; triggers caches its
	// answers by tenant (triggers.go)
	triggersFn bool
	triggers   triggerCache
	// sealer: the region's vault as vault_put and mask answers reach it
	sealer sealer

	// idle instances, most recently used last: get takes the last one, so
	// a call runs on the instance whose memory and code are still in the
	// CPU's caches (a FIFO rotated calls over every instance of the pool)
	idle   []*instance
	idleMu sync.Mutex
	ready  chan struct{} // one token per instance in idle
	sem    chan struct{} // one token per live instance

	// the per-call metrics of this (plugin, region), looked up once
	callsBy [3]*metric.Counter // by hookIndex
	skipped *metric.Counter
	latency metric.Observer

	mu      sync.Mutex
	refs    int
	retired bool
	closed  bool
	live    atomic.Int64
}

// instance is one guest instance with its cached exports.
type instance struct {
	mod   api.Module
	mem   api.Memory
	alloc api.Function
	free  api.Function
	hooks [3]api.Function
	// triggers is kefu_triggers, nil when not exported (ABI 1.2)
	triggers api.Function
	stderr   *tailBuffer
	stack    []uint64
	state    callState
	fuel     api.MutableGlobal // nil without a loop budget
	// bufPtr/bufLen: the last kefu_alloc buffer, reused while inputs fit.
	bufPtr, bufLen uint32
}

// knownImports are the kefu module's functions (plugins/ABI.md section 6).
var knownImports = map[string][2][]api.ValueType{
	"log":          {{i32, i32, i32}, nil},
	"now":          {nil, {i64}},
	"config_get":   {{i32, i32, i32, i32}, {i32}},
	"take":         {{i32, i32}, {i32}},
	"kv_get":       {{i32, i32, i32, i32}, {i32}},
	"kv_set":       {{i32, i32, i32, i32, i32}, {i32}},
	"http_request": {{i32, i32, i32, i32}, {i32}},
	"alert":        {{i32, i32}, {i32}},
	"vault_put":    {{i32, i32, i32, i32, i32, i32}, {i32}},
	"pii_scan":     {{i32, i32, i32, i32, i32, i32, i32, i32}, {i32}},
}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// newDeployment compiles and checks wasm for (region, name), and warms its
// pool. needHooks are the hooks the region's pipelines run it for.
func (h *Host) newDeployment(ctx context.Context, region, name, version string, wasm []byte, needHooks []Hook) (*deployment, error) {
	r := h.cfg.Regions[region]
	d := &deployment{
		h: h, region: region, name: name, version: version,
		settings: r.Plugins[name],
		limits:   h.cfg.limitsFor(r, name),
		allow:    r.HTTPAllow,
		webhook:  r.AlertWebhook,
	}
	d.sealer = h.sealerOf(d)
	d.ready = make(chan struct{}, d.limits.PoolSize)
	for _, hk := range []Hook{HookInbound, HookOutbound, HookEvent} {
		d.callsBy[hookIndex(hk)] = h.metrics.calls.WithLabelValues(name, region, string(hk))
	}
	d.latency = h.metrics.latency.WithLabelValues(name, region)
	d.skipped = h.metrics.skipped.WithLabelValues(name, region)
	d.sem = make(chan struct{}, d.limits.PoolSize)
	code, fuel, fuelErr := guestCode(wasm, d.limits)
	d.fuel = fuel
	if fuelErr != nil {
		h.log.Warn("plugin cannot take a loop budget; using context-done checks", "plugin", name, "region", region, "err", fuelErr)
	}
	d.rt = wazero.NewRuntimeWithConfig(ctx, h.runtimeConfig(d.limits, d.fuel))
	fail := func(err error) (*deployment, error) {
		_ = d.rt.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%w: %s: %w", ErrRefused, name, err)
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, d.rt); err != nil {
		return fail(fmt.Errorf("wasi: %w", err))
	}
	if err := h.instantiateHostModule(ctx, d.rt); err != nil {
		return fail(err)
	}
	compiled, err := d.rt.CompileModule(ctx, code)
	if err != nil {
		return fail(fmt.Errorf("compiling: %w", err))
	}
	d.compiled = compiled
	if err := checkModule(compiled, needHooks); err != nil {
		return fail(err)
	}
	// The first instance proves the start function returns and reports
	// the ABI version and hooks.
	in, err := d.instantiate(ctx)
	if err != nil {
		return fail(err)
	}
	if err := d.negotiate(ctx, in, needHooks); err != nil {
		in.close(ctx)
		return fail(err)
	}
	d.sem <- struct{}{}
	d.live.Add(1)
	d.push(in)
	for i := 1; i < min(d.limits.PoolWarm, d.limits.PoolSize); i++ {
		in, err := d.instantiate(ctx)
		if err != nil {
			d.closeAll(ctx)
			return nil, fmt.Errorf("%w: %s: %w", ErrRefused, name, err)
		}
		d.sem <- struct{}{}
		d.live.Add(1)
		d.push(in)
	}
	h.metrics.instances.WithLabelValues(name, region).Set(float64(d.live.Load()))
	return d, nil
}

// checkModule validates exports and imports against ABI v1 before any
// instance exists.
func checkModule(c wazero.CompiledModule, needHooks []Hook) error {
	exp := c.ExportedFunctions()
	want := func(name string, params, results []api.ValueType) error {
		f, ok := exp[name]
		if !ok {
			return fmt.Errorf("missing export %s", name)
		}
		if !slices.Equal(f.ParamTypes(), params) || !slices.Equal(f.ResultTypes(), results) {
			return fmt.Errorf("export %s has signature %v -> %v, ABI v1 wants %v -> %v", name,
				typeNames(f.ParamTypes()), typeNames(f.ResultTypes()), typeNames(params), typeNames(results))
		}
		return nil
	}
	for _, f := range c.ImportedFunctions() {
		mod, name, _ := f.Import()
		switch mod {
		case "wasi_snapshot_preview1":
		case "kefu":
			sig, ok := knownImports[name]
			if !ok {
				return fmt.Errorf("imports kefu.%s, which ABI v1 does not provide", name)
			}
			if !slices.Equal(f.ParamTypes(), sig[0]) || !slices.Equal(f.ResultTypes(), sig[1]) {
				return fmt.Errorf("imports kefu.%s with signature %v -> %v, ABI v1 has %v -> %v", name,
					typeNames(f.ParamTypes()), typeNames(f.ResultTypes()), typeNames(sig[0]), typeNames(sig[1]))
			}
		default:
			return fmt.Errorf("imports %s.%s: only modules kefu and wasi_snapshot_preview1 exist", mod, name)
		}
	}
	if _, ok := c.ExportedMemories()["memory"]; !ok {
		return errors.New("missing export memory")
	}
	if err := want("kefu_abi_version", nil, []api.ValueType{i32}); err != nil {
		return err
	}
	if err := want("kefu_alloc", []api.ValueType{i32}, []api.ValueType{i32}); err != nil {
		return err
	}
	if _, ok := exp["kefu_free"]; ok {
		if err := want("kefu_free", []api.ValueType{i32}, nil); err != nil {
			return err
		}
	}
	for _, name := range []string{"kefu_hooks", "kefu_envelope_formats"} {
		if _, ok := exp[name]; ok {
			if err := want(name, nil, []api.ValueType{i32}); err != nil {
				return err
			}
		}
	}
	if _, ok := exp[triggersExport]; ok {
		if err := want(triggersExport, []api.ValueType{i32, i32}, []api.ValueType{i64}); err != nil {
			return err
		}
	}
	for _, hk := range []Hook{HookInbound, HookOutbound, HookEvent} {
		if _, ok := exp[hookExport[hk]]; ok || slices.Contains(needHooks, hk) {
			if err := want(hookExport[hk], []api.ValueType{i32, i32}, []api.ValueType{i64}); err != nil {
				return err
			}
		}
	}
	return nil
}

func typeNames(ts []api.ValueType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = api.ValueTypeName(t)
	}
	return "(" + strings.Join(s, ",") + ")"
}

// negotiate asks the first instance for its ABI version and hooks.
func (d *deployment) negotiate(ctx context.Context, in *instance, needHooks []Hook) error {
	res, err := in.mod.ExportedFunction("kefu_abi_version").Call(ctx)
	if err != nil {
		return fmt.Errorf("kefu_abi_version: %w", err)
	}
	if v := int32(res[0]); v != ABIVersion {
		return fmt.Errorf("abi version %d not supported (host speaks %d)", v, ABIVersion)
	}
	d.hooks = 0
	if f := in.mod.ExportedFunction("kefu_hooks"); f != nil {
		res, err := f.Call(ctx)
		if err != nil {
			return fmt.Errorf("kefu_hooks: %w", err)
		}
		d.hooks = int32(res[0])
	} else {
		for hk, name := range hookExport {
			if in.mod.ExportedFunction(name) != nil {
				d.hooks |= hookBit[hk]
			}
		}
	}
	d.policy = 0
	if f := in.mod.ExportedFunction("kefu_policy"); f != nil {
		res, err := f.Call(ctx)
		if err != nil {
			return fmt.Errorf("kefu_policy: %w", err)
		}
		d.policy = int32(res[0])
	}
	if err := d.applyPolicy(); err != nil {
		return err
	}
	d.binary = false
	if f := in.mod.ExportedFunction("kefu_envelope_formats"); f != nil {
		res, err := f.Call(ctx)
		if err != nil {
			return fmt.Errorf("kefu_envelope_formats: %w", err)
		}
		d.binary = int32(res[0])&formatBinary != 0
	}
	d.triggersFn = in.mod.ExportedFunction(triggersExport) != nil
	var missing []string
	for _, hk := range needHooks {
		if d.hooks&hookBit[hk] == 0 {
			missing = append(missing, string(hk))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("pipelines run it for %s but it handles no such hook", strings.Join(missing, ", "))
	}
	return nil
}

// PolicyFailClosed is the kefu_policy bit of a plugin that protects data
// and must fail closed (plugins/ABI.md section 2).
const PolicyFailClosed = 1

// ErrWeakerPolicy is wrapped when a region's settings would run a plugin
// with a weaker failure policy than its manifest declares, without
// override_policy.
var ErrWeakerPolicy = errors.New("pluginhost: config weakens the plugin's declared policy")

// applyPolicy resolves the failure policy from the region's settings and
// the plugin's manifest: a plugin that declares PolicyFailClosed runs
// closed unless the operator says fail = "open" and override_policy =
// true; fail = "open" without the override refuses the plugin.
func (d *deployment) applyPolicy() error {
	if d.policy&PolicyFailClosed == 0 {
		if d.settings.Fail == "" {
			d.settings.Fail = FailOpen
		}
		return nil
	}
	switch {
	case d.settings.Fail == "" || d.settings.Fail == FailClosed:
		d.settings.Fail = FailClosed
	case d.settings.OverridePolicy:
		d.h.log.Warn("plugin declares fail = closed; region overrides it to open", "plugin", d.name, "region", d.region)
	default:
		return fmt.Errorf("%w: it declares fail = %q (it protects data) but region %q sets fail = %q; set override_policy = true to run it that way",
			ErrWeakerPolicy, FailClosed, d.region, d.settings.Fail)
	}
	return nil
}

// instantiate creates one instance, running its start function within
// InitTimeout.
func (d *deployment) instantiate(ctx context.Context) (*instance, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d.limits.InitTimeout))
	defer cancel()
	in := &instance{stderr: &tailBuffer{}, stack: make([]uint64, 2)}
	in.state.d = d
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithStderr(in.stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
	if d.settings.granted(CapEnv) {
		keys := make([]string, 0, len(d.settings.Env))
		for k := range d.settings.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			mc = mc.WithEnv(k, d.settings.Env[k])
		}
	}
	if d.settings.granted(CapFS) {
		mc = mc.WithFSConfig(wazero.NewFSConfig().WithReadOnlyDirMount(d.settings.FSDir, "/data"))
	}
	// Host calls during start see the instance's state without a hook
	// (context-bound imports answer INVALID).
	mctx := experimental.WithMemoryAllocator(withState(ctx, &in.state), newMemoryAllocator(uint64(d.limits.MaxMemoryPages)<<16))
	mod, err := d.rt.InstantiateModule(mctx, d.compiled, mc)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("start function did not return within %s", time.Duration(d.limits.InitTimeout))
		}
		if d.fuel && strings.Contains(err.Error(), "unreachable") && strings.Contains(err.Error(), "_initialize") && in.stderr.String() == "" {
			return nil, fmt.Errorf("start function did not return within its loop budget of %d iterations: %w", d.limits.MaxLoopIterations, err)
		}
		return nil, fmt.Errorf("instantiating: %w%s", err, in.stderr.suffix())
	}
	in.mod = mod
	if d.fuel {
		g, ok := mod.ExportedGlobal(fuel.ExportName).(api.MutableGlobal)
		if !ok {
			_ = mod.Close(ctx)
			return nil, errors.New("instrumented module lacks its fuel global")
		}
		in.fuel = g
	}
	in.mem = mod.Memory()
	in.alloc = mod.ExportedFunction("kefu_alloc")
	in.free = mod.ExportedFunction("kefu_free")
	if in.mem == nil || in.alloc == nil {
		_ = mod.Close(ctx)
		return nil, errors.New("instance lacks memory or kefu_alloc")
	}
	for hk, name := range hookExport {
		in.hooks[hookIndex(hk)] = mod.ExportedFunction(name)
	}
	in.triggers = mod.ExportedFunction(triggersExport)
	return in, nil
}

func (in *instance) close(ctx context.Context) {
	if in.mod != nil {
		_ = in.mod.Close(context.WithoutCancel(ctx))
	}
}

// enter registers a caller; false when the deployment is already closed.
func (d *deployment) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.refs++
	return true
}

// leave ends a caller; the last one out of a retired deployment closes it.
func (d *deployment) leave() {
	d.mu.Lock()
	d.refs--
	last := d.retired && d.refs == 0 && !d.closed
	if last {
		d.closed = true
	}
	d.mu.Unlock()
	if last {
		d.closeAll(context.Background())
	}
}

// retire marks d replaced: it closes now if idle, else when the last
// in-flight call leaves.
func (d *deployment) retire() {
	d.mu.Lock()
	d.retired = true
	now := d.refs == 0 && !d.closed
	if now {
		d.closed = true
	}
	d.mu.Unlock()
	if now {
		d.closeAll(context.Background())
	}
}

// closeAll closes every idle instance and the runtime.
func (d *deployment) closeAll(ctx context.Context) {
	for {
		select {
		case <-d.ready:
			d.pop().close(ctx)
			continue
		default:
		}
		break
	}
	_ = d.rt.Close(ctx)
	d.h.metrics.instances.WithLabelValues(d.name, d.region).Sub(float64(d.live.Swap(0)))
}

// get takes an idle instance or creates one within the pool bound, waiting
// for a free one up to ctx.
func (d *deployment) get(ctx context.Context) (*instance, error) {
	select {
	case <-d.ready:
		return d.pop(), nil
	default:
	}
	select {
	case <-d.ready:
		return d.pop(), nil
	case d.sem <- struct{}{}:
		// A cold start is bounded by InitTimeout, not by the call's deadline.
		in, err := d.instantiate(context.WithoutCancel(ctx))
		if err != nil {
			<-d.sem
			return nil, err
		}
		d.live.Add(1)
		d.h.metrics.instances.WithLabelValues(d.name, d.region).Inc()
		return in, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a free instance: %w", ctx.Err())
	}
}

// push adds an idle instance and its token.
func (d *deployment) push(in *instance) {
	d.idleMu.Lock()
	d.idle = append(d.idle, in)
	d.idleMu.Unlock()
	d.ready <- struct{}{}
}

// pop takes the most recently pushed idle instance; the caller holds one
// of its tokens, so there is one.
func (d *deployment) pop() *instance {
	d.idleMu.Lock()
	defer d.idleMu.Unlock()
	in := d.idle[len(d.idle)-1]
	d.idle[len(d.idle)-1] = nil
	d.idle = d.idle[:len(d.idle)-1]
	return in
}

// put returns a healthy instance, or discards a broken one and refills the
// warm pool in the background.
func (d *deployment) put(in *instance, broken bool) {
	if !broken {
		d.mu.Lock()
		retired := d.retired
		d.mu.Unlock()
		if !retired {
			d.push(in)
			return
		}
	}
	in.close(context.Background())
	<-d.sem
	d.live.Add(-1)
	d.h.metrics.instances.WithLabelValues(d.name, d.region).Dec()
	if broken && d.live.Load() < int64(d.limits.PoolWarm) {
		d.h.refill(d)
	}
}

// refill adds one warm instance to d in the background, if d is still
// current.
func (h *Host) refill(d *deployment) {
	if !d.enter() {
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer d.leave()
		select {
		case d.sem <- struct{}{}:
		default:
			return // pool full already
		}
		in, err := d.instantiate(h.ctx)
		if err != nil {
			<-d.sem
			h.log.Warn("plugin refill failed", "plugin", d.name, "region", d.region, "err", err)
			return
		}
		d.live.Add(1)
		h.metrics.instances.WithLabelValues(d.name, d.region).Inc()
		d.put(in, false)
	}()
}

// tailBuffer keeps the first and the last 2 KiB written to it (a guest's
// stderr: a Go panic puts the reason first and goroutine dumps after).
type tailBuffer struct {
	mu   sync.Mutex
	head []byte
	tail []byte
	cut  bool
}

const tailHalf = 2 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if room := tailHalf - len(t.head); room > 0 {
		k := min(room, len(p))
		t.head = append(t.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	t.tail = append(t.tail, p...)
	if over := len(t.tail) - tailHalf; over > 0 {
		t.tail = append(t.tail[:0], t.tail[over:]...)
		t.cut = true
	}
	return n, nil
}

// String returns the kept text.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	sep := ""
	if t.cut {
		sep = "\n…\n"
	}
	return strings.TrimSpace(string(t.head) + sep + string(t.tail))
}

func (t *tailBuffer) suffix() string {
	if s := t.String(); s != "" {
		return " (stderr: " + s + ")"
	}
	return ""
}
