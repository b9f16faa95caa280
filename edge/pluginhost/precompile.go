package pluginhost

import (
	"context"
	"crypto/sha256"
	"maps"
	"runtime"
	"slices"
	"sync"

	"github.com/tetratelabs/wazero"

	"github.com/kefu-io/kefu/edge/pluginhost/internal/datasegs"
	"github.com/kefu-io/kefu/edge/pluginhost/internal/fuel"
)

// coalesceGap is the longest run of zeros guestCode fills to merge two
// data segments: a Go plugin's ~40,000 segments become one or a few, its
// data ~30% longer (zeros its memory holds anyway).
const coalesceGap = 4096

// guestCode is the code a deployment with limits l compiles: wasm with its
// data segments coalesced (a module datasegs cannot rewrite stays as it
// is; compiling reports what is malformed), and with a loop budget under
// TerminationFuel (and true). A module that cannot take the budget is
// returned without it, with false and the reason.
func guestCode(wasm []byte, l Limits) ([]byte, bool, error) {
	if c, err := datasegs.Coalesce(wasm, coalesceGap); err == nil {
		wasm = c
	}
	if l.Termination != TerminationFuel {
		return wasm, false, nil
	}
	inst, err := fuel.Instrument(wasm, l.MaxLoopIterations)
	if err != nil {
		return wasm, false, err
	}
	return inst, true, nil
}

// runtimeConfig is the wazero configuration of a deployment with limits l
// (fuel: its code carries a loop budget, so no context-done checks are
// compiled in). Code compiled under it lands in the host's compilation
// cache, keyed by the code and the context-done checks.
func (h *Host) runtimeConfig(l Limits, fuel bool) wazero.RuntimeConfig {
	return wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(h.cache).
		WithMemoryLimitPages(l.MaxMemoryPages).
		WithCloseOnContextDone(!fuel)
}

// precompile compiles the code of every plugin New is about to install
// (bundles by name) into the host's compilation cache, on every core at
// once: installs run one at a time, and compiling a plugin with wazero's
// optimizing compiler takes ~1.5 s the first time (the five built-in
// plugins made `kefu dev`'s first start ~8 s, on one core). The installs
// then find the compiled code in the cache. Errors are left for the
// install to report. The returned func releases the compiled modules
// (the cache keeps them for the installs' runtimes).
func (h *Host) precompile(ctx context.Context, bundles map[string][]byte) (release func()) {
	type job struct {
		code []byte
		l    Limits
		fuel bool
	}
	type key struct {
		code [sha256.Size]byte
		fuel bool
	}
	seen := map[key]bool{}
	var jobs []job
	for _, name := range slices.Sorted(maps.Keys(bundles)) {
		for _, region := range slices.Sorted(maps.Keys(h.cfg.Regions)) {
			if h.slots[region][name] == nil {
				continue
			}
			l := h.cfg.limitsFor(h.cfg.Regions[region], name)
			code, fuel, _ := guestCode(bundles[name], l) // the install reports the error
			if k := (key{sha256.Sum256(code), fuel}); !seen[k] {
				seen[k] = true
				jobs = append(jobs, job{code, l, fuel})
			}
		}
	}
	rts := make([]wazero.Runtime, len(jobs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rts[i] = wazero.NewRuntimeWithConfig(ctx, h.runtimeConfig(j.l, j.fuel))
			_, _ = rts[i].CompileModule(ctx, j.code)
		}()
	}
	wg.Wait()
	return func() {
		for _, rt := range rts {
			_ = rt.Close(context.WithoutCancel(ctx))
		}
	}
}
