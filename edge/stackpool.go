package edge

import (
	"context"
	"time"
)

// Shoppers' messages handled on long-lived goroutines (issue 14).
//
// A connection's goroutine is idle most of the time (one message every few
// seconds), so the garbage collector shrinks its stack between messages,
// and handling a message (the frames of session.onMessage and forward,
// the JetStream publish and its PubAck, the socket write) grew it again
// for nearly every message: runtime.copystack (growing, and shrinking at
// the next GC) was 8.5% of the server's samples in a goal run of `kefu
// bench stack`, nearly all of it for the connections' read loops. A
// message is now handled on one of a few workers, whose stacks stay grown
// while they work; the connection waits for it to finish, as it waited
// for the publish, so its messages are still handled one at a time and in
// order. When no worker is idle the connection waits up to stackWait for
// one, and only then handles the message itself: under load every worker
// is busy most of the time, and handling on the connection's goroutine
// brought the stack growth back (runtime.copystack 7.5% of the server's
// samples in a goal run on a loaded machine, nearly all of it on
// connections whose message found no idle worker), while a wait costs no
// CPU. The wait is bounded so that workers held by slow clients (a write
// holds its handler for up to writeWait) delay other shoppers' messages by
// stackWait at most. A panic goes back to the connection's goroutine,
// whose handler recovers it.

// msgWorkers is the message workers per GOMAXPROCS: each mostly waits (for
// the plugins' workers, the PubAck, a socket). Under load a message waits
// long for the plugins' workers (their queue holds InboundQueue), and 32
// per GOMAXPROCS were all busy: most messages then ran on their
// connection's goroutine, growing its stack. An idle worker's stack costs
// what the GC leaves of it (it shrinks idle stacks).
const msgWorkers = 256

// stackWait is how long a message waits for a worker when none is idle.
const stackWait = 50 * time.Millisecond

type stackJob struct {
	f     func()
	panic any
	done  chan struct{}
}

// stackPool runs functions on its workers until ctx ends.
type stackPool struct {
	jobs chan *stackJob  // unbuffered: a send succeeds only to a waiting worker
	wait time.Duration   // how long run waits for a worker when none is idle
	done <-chan struct{} // the workers' context's: they have ended
}

func newStackPool(ctx context.Context, workers int, wait time.Duration) *stackPool {
	p := &stackPool{jobs: make(chan *stackJob), wait: wait, done: ctx.Done()}
	for range max(workers, 1) {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-p.jobs:
					j.run()
				}
			}
		}()
	}
	return p
}

func (j *stackJob) run() {
	defer close(j.done)
	defer func() { j.panic = recover() }()
	j.f()
}

// run runs f on a worker, waiting up to p.wait for one when none is idle,
// or on the caller's goroutine when none became free (or the pool has
// ended, or p is nil), and returns when f has; f's panic is raised again
// on the caller's goroutine.
func (p *stackPool) run(f func()) {
	if p != nil {
		j := &stackJob{f: f, done: make(chan struct{})}
		select {
		case p.jobs <- j:
			p.finish(j)
			return
		default:
		}
		if p.wait > 0 {
			t := time.NewTimer(p.wait)
			select {
			case p.jobs <- j:
				t.Stop()
				p.finish(j)
				return
			case <-t.C:
			case <-p.done:
				t.Stop()
			}
		}
	}
	f()
}

// finish waits for j's function and raises its panic again.
func (p *stackPool) finish(j *stackJob) {
	<-j.done
	if j.panic != nil {
		panic(j.panic)
	}
}
