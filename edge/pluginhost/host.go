package pluginhost

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/vault"
	"github.com/kefu-io/kefu/internal/tracing"
)

// Errors callers branch on.
var (
	ErrUnknownRegion = errors.New("pluginhost: unknown region")
	ErrUnknownHook   = errors.New("pluginhost: unknown hook")
	ErrClosed        = errors.New("pluginhost: host closed")
	ErrNotFound      = errors.New("pluginhost: plugin bundle not found")
)

// Host runs the plugin pipelines of one edge node. It is safe for
// concurrent use; Close releases everything.
type Host struct {
	cfg         Config
	log         *slog.Logger
	keys        []ed25519.PublicKey
	cache       wazero.CompilationCache
	kv          *ristretto.Cache[string, []byte]
	quotas      *quotas
	metrics     *metrics
	client      *http.Client
	alertClient *http.Client
	alerts      chan Alert
	vaults      map[string]*vault.Vault // region → PII vault, fixed after NewHost
	vaultFiles  *vaultFiles             // nil unless Config.VaultDir

	// slots[region][plugin] holds the current deployment; pipelines[region][hook]
	// lists the slots in order. Both are fixed after NewHost.
	slots     map[string]map[string]*slot
	pipelines map[string]map[Hook][]*slot

	installMu sync.Mutex
	versions  map[string]string        // plugin → version (sha256 prefix) running
	refused   map[string]string        // plugin → version refused last (poller skips it)
	signed    map[string]signedVersion // plugin → signed release running (downgrade check)
	seen      map[string]fileStamp

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
}

// slot is where one region runs one plugin.
type slot struct {
	region, name string
	hooks        []Hook
	cur          atomic.Pointer[deployment]
}

type fileStamp struct {
	size int64
	mod  time.Time
}

// NewHost compiles every plugin the config's pipelines name, warms their
// pools and starts the plugin-folder poller. A plugin that cannot be found,
// verified, compiled or started fails NewHost with the reason.
func NewHost(ctx context.Context, cfg Config) (*Host, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Host{
		cfg:       cfg,
		log:       cfg.Logger,
		slots:     map[string]map[string]*slot{},
		pipelines: map[string]map[Hook][]*slot{},
		versions:  map[string]string{},
		signed:    map[string]signedVersion{},
		refused:   map[string]string{},
		seen:      map[string]fileStamp{},
		alerts:    make(chan Alert, 256),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.keys, _ = cfg.publicKeys()
	h.metrics = newMetrics(cfg.Registerer)
	h.quotas = newQuotas(cfg.Quota, cfg.TenantQuotas)
	h.client = cfg.HTTPClient
	if h.client == nil {
		h.client = &http.Client{Timeout: 5 * time.Second, CheckRedirect: checkRedirect}
	}
	h.alertClient = cfg.HTTPClient
	if h.alertClient == nil {
		h.alertClient = &http.Client{Timeout: 5 * time.Second}
	}
	kvMax := cfg.KVMaxBytes
	if kvMax <= 0 {
		kvMax = 64 << 20
	}
	kv, err := ristretto.NewCache(&ristretto.Config[string, []byte]{
		NumCounters: max(kvMax/64, 1000), MaxCost: kvMax, BufferItems: 64,
	})
	if err != nil {
		return nil, fmt.Errorf("pluginhost: kv cache: %w", err)
	}
	h.kv = kv
	if h.vaults, h.vaultFiles, err = newVaults(cfg, h.log); err != nil {
		return nil, err
	}
	if cfg.CacheDir != "" {
		if h.cache, err = wazero.NewCompilationCacheWithDir(cfg.CacheDir); err != nil {
			return nil, fmt.Errorf("pluginhost: compilation cache %s: %w", cfg.CacheDir, err)
		}
	} else {
		h.cache = wazero.NewCompilationCache()
	}
	h.ctx, h.cancel = context.WithCancel(context.WithoutCancel(ctx))

	// Build the slots, then load each plugin once for all its regions.
	regions := make([]string, 0, len(cfg.Regions))
	for r := range cfg.Regions {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	for _, rname := range regions {
		r := cfg.Regions[rname]
		h.slots[rname] = map[string]*slot{}
		h.pipelines[rname] = map[Hook][]*slot{}
		for _, hk := range []Hook{HookInbound, HookOutbound, HookEvent} {
			for _, name := range r.Pipelines[hk] {
				s := h.slots[rname][name]
				if s == nil {
					s = &slot{region: rname, name: name}
					h.slots[rname][name] = s
				}
				s.hooks = append(s.hooks, hk)
				h.pipelines[rname][hk] = append(h.pipelines[rname][hk], s)
			}
		}
	}
	type bundle struct {
		wasm, sig []byte
		builtin   bool
	}
	names := h.pluginNames()
	bundles, code := make([]bundle, len(names)), make(map[string][]byte, len(names))
	for i, name := range names {
		b := &bundles[i]
		var err error
		if b.wasm, b.sig, b.builtin, err = h.readBundle(name); err != nil {
			h.Close()
			return nil, err
		}
		code[name] = b.wasm
	}
	release := h.precompile(ctx, code)
	for i, name := range names {
		b := bundles[i]
		if err := h.install(ctx, name, b.wasm, b.sig, b.builtin, false, false); err != nil {
			release()
			h.Close()
			return nil, err
		}
	}
	release()
	h.wg.Add(1)
	go h.alertLoop()
	if h.vaultFiles != nil {
		every := time.Duration(cfg.VaultSaveInterval)
		if every <= 0 {
			every = defaultVaultSaveInterval
		}
		h.wg.Add(1)
		go h.vaultSaveLoop(every)
	}
	if cfg.PluginDir != "" && cfg.PollInterval >= 0 {
		every := time.Duration(cfg.PollInterval)
		if every == 0 {
			every = 2 * time.Second
		}
		h.wg.Add(1)
		go h.pollLoop(every)
	}
	return h, nil
}

// pluginNames lists every plugin some pipeline uses, sorted.
func (h *Host) pluginNames() []string {
	set := map[string]bool{}
	for _, m := range h.slots {
		for name := range m {
			set[name] = true
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// readBundle finds a plugin in PluginDir, else among the built-ins.
func (h *Host) readBundle(name string) (wasm, sig []byte, builtin bool, err error) {
	if h.cfg.PluginDir != "" {
		p := filepath.Join(h.cfg.PluginDir, name+".wasm")
		wasm, err = os.ReadFile(p)
		if err == nil {
			sig, err = os.ReadFile(p + ".sig")
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, false, fmt.Errorf("pluginhost: reading %s.sig: %w", p, err)
			}
			if st, err := os.Stat(p); err == nil {
				h.seen[name] = fileStamp{st.Size(), st.ModTime()}
			}
			return wasm, sig, false, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, nil, false, fmt.Errorf("pluginhost: reading %s: %w", p, err)
		}
	}
	if h.cfg.Builtin != nil {
		if b, ok := h.cfg.Builtin(name); ok {
			return b, nil, true, nil
		}
	}
	return nil, nil, false, fmt.Errorf("%w: %q (plugin_dir %q, built-ins)", ErrNotFound, name, h.cfg.PluginDir)
}

// InstallOptions modify Install.
type InstallOptions struct {
	// Force installs a signed bundle whose version is older than the
	// running signed version (a deliberate rollback). Default: false.
	Force bool
}

// signedVersion is the signed release of a running plugin.
type signedVersion struct{ version, sha string }

// Install verifies, compiles and starts a new version of plugin name, then
// swaps it in atomically in every region that runs it; calls in flight
// finish on the old version. sig is the bundle's signature file
// (Signature: name, version and SHA-256 signed together), empty for an
// unsigned bundle. A signed version older than the running signed one is
// refused (ErrDowngrade; see InstallWith). A refused bundle leaves the
// running version in place and the error (wrapping ErrRefused) says why.
// With a PluginDir the accepted bundle is written there so a restart keeps
// it.
func (h *Host) Install(ctx context.Context, name string, wasm, sig []byte) error {
	return h.InstallWith(ctx, name, wasm, sig, InstallOptions{})
}

// InstallWith is Install with options.
func (h *Host) InstallWith(ctx context.Context, name string, wasm, sig []byte, o InstallOptions) error {
	if h.closed.Load() {
		return ErrClosed
	}
	if !pluginNameRE.MatchString(name) {
		return fmt.Errorf("%w: bad plugin name %q", ErrRefused, name)
	}
	return h.install(ctx, name, wasm, sig, false, true, o.Force)
}

func (h *Host) install(ctx context.Context, name string, wasm, sig []byte, builtin, persist, force bool) (err error) {
	h.installMu.Lock()
	defer h.installMu.Unlock()
	sum := sha256.Sum256(wasm)
	version := hex.EncodeToString(sum[:6])
	defer func() {
		if err != nil {
			h.refused[name] = version
			h.metrics.reloads.WithLabelValues(name, "refused").Inc()
			h.log.Error("plugin bundle refused", "plugin", name, "version", version, "err", err)
		}
	}()
	var signed signedVersion
	if !builtin {
		if signed.version, err = h.verify(name, wasm, sig); err != nil {
			return err
		}
		if signed.version != "" {
			signed.sha = hex.EncodeToString(sum[:])
			if err := h.checkDowngrade(name, signed, force); err != nil {
				return err
			}
		}
	}
	var regions []string
	for r, m := range h.slots {
		if m[name] != nil {
			regions = append(regions, r)
		}
	}
	sort.Strings(regions)
	if len(regions) == 0 {
		// Not in any pipeline: check it compiles against the ABI with
		// default settings so an upload is still validated.
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCompilationCache(h.cache))
		defer rt.Close(ctx)
		c, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			return fmt.Errorf("%w: %s: compiling: %w", ErrRefused, name, err)
		}
		if err := checkModule(c, nil); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrRefused, name, err)
		}
	}
	fresh := make([]*deployment, 0, len(regions))
	for _, r := range regions {
		d, err := h.newDeployment(ctx, r, name, version, wasm, h.slots[r][name].hooks)
		if err != nil {
			for _, f := range fresh {
				f.retire()
			}
			return fmt.Errorf("%w (region %s)", err, r)
		}
		fresh = append(fresh, d)
	}
	if persist && h.cfg.PluginDir != "" {
		if err := h.persist(name, wasm, sig); err != nil {
			for _, f := range fresh {
				f.retire()
			}
			return err
		}
	}
	for i, r := range regions {
		if old := h.slots[r][name].cur.Swap(fresh[i]); old != nil {
			old.retire()
		}
	}
	prev := h.versions[name]
	h.versions[name] = version
	if signed.version != "" {
		h.signed[name] = signed
	} else {
		delete(h.signed, name)
	}
	delete(h.refused, name)
	h.metrics.reloads.WithLabelValues(name, "ok").Inc()
	h.log.Info("plugin installed", "plugin", name, "version", version, "previous", prev, "regions", regions)
	return nil
}

// verify checks the bundle's signature file against the trusted keys and
// returns the signed version ("" for an unsigned bundle, allowed only
// without RequireSignature).
func (h *Host) verify(name string, wasm, sig []byte) (string, error) {
	if len(sig) == 0 {
		if h.cfg.RequireSignature {
			return "", fmt.Errorf("%w: %s: unsigned bundle (require_signature is on)", ErrRefused, name)
		}
		return "", nil
	}
	v, err := verifySignature(h.keys, name, wasm, sig)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrRefused, name, err)
	}
	return v, nil
}

// checkDowngrade refuses a signed version older than the running signed
// one, or the same version with other bytes, unless force.
func (h *Host) checkDowngrade(name string, next signedVersion, force bool) error {
	cur, ok := h.signed[name]
	if !ok || force {
		return nil
	}
	switch c := compareVersions(next.version, cur.version); {
	case c < 0:
		return fmt.Errorf("%w: %s: %w: %s is older than the running %s (force to roll back)", ErrRefused, name, ErrDowngrade, next.version, cur.version)
	case c == 0 && next.sha != cur.sha:
		return fmt.Errorf("%w: %s: %w: version %s is running with other bytes (a new release needs a new version)", ErrRefused, name, ErrDowngrade, next.version)
	}
	return nil
}

// DecodeSignature accepts a raw 64-byte ed25519 signature or its base64
// text (surrounding white space ignored).
func DecodeSignature(sig []byte) ([]byte, error) {
	if len(sig) == ed25519.SignatureSize {
		return sig, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return nil, errors.New("signature is neither 64 raw bytes nor base64 of them")
	}
	return raw, nil
}

func (h *Host) persist(name string, wasm, sig []byte) error {
	p := filepath.Join(h.cfg.PluginDir, name+".wasm")
	write := func(path string, data []byte) error {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return fmt.Errorf("pluginhost: writing %s: %w", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("pluginhost: writing %s: %w", path, err)
		}
		return nil
	}
	if len(sig) > 0 {
		if err := write(p+".sig", append([]byte(strings.TrimSpace(string(sig))), '\n')); err != nil {
			return err
		}
	} else {
		_ = os.Remove(p + ".sig")
	}
	if err := write(p, wasm); err != nil {
		return err
	}
	if st, err := os.Stat(p); err == nil {
		h.seen[name] = fileStamp{st.Size(), st.ModTime()}
	}
	return nil
}

// pollLoop checks PluginDir for changed bundles.
func (h *Host) pollLoop(every time.Duration) {
	defer h.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.Poll(h.ctx)
		}
	}
}

// Poll checks PluginDir once and installs changed bundles of the plugins
// in use (the poller calls it every PollInterval). A bundle refused once
// is not retried until its file changes again.
func (h *Host) Poll(ctx context.Context) {
	if h.cfg.PluginDir == "" {
		return
	}
	for _, name := range h.pluginNames() {
		p := filepath.Join(h.cfg.PluginDir, name+".wasm")
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		stamp := fileStamp{st.Size(), st.ModTime()}
		h.installMu.Lock()
		same := h.seen[name] == stamp
		h.installMu.Unlock()
		if same {
			continue
		}
		wasm, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		sig, _ := os.ReadFile(p + ".sig")
		sum := sha256.Sum256(wasm)
		version := hex.EncodeToString(sum[:6])
		h.installMu.Lock()
		h.seen[name] = stamp
		skip := h.versions[name] == version || h.refused[name] == version
		h.installMu.Unlock()
		if skip {
			continue
		}
		_ = h.install(ctx, name, wasm, sig, false, false, false)
	}
}

// Versions returns the running version (sha256 prefix) of every plugin.
func (h *Host) Versions() map[string]string {
	h.installMu.Lock()
	defer h.installMu.Unlock()
	out := make(map[string]string, len(h.versions))
	for k, v := range h.versions {
		out[k] = v
	}
	return out
}

// Releases returns the signed release version of every plugin running a
// signed bundle.
func (h *Host) Releases() map[string]string {
	h.installMu.Lock()
	defer h.installMu.Unlock()
	out := make(map[string]string, len(h.signed))
	for k, v := range h.signed {
		out[k] = v.version
	}
	return out
}

// HasPipeline reports whether region's pipeline for hook has any plugin.
// It is true for a region or hook the host does not know (Run then
// answers with ErrUnknownRegion or ErrUnknownHook). The pipelines are
// fixed when the host is made; reloads replace plugins, not pipelines.
func (h *Host) HasPipeline(region string, hook Hook) bool {
	hooks, ok := h.pipelines[region]
	if !ok {
		return true
	}
	if _, ok := hookExport[hook]; !ok {
		return true
	}
	return len(hooks[hook]) > 0
}

// Usage returns what tenant used of its quotas this minute.
func (h *Host) Usage(tenant string) TenantUsage { return h.quotas.snapshot(tenant) }

// Close stops the poller and the alert sender and closes every instance.
// Calls still running finish first.
func (h *Host) Close() error {
	if !h.closed.CompareAndSwap(false, true) {
		return nil
	}
	if h.cancel != nil {
		h.cancel()
	}
	h.wg.Wait()
	for _, m := range h.slots {
		for _, s := range m {
			if d := s.cur.Swap(nil); d != nil {
				d.retire()
			}
		}
	}
	if h.cache != nil {
		_ = h.cache.Close(context.Background())
	}
	if h.kv != nil {
		h.kv.Close()
	}
	if h.vaultFiles != nil {
		// Plugins are retired: no vault_put runs any more.
		err := h.vaultFiles.saveChanged(h.vaults)
		return errors.Join(err, h.vaultFiles.close())
	}
	return nil
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	allow, _ := req.Context().Value(allowKey{}).([]string)
	if !allowed(req.URL, allow) {
		return fmt.Errorf("redirect to %s is not on the allowlist", req.URL.Host)
	}
	return nil
}

// Run passes env through the region's pipeline for hook (see Outcome and
// plugins/ABI.md "Pipeline semantics"). A plugin failure is handled by the
// plugin's policy: fail-open skips it, fail-closed returns the outcome so
// far and an error wrapping ErrPluginFailed. Run does not modify env's
// label map.
func (h *Host) Run(ctx context.Context, region string, hook Hook, env chat.Envelope) (Outcome, error) {
	return h.RunWithin(ctx, 0, region, hook, env)
}

// RunWithin is Run bounded by timeout from now (0: by ctx only), as Run
// with a context.WithTimeout of ctx would be, except that the deadline's
// context (a timer) is made only when a plugin's guest is entered: a
// pipeline the host answers itself (standing answers) needs none.
func (h *Host) RunWithin(ctx context.Context, timeout time.Duration, region string, hook Hook, env chat.Envelope) (Outcome, error) {
	rc := runCtx{parent: ctx}
	if timeout > 0 {
		rc.deadline = time.Now().Add(timeout)
	}
	defer rc.release()
	return h.run(&rc, region, hook, env)
}

// runCtx is a pipeline run's context, made with its deadline when a guest
// is first entered.
type runCtx struct {
	parent   context.Context
	deadline time.Time // zero: none beyond parent's
	ctx      context.Context
	cancel   context.CancelFunc
}

// get returns the run's context, making it on the first call.
func (r *runCtx) get() context.Context {
	if r.ctx == nil {
		if r.deadline.IsZero() {
			r.ctx = r.parent
		} else {
			r.ctx, r.cancel = context.WithDeadline(r.parent, r.deadline)
		}
	}
	return r.ctx
}

// err is the run's context's error: its parent's, or DeadlineExceeded past
// the deadline.
func (r *runCtx) err() error {
	if r.ctx != nil {
		return r.ctx.Err()
	}
	if err := r.parent.Err(); err != nil {
		return err
	}
	if !r.deadline.IsZero() && !time.Now().Before(r.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

func (r *runCtx) release() {
	if r.cancel != nil {
		r.cancel()
	}
}

func (h *Host) run(rc *runCtx, region string, hook Hook, env chat.Envelope) (Outcome, error) {
	ctx := rc.parent
	out := Outcome{Verdict: Pass, Envelope: env}
	if h.closed.Load() {
		return out, ErrClosed
	}
	hooks, ok := h.pipelines[region]
	if !ok {
		return out, fmt.Errorf("%w: %q", ErrUnknownRegion, region)
	}
	if _, ok := hookExport[hook]; !ok {
		return out, fmt.Errorf("%w: %q", ErrUnknownHook, hook)
	}
	pipeline := hooks[hook]
	if len(pipeline) == 0 {
		return out, nil
	}
	if env.Labels != nil {
		out.Envelope.Labels = make(map[string]string, len(env.Labels)+2)
		for k, v := range env.Labels {
			out.Envelope.Labels[k] = v
		}
	}
	var enc encodings                      // of out.Envelope
	traced := tracing.SpanFrom(ctx) != nil // once: a context look-up walks its parents
	for _, s := range pipeline {
		var sp *tracing.Span
		if traced { // a span per plugin call (no cost when tracing is off)
			_, sp = tracing.Start(ctx, "plugin "+s.name, tracing.KindInternal)
			sp.SetAttr("kefu.plugin", s.name)
			sp.SetAttr("kefu.hook", string(hook))
			sp.SetAttr("kefu.region", region)
		}
		res, d, err := h.call(rc, s, hook, &out.Envelope, &enc)
		if sp != nil {
			if err != nil {
				sp.SetError(err)
			} else {
				sp.SetAttr("kefu.verdict", res.Verdict.String())
			}
			sp.End()
		}
		if err != nil {
			if ee, ok := errors.AsType[*encodeError](err); ok {
				return out, ee.err // not the plugin's failure
			}
			if cerr := rc.err(); cerr != nil {
				return out, fmt.Errorf("pluginhost: %s/%s: %w", region, s.name, cerr)
			}
			if d != nil && d.settings.Fail == FailOpen {
				continue
			}
			return out, fmt.Errorf("%w: %s (region %s): %w", ErrPluginFailed, s.name, region, err)
		}
		changed := applyLabels(&out.Envelope, res.Labels)
		switch res.Verdict {
		case Modify:
			if res.Text != nil {
				out.Envelope.Message.Text = *res.Text
			}
			if res.Lang != nil {
				out.Envelope.Message.Lang = *res.Lang
			}
			if res.Intent != nil {
				out.Envelope.Message.Intent = *res.Intent
			}
			out.Verdict = Modify
			changed = true
		case Answer, Drop, Escalate:
			out.Verdict, out.Answer, out.Reason, out.Plugin = res.Verdict, res.Answer, res.Reason, s.name
			return out, nil
		case Decline:
			out.Declined = append(out.Declined, Declined{Plugin: s.name, Reason: res.Reason})
			h.metrics.declines.WithLabelValues(s.name, region).Inc()
		}
		if changed {
			enc.json, enc.bin = nil, nil
		}
	}
	return out, nil
}

// encodings holds the envelope as each input format encodes it, made when
// a guest is first entered with it (a call the host answers itself needs
// none) and kept until a plugin changes the envelope (plugins/ABI.md
// section 4). It does not hold the envelope: escape analysis does not tell
// a struct's fields apart, and the encodings go to the heap (the guest's
// input), which would take Run's outcome with them on every run.
type encodings struct {
	json, bin []byte
}

// encodeError is a failure to encode the envelope for a guest: the host's,
// not the plugin's (Run returns it without the plugin's policy).
type encodeError struct{ err error }

func (e *encodeError) Error() string { return e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }

// get returns env, which the encodings are of, in the binary or JSON
// format.
func (e *encodings) get(env *chat.Envelope, binary bool) ([]byte, error) {
	if binary {
		if e.bin == nil {
			e.bin = BinaryEnvelope(env)
		}
		return e.bin, nil
	}
	if e.json == nil {
		// a copy: handing env itself to encoding/json would move the
		// caller's envelope (Run's outcome) to the heap on every run
		cp := *env
		b, err := json.Marshal(&cp)
		if err != nil {
			return nil, fmt.Errorf("pluginhost: encoding envelope: %w", err)
		}
		e.json = b
	}
	return e.json, nil
}

func applyLabels(env *chat.Envelope, labels map[string]string) bool {
	if len(labels) == 0 {
		return false
	}
	var ks [16]string
	keys := ks[:0]
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v := labels[k]; v == "" {
			delete(env.Labels, k)
		} else {
			env.SetLabel(k, v)
		}
	}
	return true
}

// callError is a failure of one plugin call, with its metric kind.
type callError struct {
	kind string
	err  error
}

func (e *callError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// Failure kinds (label "kind" of kefu_plugin_errors_total).
const (
	KindTrap        = "trap"
	KindExit        = "exit"
	KindTimeout     = "timeout"
	KindOutput      = "output"
	KindQuota       = "quota"
	KindUnavailable = "unavailable"
)

// FailureKind returns the kind of a plugin failure in an error returned by
// Run ("" if err is not one).
func FailureKind(err error) string {
	if ce, ok := errors.AsType[*callError](err); ok {
		return ce.kind
	}
	return ""
}

// call runs one plugin on enc. It returns the deployment used (for its
// policy) even on failure.
func (h *Host) call(rc *runCtx, s *slot, hook Hook, env *chat.Envelope, enc *encodings) (Result, *deployment, error) {
	var d *deployment
	for {
		d = s.cur.Load()
		if d == nil {
			return Result{}, nil, &callError{KindUnavailable, ErrClosed}
		}
		if d.enter() {
			break
		}
	}
	defer d.leave()
	res, err := h.callIn(rc, d, hook, env, enc)
	if _, ok := errors.AsType[*encodeError](err); ok {
		return res, d, err
	}
	if err != nil {
		kind := KindTrap
		if ce, ok := errors.AsType[*callError](err); ok {
			kind = ce.kind
		}
		h.metrics.errors.WithLabelValues(d.name, d.region, kind).Inc()
	}
	return res, d, err
}

func (h *Host) callIn(rc *runCtx, d *deployment, hook Hook, env *chat.Envelope, encs *encodings) (Result, error) {
	ask := false     // the tenant's triggers are not known yet
	var pre *prescan // the host's scan for the standing answer
	if d.filtered(hook) {
		t, ok := d.triggers.get(env.Tenant)
		var skip bool
		var res Result
		if res, skip, pre = t.skip(env, &d.sealer); ok && skip {
			d.skipped.Inc()
			return res, nil
		}
		ask = !ok
	}
	enc, err := encs.get(env, d.binary)
	if err != nil {
		return Result{}, &encodeError{err}
	}
	d.callsBy[hookIndex(hook)].Inc()
	ctx := rc.get()
	timeout := time.Duration(d.limits.Timeout)
	left, ok, unlimited := h.quotas.cpuLeft(env.Tenant)
	if !ok {
		h.metrics.quota.WithLabelValues(env.Tenant, "cpu").Inc()
		return Result{}, &callError{KindQuota, fmt.Errorf("tenant %q spent its plugin CPU time for this minute", env.Tenant)}
	}
	if !unlimited && left < timeout {
		timeout = left
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	in, err := d.get(cctx)
	if err != nil {
		return Result{}, &callError{KindUnavailable, err}
	}
	st := &in.state
	st.active, st.tenant, st.conv, st.pending, st.logLines, st.hostWait = true, env.Tenant, env.Message.ConversationID, nil, 0, 0
	st.visitor, st.piiBytes, st.prescan = env.Visitor, 0, pre
	start := time.Now()
	res, err := h.invokeFiltered(withState(cctx, st), d, in, hook, env, enc, ask)
	elapsed := time.Since(start)
	st.active, st.pending, st.prescan = false, nil, nil
	d.latency.Observe(elapsed.Seconds())
	h.quotas.addCPU(env.Tenant, elapsed-st.hostWait)
	if err != nil {
		h.log.Warn("plugin failed", "plugin", d.name, "region", d.region, "version", d.version,
			"hook", hook, "tenant", env.Tenant, "err", err, "stderr", in.stderr.String())
		d.put(in, true)
		return Result{}, err
	}
	d.put(in, false)
	return res, nil
}

// invokeFiltered asks the guest for the tenant's trigger phrases first when
// ask (the answer is cached), and skips the hook call when the text holds
// none of them.
func (h *Host) invokeFiltered(ctx context.Context, d *deployment, in *instance, hook Hook, env *chat.Envelope, enc []byte, ask bool) (Result, error) {
	if ask {
		t, err := h.askTriggers(ctx, d, in, env.Tenant)
		if err != nil {
			return Result{}, err
		}
		res, skip, pre := t.skip(env, &d.sealer)
		if skip {
			d.skipped.Inc()
			return res, nil
		}
		in.state.prescan = pre
	}
	return h.invoke(ctx, d, in, hook, enc)
}

// writeInput puts data into the guest's input buffer and returns where.
// The last kefu_alloc buffer stays the host's until the next kefu_alloc
// (ABI section 3), so it is reused while the input fits: every call into
// the guest costs a goroutine with CloseOnContextDone.
func writeInput(ctx context.Context, in *instance, data []byte) (uint32, error) {
	stack := in.stack
	ptr := in.bufPtr
	if ptr == 0 || uint32(len(data)) > in.bufLen || in.free != nil {
		stack[0] = uint64(len(data))
		if err := in.alloc.CallWithStack(ctx, stack); err != nil {
			return 0, classify(ctx, in, err)
		}
		ptr = uint32(stack[0])
		in.bufPtr, in.bufLen = ptr, uint32(len(data))
	}
	if ptr == 0 || !in.mem.Write(ptr, data) {
		in.bufPtr = 0
		return 0, &callError{KindOutput, fmt.Errorf("kefu_alloc(%d) returned an unusable buffer %#x", len(data), ptr)}
	}
	return ptr, nil
}

// freeInput calls kefu_free on the input buffer, if the guest exports it.
func freeInput(ctx context.Context, in *instance, ptr uint32) error {
	if in.free == nil {
		return nil
	}
	in.bufPtr = 0
	in.stack[0] = uint64(ptr)
	if err := in.free.CallWithStack(ctx, in.stack); err != nil {
		return classify(ctx, in, err)
	}
	return nil
}

// invoke performs the ABI call sequence (plugins/ABI.md section 3).
func (h *Host) invoke(ctx context.Context, d *deployment, in *instance, hook Hook, enc []byte) (Result, error) {
	fn := in.hooks[hookIndex(hook)]
	if fn == nil || d.hooks&hookBit[hook] == 0 {
		return Result{Verdict: Pass}, nil
	}
	stack := in.stack
	if in.fuel != nil {
		in.fuel.Set(uint64(d.limits.MaxLoopIterations))
	}
	ptr, err := writeInput(ctx, in, enc)
	if err != nil {
		return Result{}, err
	}
	stack[0], stack[1] = uint64(ptr), uint64(len(enc))
	if err := fn.CallWithStack(ctx, stack); err != nil {
		return Result{}, classify(ctx, in, err)
	}
	r := stack[0]
	var res Result
	if r == 0 {
		res = Result{Verdict: Pass}
	} else {
		optr, olen := uint32(r>>32), uint32(r)
		if olen > uint32(d.limits.MaxOutputBytes) {
			return Result{}, &callError{KindOutput, fmt.Errorf("result of %d bytes over max_output_bytes %d", olen, d.limits.MaxOutputBytes)}
		}
		b, ok := in.mem.Read(optr, olen)
		if !ok {
			return Result{}, &callError{KindOutput, fmt.Errorf("result buffer %#x+%d outside memory", optr, olen)}
		}
		var err error
		if res, err = DecodeResult(b, d.limits.MaxTextBytes); err != nil {
			return Result{}, &callError{KindOutput, err}
		}
	}
	if err := freeInput(ctx, in, ptr); err != nil {
		return Result{}, err
	}
	return res, nil
}

// classify maps a wazero call error to a failure kind.
func classify(ctx context.Context, in *instance, err error) error {
	if in.fuel != nil && int64(in.fuel.Get()) <= 0 {
		return &callError{KindTimeout, fmt.Errorf("loop budget of %d iterations spent: %w", in.state.d.limits.MaxLoopIterations, err)}
	}
	if ee, ok := errors.AsType[*sys.ExitError](err); ok {
		switch ee.ExitCode() {
		case sys.ExitCodeDeadlineExceeded, sys.ExitCodeContextCanceled:
			return &callError{KindTimeout, fmt.Errorf("deadline exceeded: %w", err)}
		}
		return &callError{KindExit, err}
	}
	if ctx.Err() != nil {
		return &callError{KindTimeout, err}
	}
	return &callError{KindTrap, err}
}
