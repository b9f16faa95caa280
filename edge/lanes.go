package edge

import (
	"hash/maphash"
	"sync"
)

// lanes runs work on a fixed set of goroutines, one queue each: work with
// the same key always goes to the same lane, so it runs in the order it
// was given, and work with different keys runs in parallel. The edge runs
// central's replies through the outbound plugins this way, keyed by
// conversation: replies of one conversation reach the shopper in order
// while other conversations' replies do not wait behind them.
type lanes struct {
	seed   maphash.Seed
	queues []chan func()
	wg     sync.WaitGroup
	mu     sync.RWMutex // do holds it for reading while it enqueues; close for writing
	closed bool
}

// newLanes starts n lanes (at least 1) with queues of depth items each.
// When a lane's queue is full, do waits: the subscription that feeds the
// lanes then falls behind, and NATS counts a slow consumer past its
// pending limits.
func newLanes(n, depth int) *lanes {
	n = max(n, 1)
	l := &lanes{seed: maphash.MakeSeed(), queues: make([]chan func(), n)}
	for i := range l.queues {
		q := make(chan func(), depth)
		l.queues[i] = q
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for f := range q {
				f()
			}
		}()
	}
	return l
}

// lane is the index of key's lane.
func (l *lanes) lane(key string) int {
	return int(maphash.String(l.seed, key) % uint64(len(l.queues)))
}

// do queues f on key's lane. It reports false (and does not run f) once
// the lanes are closed.
func (l *lanes) do(key string, f func()) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false
	}
	l.queues[l.lane(key)] <- f
	return true
}

// close stops taking work, runs what is queued and waits for it.
func (l *lanes) close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		for _, q := range l.queues {
			close(q)
		}
	}
	l.mu.Unlock()
	l.wg.Wait()
}
