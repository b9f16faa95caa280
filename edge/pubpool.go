package edge

import (
	"context"

	"github.com/kefu-io/kefu/chat"
)

// Publishing shoppers' messages on long-lived goroutines (issue 14).
//
// A connection's goroutine is idle most of the time (one message every few
// seconds), so the garbage collector shrinks its stack between messages,
// and the JetStream publish (the NATS client's publish and the wait for
// its PubAck, below the frames of the read loop and the message handling)
// grew it again for nearly every message: runtime.copystack was 3% of the
// server's samples in a goal run of `kefu bench stack`, all of it under
// session.forward. The publish now runs on one of a few workers, whose
// stacks stay grown while they work; the connection waits for the outcome
// as it waited for the PubAck. A worker is only used when one is idle:
// otherwise the connection publishes itself, as before, so the pool
// neither queues a message nor adds a wait.

// pubWorkers is the publish workers per GOMAXPROCS: each mostly waits for
// a PubAck.
const pubWorkers = 32

type pubJob struct {
	ctx  context.Context
	env  *chat.Envelope
	err  error
	done chan struct{}
}

// pubPool runs publish on its workers until ctx ends.
type pubPool struct {
	jobs    chan *pubJob // unbuffered: a send succeeds only to an idle worker
	publish func(ctx context.Context, env *chat.Envelope) error
}

func newPubPool(ctx context.Context, workers int, publish func(ctx context.Context, env *chat.Envelope) error) *pubPool {
	p := &pubPool{jobs: make(chan *pubJob), publish: publish}
	for range max(workers, 1) {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-p.jobs:
					j.err = p.publish(j.ctx, j.env)
					close(j.done)
				}
			}
		}()
	}
	return p
}

// do publishes env on an idle worker, or on the caller's goroutine when
// none is idle (or the pool has ended), and returns publish's error.
func (p *pubPool) do(ctx context.Context, env *chat.Envelope) error {
	j := &pubJob{ctx: ctx, env: env, done: make(chan struct{})}
	select {
	case p.jobs <- j:
		<-j.done
		return j.err
	default:
		return p.publish(ctx, env)
	}
}
