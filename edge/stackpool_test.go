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
	// Hold the worker. Right after a job the worker may not be back at its
	// receive yet, so the caller runs f itself: try again until a held f is
	// on the worker.
	release, held := make(chan struct{}), make(chan bool, 1)
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
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("could not hold the worker")
		}
		time.Sleep(time.Millisecond)
	}
	ran := make(chan bool, 1)
	go p.run(func() { ran <- onWorker() })
	select {
	case w := <-ran:
		if w {
			t.Fatal("ran on the busy worker")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run waited for the busy worker")
	}
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
	for i := range most { // hold a worker each (started or the first)
		for deadline := time.Now().Add(5 * time.Second); ; {
			started := make(chan bool)
			go p.run(func() {
				w := onWorker()
				started <- w
				if w {
					<-release
				}
			})
			if <-started {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("function %d not on a worker", i+1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if n := p.spare.Load(); n != 0 {
		t.Fatalf("%d workers may still be started with %d busy, want 0", n, most)
	}
	ran := make(chan bool, 1)
	go p.run(func() { ran <- onWorker() })
	select {
	case w := <-ran:
		if w {
			t.Fatal("ran on a worker beyond the pool's most")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run waited for a busy worker")
	}
}
