package edge

import (
	"context"
	"errors"
	"sync"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
)

// The inbound plugins on a bounded pool of workers (issue 14).
//
// A shopper's message used to run its inbound pipeline (the edge's intent
// check and the region's wasm plugins) on its connection's goroutine: with
// 10,000 shoppers chatting, thousands of calls contended for the plugins'
// few instances, each connection goroutine grew its small stack for the
// call (runtime.copystack), and under load the calls ran past their
// timeout, broke their instances and were resent. Now a connection hands
// the message to a fixed set of worker goroutines through a bounded queue
// and waits for the outcome: a connection reads its next frame only after
// the outcome of the previous one, so the messages of a connection (and of
// its conversation) are still handled in order; as many pipelines run at
// once as there are workers; and when the queue is full the shopper is told
// at once, with an error frame (unavailable: retry with the same id, as the
// widget does), instead of waiting past the plugin timeout. Nothing queued
// is dropped: close runs what is queued before the workers end.

// errEdgeBusy: the inbound queue is full (or the edge is closing).
var errEdgeBusy = errors.New("edge: inbound queue full")

type inJob struct {
	ctx  context.Context
	env  chat.Envelope
	out  pluginhost.Outcome
	err  error
	done chan struct{} // the worker sends once when out and err are set
}

// inJobs are reused: a job holds two envelopes (~1 KiB), allocated per
// message with plugins otherwise. A job is the submitter's again once it
// has received from done; the worker does not touch it after sending.
var inJobs = sync.Pool{New: func() any { return &inJob{done: make(chan struct{}, 1)} }}

// inPool runs inbound pipelines on its workers.
type inPool struct {
	jobs   chan *inJob
	run    func(ctx context.Context, env chat.Envelope) (pluginhost.Outcome, error)
	wg     sync.WaitGroup
	mu     sync.RWMutex // submit holds it for reading; close for writing
	closed bool
}

// newInPool starts workers (at least 1) taking jobs from a queue of depth
// (at least 1).
func newInPool(workers, depth int, run func(ctx context.Context, env chat.Envelope) (pluginhost.Outcome, error)) *inPool {
	p := &inPool{jobs: make(chan *inJob, max(depth, 1)), run: run}
	for range max(workers, 1) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range p.jobs {
				if err := j.ctx.Err(); err != nil {
					j.err = err
				} else {
					j.out, j.err = p.run(j.ctx, j.env)
				}
				j.done <- struct{}{}
			}
		}()
	}
	return p
}

// do runs env through the pipeline on a worker and returns its outcome;
// it returns errEdgeBusy at once, without running anything, when the queue
// is full or the pool is closed.
func (p *inPool) do(ctx context.Context, env chat.Envelope) (pluginhost.Outcome, error) {
	j := inJobs.Get().(*inJob)
	j.ctx, j.env = ctx, env
	p.mu.RLock()
	queued := false
	if !p.closed {
		select {
		case p.jobs <- j:
			queued = true
		default:
		}
	}
	p.mu.RUnlock()
	if queued {
		<-j.done // a queued job always runs (or sees its context ended)
	}
	out, err := j.out, j.err
	*j = inJob{done: j.done} // nothing of this message stays reachable
	inJobs.Put(j)
	if !queued {
		return pluginhost.Outcome{}, errEdgeBusy
	}
	return out, err
}

// queued is how many jobs wait for a worker.
func (p *inPool) queued() int { return len(p.jobs) }

// close stops taking jobs, runs those queued and waits for the workers.
func (p *inPool) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()
	p.wg.Wait()
}
