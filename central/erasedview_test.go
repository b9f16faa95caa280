package central

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestErasedView: the view answers only while the watch is caught up and a
// probe confirmed it within erasedViewLag, and only with what the watch
// applied up to the probed sequence.
func TestErasedView(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	erasedAt := t0.Add(-time.Minute)
	val := []byte(erasedAt.Format(time.RFC3339Nano))
	tests := []struct {
		name        string
		setup       func(v *erasedView)
		key         string
		now         time.Time
		wantCurrent bool
		wantFound   bool
		wantAt      time.Time
	}{
		{"zero value: not live", func(v *erasedView) {}, "k", t0, false, false, time.Time{}},
		{"values in, not caught up", func(v *erasedView) {
			v.restart()
			v.apply("k", val, 1, false)
		}, "k", t0, false, false, time.Time{}},
		{"caught up: found", func(v *erasedView) {
			v.restart()
			v.apply("k", val, 1, false)
			v.caughtUp(1, t0)
		}, "k", t0, true, true, erasedAt},
		{"caught up: another key", func(v *erasedView) {
			v.restart()
			v.apply("k", val, 1, false)
			v.caughtUp(1, t0)
		}, "other", t0, true, false, time.Time{}},
		{"confirmation too old", func(v *erasedView) {
			v.restart()
			v.caughtUp(0, t0)
		}, "k", t0.Add(erasedViewLag + time.Millisecond), false, false, time.Time{}},
		{"probe ahead of the watch: not confirmed", func(v *erasedView) {
			v.restart()
			v.caughtUp(0, t0)
			v.probed(1, t0.Add(2*erasedViewLag)) // a note another replica put, not yet applied
		}, "k", t0.Add(2 * erasedViewLag), false, false, time.Time{}},
		{"probe ahead of the watch, then applied", func(v *erasedView) {
			v.restart()
			v.caughtUp(0, t0)
			v.probed(1, t0.Add(2*erasedViewLag))
			v.apply("k", val, 1, false)
		}, "k", t0.Add(2 * erasedViewLag), true, true, erasedAt},
		{"deleted", func(v *erasedView) {
			v.restart()
			v.apply("k", val, 1, false)
			v.apply("k", nil, 2, true)
			v.caughtUp(2, t0)
		}, "k", t0, true, false, time.Time{}},
		{"unreadable: erased, nothing older kept", func(v *erasedView) {
			v.restart()
			v.apply("k", []byte("yesterday"), 1, false)
			v.caughtUp(1, t0)
		}, "k", t0, true, true, erasedUnreadable},
		{"expired from the bucket", func(v *erasedView) {
			v.restart()
			v.apply("k", []byte(t0.Add(-chat.ErasedMaxAge-time.Second).Format(time.RFC3339Nano)), 1, false)
			v.caughtUp(1, t0)
		}, "k", t0, true, false, time.Time{}},
		{"own note before the watch has it", func(v *erasedView) {
			v.restart()
			v.caughtUp(0, t0)
			v.note("k", erasedAt)
		}, "k", t0, true, true, erasedAt},
		{"watch ended", func(v *erasedView) {
			v.restart()
			v.caughtUp(0, t0)
			v.stop()
		}, "k", t0, false, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v erasedView
			tt.setup(&v)
			at, found, current := v.lookup(tt.key, tt.now)
			if current != tt.wantCurrent || found != tt.wantFound || (found && !at.Equal(tt.wantAt)) {
				t.Fatalf("lookup = %v, %v, %v; want %v, %v, %v", at, found, current, tt.wantAt, tt.wantFound, tt.wantCurrent)
			}
		})
	}
}

// TestErasureCheckFallsBackToTheBucket: with the view not current the
// erasure check asks the bucket (a note another replica put that this
// view has not seen); with a running service a note put by another
// replica reaches the view, and the check answers from it without asking.
func TestErasureCheckFallsBackToTheBucket(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	kv, err := e.js.KeyValue(bg, chat.BucketErased)
	if err != nil {
		t.Fatal(err)
	}
	erasedAt := time.Now().Add(-time.Minute)
	before := envelope("demo", "v-gone", "", chat.NewID(), "hi", "en")
	before.Message.At = erasedAt.Add(-time.Second)
	after := envelope("demo", "v-gone", "", chat.NewID(), "hi again", "en")
	after.Message.At = erasedAt.Add(time.Second)

	// "Another replica" notes the erasure in the bucket.
	if _, err := kv.Put(bg, chat.ErasedKey("demo", "v-gone"), []byte(erasedAt.UTC().Format(time.RFC3339Nano))); err != nil {
		t.Fatal(err)
	}

	// A service whose view is not live asks the bucket.
	stale := &Service{erased: s.erased, m: newMetrics(nil)}
	for _, c := range []struct {
		env  chat.Envelope
		want bool
	}{{before, true}, {after, false}} {
		got, err := stale.writtenBeforeErasure(bg, c.env)
		if err != nil || got != c.want {
			t.Fatalf("stale view: writtenBeforeErasure(at %v) = %v, %v; want %v", c.env.Message.At, got, err, c.want)
		}
	}
	if n := stale.m.erasedFallbacks.Value(); n != 2 {
		t.Fatalf("stale view asked the bucket %v times, want 2", n)
	}

	// The running service's view gets the note through its watch.
	poll.Until(t, 5*time.Second, func() error {
		if _, found, current := s.erasedView.lookup(chat.ErasedKey("demo", "v-gone"), time.Now()); !current || !found {
			return errors.New("the note is not in the view yet")
		}
		return nil
	})
	asked := s.m.erasedFallbacks.Value()
	for _, c := range []struct {
		env  chat.Envelope
		want bool
	}{{before, true}, {after, false}, {envelope("demo", "v-other", "", chat.NewID(), "hi", "en"), false}} {
		got, err := s.writtenBeforeErasure(bg, c.env)
		if err != nil || got != c.want {
			t.Fatalf("view: writtenBeforeErasure(%s at %v) = %v, %v; want %v", c.env.Visitor, c.env.Message.At, got, err, c.want)
		}
	}
	if n := s.m.erasedFallbacks.Value(); n != asked {
		t.Fatalf("a current view asked the bucket %v times", n-asked)
	}

	// With the watch broken, the check asks the bucket again.
	s.erasedView.stop()
	if got, err := s.writtenBeforeErasure(context.Background(), before); err != nil || !got {
		t.Fatalf("view stopped: writtenBeforeErasure = %v, %v; want true", got, err)
	}
	if n := s.m.erasedFallbacks.Value(); n != asked+1 {
		t.Fatalf("a stopped view asked the bucket %v times, want 1", n-asked)
	}
}
