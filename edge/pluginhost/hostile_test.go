package pluginhost

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostile runs each hostile plugin's attack under both failure
// policies, then checks the plugin (a fresh instance) serves the next call.
func TestHostile(t *testing.T) {
	// Filling memory takes a while on a loaded machine: these attacks get a
	// long deadline so that the memory cap, not the clock, stops them.
	// A smaller memory cap keeps the memory attacks quick; they run under
	// one policy only (the policy code is the same for every kind).
	slow := Limits{Timeout: Duration(20 * time.Second), MaxMemoryPages: 200}
	tests := []struct {
		plugin string
		text   string // the attack
		kind   string // failure kind; "" = no failure, the plugin answers
		answer string // with kind "": substring of the answer
		stderr string // substring the failure log must show
		limits Limits
		config map[string]string
		heavy  bool // run under fail-closed only
	}{
		{plugin: "loop", text: "attack", kind: KindTimeout, limits: Limits{MaxLoopIterations: 5_000_000}},
		{plugin: "loop", text: "attack", kind: KindTimeout, limits: Limits{Termination: TerminationContext, Timeout: Duration(4 * time.Second)}},
		{plugin: "membomb", heavy: true, text: "attack", kind: KindTrap, stderr: "out of memory", limits: slow},
		{plugin: "recursion", heavy: true, text: "attack", kind: KindTrap, limits: slow},
		{plugin: "panic", text: "attack", kind: KindTrap, stderr: "hostile plugin panics on purpose"},
		{plugin: "bigoutput", heavy: true, text: "attack", kind: KindTrap, limits: slow},
		{plugin: "bigoutput", text: "claim", kind: KindOutput},
		{plugin: "bigoutput", text: "badptr", kind: KindOutput},
		{plugin: "bigoutput", text: "garbage", kind: KindOutput},
		{plugin: "ungranted", text: "attack", answer: "pdk: http_request http://127.0.0.1:1/: pdk: capability not granted to this plugin in this region; pdk: kv_set k: pdk: capability not granted to this plugin in this region; pdk: alert: pdk: capability not granted to this plugin in this region"},
		{plugin: "fileopen", text: "attack", answer: "error,error,error,error,error"},
		{plugin: "socket", text: "attack", answer: "dial error", limits: slow},
		{plugin: "piiscan", text: "attack", answer: "bad=-5 toolarge=-7 scans=16 then=-4"},
	}
	for _, tc := range tests {
		for _, policy := range []string{FailOpen, FailClosed} {
			name := tc.plugin + "/" + tc.text + "/" + policy
			if tc.limits.Termination != "" {
				name += "/" + tc.limits.Termination
			}
			t.Run(name, func(t *testing.T) {
				if (tc.kind == "" || tc.heavy) && policy == FailClosed {
					return // no failure, or covered under the other policy
				}
				var accepted atomic.Int32
				cfg := region(tc.plugin)
				p := Plugin{Fail: policy, Limits: tc.limits, Config: tc.config}
				if tc.plugin == "socket" {
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					defer ln.Close()
					go func() {
						for {
							c, err := ln.Accept()
							if err != nil {
								return
							}
							accepted.Add(1)
							c.Close()
						}
					}()
					p.Config = map[string]string{"addr": ln.Addr().String()}
				}
				cfg.Regions["t"].Plugins[tc.plugin] = p
				h, logs := testHost(t, cfg, map[string][]byte{tc.plugin: hostile(t, tc.plugin)})

				out, err := h.Run(context.Background(), "t", HookInbound, envelope(tc.text))
				switch {
				case tc.kind == "":
					if err != nil {
						t.Fatalf("Run: %v", err)
					}
					if out.Verdict != Answer || !strings.Contains(out.Answer, tc.answer) {
						t.Fatalf("outcome %+v, want answer containing %q\n%s", out, tc.answer, logs.String())
					}
				case policy == FailOpen:
					if err != nil {
						t.Fatalf("fail-open Run: %v", err)
					}
					if out.Verdict != Pass || out.Envelope.Message.Text != tc.text {
						t.Fatalf("fail-open outcome %+v, want an untouched pass", out)
					}
				default:
					if !errors.Is(err, ErrPluginFailed) {
						t.Fatalf("fail-closed err = %v, want ErrPluginFailed", err)
					}
					if k := FailureKind(err); k != tc.kind {
						t.Fatalf("failure kind %q, want %q (err %v)", k, tc.kind, err)
					}
				}
				if tc.kind != "" {
					if got := metricValue(h.metrics.errors.WithLabelValues(tc.plugin, "t", tc.kind)); got != 1 {
						t.Errorf("errors{kind=%s} = %v, want 1", tc.kind, got)
					}
					l := logs.String()
					if !strings.Contains(l, "plugin="+tc.plugin) || !strings.Contains(l, "plugin failed") {
						t.Errorf("failure not logged with the plugin name:\n%s", l)
					}
					if tc.stderr != "" && !strings.Contains(l, tc.stderr) {
						t.Errorf("log lacks the guest's stderr %q:\n%s", tc.stderr, l)
					}
				}
				if accepted.Load() != 0 {
					t.Fatalf("the plugin opened %d TCP connections", accepted.Load())
				}
				// The edge keeps serving: the next call gets a healthy instance.
				if out := run(t, h, "hello"); out.Verdict != Answer || out.Answer != "ok:"+tc.plugin {
					t.Fatalf("next call: %+v\n%s", out, logs.String())
				}
			})
		}
	}
}

// TestHostileNeverInit: a start function that never returns is cut at
// init_timeout and the bundle refused, at load and on Install.
func TestHostileNeverInit(t *testing.T) {
	never := hostile(t, "neverinit")
	cfg := region("p")
	cfg.Defaults.InitTimeout = Duration(300 * time.Millisecond)
	cfg.Defaults.MaxLoopIterations = 5_000_000
	cfg.Builtin = func(string) ([]byte, bool) { return never, true }
	cfg.CacheDir = testCacheDir(t)
	cfg.Registerer = newRegistry()
	cfg.Logger = discardLogger()
	if _, err := NewHost(context.Background(), cfg); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "start function did not return") {
		t.Fatalf("NewHost with a never-returning start: %v", err)
	}

	// Context termination: the wall-clock InitTimeout cuts the start function.
	h, _ := testHost(t, Config{Defaults: Limits{InitTimeout: Duration(3 * time.Second), Termination: TerminationContext}, Regions: region("p").Regions},
		map[string][]byte{"p": testPlugin(t, "kitchen")})
	err := h.Install(context.Background(), "p", never, nil)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "start function did not return") {
		t.Fatalf("Install: %v", err)
	}
	if out := run(t, h, "answer still-here"); out.Answer != "answer still-here" {
		t.Fatalf("old version gone: %+v", out)
	}
}
