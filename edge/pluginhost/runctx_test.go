package pluginhost

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRunWithinDeadline: RunWithin's timeout stops a guest that loops (the
// plugin's own limit is longer), as a context.WithTimeout around Run does,
// also for a fail-open plugin: the run ends with the deadline's error.
func TestRunWithinDeadline(t *testing.T) {
	cfg := region("loop")
	cfg.Regions["t"].Plugins["loop"] = Plugin{Fail: FailOpen, Limits: Limits{Termination: TerminationContext, Timeout: Duration(20 * time.Second)}}
	h, _ := testHost(t, cfg, map[string][]byte{"loop": hostile(t, "loop")})
	start := time.Now()
	_, err := h.RunWithin(context.Background(), 200*time.Millisecond, "t", HookInbound, envelope("attack"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunWithin: %v, want the deadline", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("RunWithin took %v with a 200ms timeout", d)
	}
}

// TestRunCtx: the run's context is made on first use, with the deadline;
// before that err reports the parent's error or a passed deadline.
func TestRunCtx(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	past, soon := time.Now().Add(-time.Second), time.Now().Add(time.Hour)
	tests := []struct {
		name     string
		rc       runCtx
		err      error // before get
		deadline bool  // get's context has one
	}{
		{"no deadline", runCtx{parent: context.Background()}, nil, false},
		{"deadline ahead", runCtx{parent: context.Background(), deadline: soon}, nil, true},
		{"deadline passed", runCtx{parent: context.Background(), deadline: past}, context.DeadlineExceeded, true},
		{"parent canceled", runCtx{parent: canceled, deadline: soon}, context.Canceled, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := tc.rc
			defer rc.release()
			if err := rc.err(); !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err before get = %v, want %v", err, tc.err)
			}
			ctx := rc.get()
			if ctx != rc.get() {
				t.Fatal("get made a second context")
			}
			if d, ok := ctx.Deadline(); ok != tc.deadline || ok && !d.Equal(tc.rc.deadline) {
				t.Fatalf("deadline %v %v, want %v", d, ok, tc.rc.deadline)
			}
			if err := rc.err(); !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("err after get = %v, want %v", err, tc.err)
			}
		})
	}
}
