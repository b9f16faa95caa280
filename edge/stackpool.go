package edge

import "context"

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

// msgWorkers is the message workers per GOMAXPROCS: each mostly waits (for
// the plugins' workers, the PubAck, a socket).
const msgWorkers = 32

type stackJob struct {
	f     func()
	panic any
	done  chan struct{}
}

// stackPool runs functions on its workers until ctx ends.
type stackPool struct {
	jobs chan *stackJob // unbuffered: a send succeeds only to an idle worker
}

func newStackPool(ctx context.Context, workers int) *stackPool {
	p := &stackPool{jobs: make(chan *stackJob)}
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

// run runs f on an idle worker, or on the caller's goroutine when none is
// idle (or the pool has ended, or p is nil), and returns when f has; f's
// panic is raised again on the caller's goroutine.
func (p *stackPool) run(f func()) {
	if p != nil {
		j := &stackJob{f: f, done: make(chan struct{})}
		select {
		case p.jobs <- j:
			<-j.done
			if j.panic != nil {
				panic(j.panic)
			}
			return
		default:
		}
	}
	f()
}
