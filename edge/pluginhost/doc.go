// Package pluginhost runs the edge's WebAssembly plugins (plugins/ABI.md,
// ABI version 1) with wazero in compiler mode.
//
// A Host is built from a Config (TOML, see ParseConfig) that declares, per
// region, the pipelines of plugins for each hook (inbound, outbound, event),
// the capabilities each plugin is granted (kv, http, alert, env, fs), its
// limits and its failure policy. Run passes an envelope through a region's
// pipeline and returns an Outcome; a plugin's trap, time-out, memory
// exhaustion or malformed output never escapes as a crash: it is counted
// (kefu_plugin_errors_total{kind}), logged with the plugin name and the
// guest's stderr, the instance is discarded, and the plugin's policy
// decides (fail-open skips it, fail-closed fails the Run with
// ErrPluginFailed).
//
// # Instances and what survives between calls
//
// Each (region, plugin) has its own wazero runtime (so its own memory cap),
// one CompiledModule (compiled once; with Config.CacheDir the machine code is
// also kept on disk, so a restart skips compilation) and a bounded pool of
// instances: PoolWarm are created at load, more on demand up to PoolSize,
// and callers beyond that wait (bounded by their context). Instances are
// reused across calls, so a guest's globals and heap survive between the
// calls that land on the same instance — a cache, never the truth: any
// failure discards the instance, a reload replaces them all, and concurrent
// calls land on different instances. State that must be shared lives in the
// host's per-(tenant, plugin) key/value store (ristretto; bounded, may
// evict, lost on restart). Nothing else survives: no files, no sockets, no
// environment unless granted.
//
// An instance's linear memory is one mmap reservation of its memory cap
// (address space only, outside the Go heap): memory.grow lengthens it in
// place instead of copying the guest's heap into a bigger Go slice, and
// closing the instance unmaps it.
//
// # Reload
//
// Install (admin API) and the plugin folder poller verify a new bundle's
// ed25519 signature, compile it, start a warm instance (proving the start
// function returns within InitTimeout and the ABI version and hooks match)
// and only then swap it in atomically; calls in flight finish on the old
// version, which closes when the last one leaves. A refused bundle leaves
// the running version in place; the error says why.
//
// # Stopping runaway guests (why not only WithCloseOnContextDone)
//
// wazero's WithCloseOnContextDone makes compiled code exit to Go at every
// loop header to look for a closed module. Go guests branch through a loop
// at every basic block, so a 1 KiB pass-through cost ~330 µs of CPU instead
// of ~37 µs (measured with wazero v1.12). By default (Limits.Termination =
// "fuel") the host therefore rewrites each module once, before compiling it
// (internal/fuel): a loop counter in a global, decremented inline at every
// loop header, traps when spent; the host sets it to MaxLoopIterations
// before each call. Time-outs then bound waits (pool, host HTTP) and the
// loop budget bounds compute, deterministically. Termination = "context"
// keeps the wall-clock close-on-context-done behaviour; modules the
// rewriter refuses (SIMD) fall back to it.
//
// # Quotas
//
// Per tenant and per minute: guest time (wall time inside plugins, less the
// time spent waiting on host HTTP; the per-call deadline is shortened to
// what is left under "context" termination; under "fuel" a call that starts
// within budget may overshoot it by one call) and http_request calls. Refusals are failures of kind
// "quota" (metric kefu_plugin_quota_exceeded_total) and Usage reports them.
package pluginhost
