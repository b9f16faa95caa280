package edge

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestStackPool: a function runs on an idle worker (not on the caller's
// goroutine) and run returns when it has; with every worker busy, or the
// pool ended, or no pool, the caller runs it itself at once instead of
// waiting; a panic comes back to the caller.
func TestStackPool(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	onWorker := func() bool {
		buf := make([]byte, 8<<10)
		return !strings.Contains(string(buf[:runtime.Stack(buf, false)]), "(*stackPool).run")
	}
	p := newStackPool(ctx, 1, 1)
	for deadline := time.Now().Add(5 * time.Second); ; { // until the worker waits for jobs
		var w bool
		p.run(func() { w = onWorker() })
		if w {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing ran on the worker")
		}
		time.Sleep(time.Millisecond)
	}
	release := make(chan struct{})
	held := holdWorker(t, p, onWorker, release)
	runsOnCaller(t, p, onWorker)
	close(release)
	if !<-held {
		t.Fatal("the held function was not on the worker")
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the worker's panic", r)
			}
		}()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			p.run(func() {
				if onWorker() {
					panic("boom")
				}
			})
			time.Sleep(time.Millisecond)
		}
		t.Fatal("no panic came back")
	}()
	cancel()
	time.Sleep(20 * time.Millisecond) // the worker ends
	for _, pool := range []*stackPool{p, nil} {
		var w = true
		pool.run(func() { w = onWorker() })
		if w {
			t.Fatalf("pool %v: ran on a worker after it ended", pool)
		}
	}
}

// TestStackPoolGrows: with every worker busy the pool starts another, up
// to its most, before the caller handles a function itself.
func TestStackPoolGrows(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	onWorker := func() bool {
		buf := make([]byte, 8<<10)
		// a started worker's trace ends "created by …(*stackPool).run"
		return strings.Contains(string(buf[:runtime.Stack(buf, false)]), "(*stackPool).work(")
	}
	const most = 3
	p := newStackPool(ctx, 1, most)
	release := make(chan struct{})
	defer close(release)
	for range most { // hold a worker each (started or the first)
		holdWorker(t, p, onWorker, release)
	}
	if n := p.spare.Load(); n != 0 {
		t.Fatalf("%d workers may still be started with %d busy, want 0", n, most)
	}
	runsOnCaller(t, p, onWorker)
}

// holdWorker runs a function on a worker of p that waits for release, and
// returns a channel that gets whether it was still on a worker after. Right
// after a job a worker may not be back at its receive yet, so the caller
// ran the function itself: it tries again until one is on a worker.
func holdWorker(t *testing.T, p *stackPool, onWorker func() bool, release <-chan struct{}) <-chan bool {
	t.Helper()
	held := make(chan bool, 1)
	for deadline := time.Now().Add(5 * time.Second); ; {
		started := make(chan bool)
		go p.run(func() {
			w := onWorker()
			started <- w
			if w {
				<-release
				held <- onWorker()
			}
		})
		if <-started {
			return held
		}
		if time.Now().After(deadline) {
			t.Fatal("could not hold a worker")
		}
		time.Sleep(time.Millisecond)
	}
}

// runsOnCaller checks that with every worker of p held (and no more to
// start) a function runs at once, on the caller's goroutine.
func runsOnCaller(t *testing.T, p *stackPool, onWorker func() bool) {
	t.Helper()
	ran := make(chan bool, 1)
	go p.run(func() { ran <- onWorker() })
	select {
	case w := <-ran:
		if w {
			t.Fatal("ran on a busy worker, or one beyond the pool's most")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run waited for a busy worker")
	}
}
