package edge

import (
	"context"
	"sync/atomic"
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
// order. A worker is only used when one is idle: otherwise the connection
// handles the message itself, as before, so the pool neither queues a
// message nor adds a wait (a slow client, whose write holds its handler
// for up to writeWait, holds a worker at most). A panic goes back to the
// connection's goroutine, whose handler recovers it.

// msgWorkers is the message workers per GOMAXPROCS started with the
// node: each mostly waits (for the plugins' workers, the PubAck, a socket).
const msgWorkers = 32

// msgWorkersMost is the most message workers per GOMAXPROCS: when none is
// idle the pool starts another, up to this, rather than let the
// connection's goroutine handle the message. Each shopper's first message
// used to find every worker busy (the start of `kefu bench stack`, 10,000
// shoppers at 2,000 msg/s), so 10,000 connection goroutines grew their
// stacks for it (copystack 1.5-3.6% of the server's samples in the first
// 5 s, and the grown stacks raise the GC's heap goal: the heap grew into
// fresh memory, runtime.(*mcentral).grow 7-9%).
const msgWorkersMost = 256

type stackJob struct {
	f     func()
	panic any
	done  chan struct{}
}

// stackPool runs functions on its workers until ctx ends.
type stackPool struct {
	ctx   context.Context
	jobs  chan *stackJob // unbuffered: a send succeeds only to an idle worker
	spare atomic.Int64   // workers that may still be started
}

// newStackPool starts workers workers; up to most in all are started as
// they are needed (most <= workers: a fixed pool).
func newStackPool(ctx context.Context, workers, most int) *stackPool {
	workers = max(workers, 1)
	p := &stackPool{ctx: ctx, jobs: make(chan *stackJob)}
	p.spare.Store(int64(max(most-workers, 0)))
	for range workers {
		go p.work(nil)
	}
	return p
}

// work runs j (when not nil), then the jobs it receives until ctx ends.
func (p *stackPool) work(j *stackJob) {
	if j != nil {
		j.run()
	}
	for {
		select {
		case <-p.ctx.Done():
			return
		case j := <-p.jobs:
			j.run()
		}
	}
}

func (j *stackJob) run() {
	defer close(j.done)
	defer func() { j.panic = recover() }()
	j.f()
}

// run runs f on an idle worker, or on a worker it starts when none is idle
// and the pool may grow, or else on the caller's goroutine (also when the
// pool has ended, or p is nil), and returns when f has; f's panic is
// raised again on the caller's goroutine.
func (p *stackPool) run(f func()) {
	if p != nil && p.ctx.Err() == nil {
		j := &stackJob{f: f, done: make(chan struct{})}
		select {
		case p.jobs <- j:
		default:
			if p.spare.Add(-1) < 0 {
				p.spare.Add(1)
				f()
				return
			}
			go p.work(j)
		}
		<-j.done
		if j.panic != nil {
			panic(j.panic)
		}
		return
	}
	f()
}
