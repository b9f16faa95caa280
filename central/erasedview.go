package central

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
)

// The local view of chat.BucketErased (erased.go). Every inbound message
// asked the bucket whether its visitor was erased: a KV get and its answer,
// two NATS messages per chat message for a bucket that changes once per
// erasure. Central now keeps the bucket in memory, filled by a watcher, and
// answers from it while it is known to be current; otherwise (the watch
// starting or broken, a probe late) it asks the bucket as before.
//
// "Current" is measured, not assumed: every erasedProbeEvery a probe asks
// the bucket's stream for its last sequence; once the watcher has applied
// that sequence, every note stored before the probe was sent is in the
// view (currentAt). A lookup answers from the view only if currentAt is at
// most erasedViewLag old. With several replicas a note put by one reaches
// another's view within that bound or the other asks the bucket, so the
// erasure waits erasedViewLag after its note before it replaces the texts
// and tells the edges (executeErasure): a message checked after that sees
// the note in every replica, as a message checked after the note did with
// a get. A message checked before it and stored after the texts were
// replaced is the race a get had too (check, then store).

// erasedViewLag bounds how old the view's last confirmation may be for a
// lookup to trust it, and is how long an erasure waits after its note.
const erasedViewLag = time.Second

// erasedProbeEvery is how often the view confirms it is current.
const erasedProbeEvery = 200 * time.Millisecond

// erasedUnreadable stands for a note whose time cannot be read: the
// visitor was erased, nothing older is kept (as the get did).
var erasedUnreadable = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// erasedView is the local copy of the bucket; the zero value is not live
// (every lookup falls back to the bucket).
type erasedView struct {
	mu sync.Mutex
	at map[string]time.Time // key → erasure time
	// live: the watcher delivered the bucket's values and runs.
	live bool
	// covered: every bucket message up to this stream sequence is applied.
	covered uint64
	// want, wantAt: the last probe's sequence and when it was asked.
	want   uint64
	wantAt time.Time
	// currentAt: every note stored before it is in at.
	currentAt time.Time
}

// lookup returns key's erasure time; current is false when the view cannot
// answer (then found and at mean nothing).
func (v *erasedView) lookup(key string, now time.Time) (at time.Time, found, current bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.live || now.Sub(v.currentAt) > erasedViewLag {
		return time.Time{}, false, false
	}
	at, found = v.at[key]
	if found && at != erasedUnreadable && now.Sub(at) > chat.ErasedMaxAge {
		found = false // expired from the bucket by now
	}
	return at, found, true
}

// restart empties the view for a new watch; lookups fall back until it is
// caught up.
func (v *erasedView) restart() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.at, v.live, v.covered, v.want, v.currentAt = map[string]time.Time{}, false, 0, 0, time.Time{}
}

// stop marks the view not live (the watch ended).
func (v *erasedView) stop() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.live = false
}

// apply takes one entry of the watch.
func (v *erasedView) apply(key string, value []byte, seq uint64, deleted bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.at == nil {
		v.at = map[string]time.Time{}
	}
	if deleted {
		delete(v.at, key)
	} else {
		v.at[key] = parseErasedAt(value)
	}
	if seq > v.covered {
		v.covered = seq
	}
	v.confirm()
}

// caughtUp marks the view live once the watch delivered the values the
// bucket held when lastSeq was read at askedAt.
func (v *erasedView) caughtUp(lastSeq uint64, askedAt time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.live = true
	if lastSeq > v.covered {
		v.covered = lastSeq
	}
	if v.want == 0 || lastSeq >= v.want {
		v.want, v.wantAt = lastSeq, askedAt
	}
	v.confirm()
}

// probed records the bucket's last sequence as read at askedAt.
func (v *erasedView) probed(lastSeq uint64, askedAt time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.want, v.wantAt = lastSeq, askedAt
	v.confirm()
}

// confirm advances currentAt when the watch has applied the probed
// sequence; v.mu is held.
func (v *erasedView) confirm() {
	if v.live && v.covered >= v.want && v.wantAt.After(v.currentAt) {
		v.currentAt = v.wantAt
	}
}

// note puts this replica's own erasure into the view at once.
func (v *erasedView) note(key string, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.at == nil {
		v.at = map[string]time.Time{}
	}
	if old, ok := v.at[key]; !ok || at.After(old) {
		v.at[key] = at
	}
}

// sweep drops the notes the bucket has expired.
func (v *erasedView) sweep(now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, at := range v.at {
		if at != erasedUnreadable && now.Sub(at) > chat.ErasedMaxAge {
			delete(v.at, k)
		}
	}
}

func parseErasedAt(value []byte) time.Time {
	at, err := time.Parse(time.RFC3339Nano, string(value))
	if err != nil {
		return erasedUnreadable
	}
	return at
}

// watchErased keeps s.erasedView until the service closes: a watch of the
// bucket, restarted a second after it fails, and the probe.
func (s *Service) watchErased() {
	defer s.bg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.closed
		cancel()
	}()
	s.bg.Add(1)
	go s.probeErased(ctx)
	for ctx.Err() == nil {
		if err := s.watchErasedOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("erased visitors: watch of the bucket ended; asking the bucket until it is back", "err", err)
		}
		s.erasedView.stop()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Service) watchErasedOnce(ctx context.Context) error {
	s.erasedView.restart()
	askedAt := time.Now()
	last, err := s.erasedLastSeq(ctx)
	if err != nil {
		return err
	}
	w, err := s.erased.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return errWatchEnded
			}
			if e == nil {
				s.erasedView.caughtUp(last, askedAt)
				continue
			}
			op := e.Operation()
			s.erasedView.apply(e.Key(), e.Value(), e.Revision(), op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge)
		}
	}
}

// probeErased confirms every erasedProbeEvery that the view is current.
func (s *Service) probeErased(ctx context.Context) {
	defer s.bg.Done()
	t := time.NewTicker(erasedProbeEvery)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		askedAt := time.Now()
		last, err := s.erasedLastSeq(ctx)
		if err != nil {
			continue // not confirmed: lookups fall back once the last confirmation is too old
		}
		s.erasedView.probed(last, askedAt)
		if i%300 == 0 {
			s.erasedView.sweep(askedAt)
		}
	}
}

// erasedLastSeq reads the last sequence of the bucket's stream.
func (s *Service) erasedLastSeq(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := s.erased.Status(ctx)
	if err != nil {
		return 0, err
	}
	b, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return 0, errNoStreamInfo
	}
	return b.StreamInfo().State.LastSeq, nil
}
