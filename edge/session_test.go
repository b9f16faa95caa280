package edge

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

func testSession(queue int) *session {
	n := &Node{cfg: Config{SendQueue: queue}, m: newMetrics(nil)}
	return &session{n: n, out: &recorder{}, wake: make(chan struct{}, 1), done: make(chan struct{}), seen: newIDSet(16)}
}

// recorder is a frameWriter that keeps what was written.
type recorder struct {
	mu      sync.Mutex
	written []string
	writes  int // calls of WriteTexts: writes to the socket
	err     error
}

func (r *recorder) SetWriteDeadline(time.Time) error { return nil }
func (r *recorder) SetReadDeadline(time.Time) error  { return nil }
func (r *recorder) WriteTexts(frames [][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.writes++
	for _, b := range frames {
		r.written = append(r.written, string(b))
	}
	return nil
}

// drain returns the frames written at once (release), then those queued
// for the writer, in the order the socket gets them.
func drain(s *session) []string {
	r := s.out.(*recorder)
	r.mu.Lock()
	got := r.written
	r.written = nil
	r.mu.Unlock()
	for b := s.dequeue(nil); len(b) > 0; b = s.dequeue(nil) {
		for _, f := range b {
			got = append(got, string(f))
		}
	}
	return got
}

// A reply that arrives live while the history replay runs is sent once,
// after the replay, even when the history also contains it.
func TestReplayThenPendingNoDoubles(t *testing.T) {
	s := testSession(16)
	s.replaying = true
	s.deliver("r2", chat.FrameMessage, []byte("r2")) // live, during the replay; history has it too
	s.deliver("", chat.FrameEvent, []byte("ev"))     // events are never deduplicated
	s.deliver("r3", chat.FrameMessage, []byte("r3")) // live only
	if got := drain(s); len(got) != 0 {
		t.Fatalf("sent during replay: %q", got)
	}
	for _, id := range []string{"m2", "r2"} { // the replay
		s.mu.Lock()
		if s.seen.add(id) {
			s.enqueue(chat.FrameMessage, []byte(id))
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.replaying = false
	s.flushLocked()
	s.mu.Unlock()
	s.deliver("r3", chat.FrameMessage, []byte("r3")) // a redelivery after the flush
	got := drain(s)
	want := []string{"m2", "r2", "ev", "r3"}
	if len(got) != len(want) {
		t.Fatalf("got %q want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q want %q", got, want)
		}
	}
}

// While a publish is in flight, replies wait so that accepted goes first.
func TestHoldPutsAcceptedFirst(t *testing.T) {
	s := testSession(16)
	s.hold("m1")
	s.deliver("r1", chat.FrameMessage, []byte("r1"))
	s.release(chat.Frame{Type: chat.FrameAccepted, ID: "m1"})
	got := drain(s)
	if len(got) != 2 || got[1] != "r1" {
		t.Fatalf("got %q", got)
	}
	if got[0] != `{"type":"accepted","id":"m1"}` {
		t.Fatalf("first frame %s", got[0])
	}
}

// The read loop writes its answer itself when nothing is queued before it,
// with the deliveries that waited for it in the same write; it queues them
// behind frames waiting for the writer, and after a failed write or once
// closing only queues (and the queue drops).
func TestReleaseKeepsOrder(t *testing.T) {
	s := testSession(16)
	rec := s.out.(*recorder)
	accepted := func(id string) chat.Frame { return chat.Frame{Type: chat.FrameAccepted, ID: id} }
	s.hold("a1")
	s.release(accepted("a1"))
	if got := rec.written; len(got) != 1 || got[0] != `{"type":"accepted","id":"a1"}` || len(s.queue) != 0 {
		t.Fatalf("written %q, queued %d: want a1 written at once", got, len(s.queue))
	}
	drain(s)
	s.hold("a2")
	s.deliver("r1", chat.FrameMessage, []byte("r1")) // waits for a2's accepted
	s.deliver("", chat.FrameEvent, []byte("ev"))
	rec.writes = 0
	s.release(accepted("a2"))
	if got := rec.written; len(got) != 3 || got[1] != "r1" || got[2] != "ev" || rec.writes != 1 || len(s.queue) != 0 {
		t.Fatalf("written %q in %d writes, %d queued: want a2 r1 ev in one write", got, rec.writes, len(s.queue))
	}
	drain(s)
	s.enqueue(chat.FrameMessage, []byte("r2")) // waits for the writer
	s.hold("a3")
	s.deliver("r3", chat.FrameMessage, []byte("r3"))
	s.release(accepted("a3"))
	if got := drain(s); len(got) != 3 || got[0] != "r2" || got[2] != "r3" || len(rec.written) != 0 {
		t.Fatalf("got %q, want r2 a3 r3, all queued", got)
	}
	s.wmu.Lock() // the writer is writing
	s.hold("a4")
	s.release(accepted("a4"))
	s.wmu.Unlock()
	if got := drain(s); len(got) != 1 || len(rec.written) != 0 {
		t.Fatalf("got %q: want a4 queued behind the writer's frame", got)
	}
	rec.err = errors.New("broken pipe")
	s.hold("a5")
	s.release(accepted("a5"))
	if !s.closing() || s.closeCode != 1006 {
		t.Fatalf("after a failed write: closing %v code %d", s.closing(), s.closeCode)
	}
	rec.err = nil
	s.hold("a6")
	s.release(accepted("a6"))
	if got := drain(s); len(got) != 0 {
		t.Fatalf("written after close: %q", got)
	}
}

// The writer takes queued frames in batches of up to writeBatch bytes (at
// least one frame each), oldest first.
func TestDequeueBatches(t *testing.T) {
	s := testSession(16)
	big := make([]byte, writeBatch-10)
	for _, b := range [][]byte{[]byte("a"), big, []byte("0123456789"), make([]byte, 2*writeBatch)} {
		s.enqueue(chat.FrameMessage, b)
	}
	var sizes [][]int
	for b := s.dequeue(nil); len(b) > 0; b = s.dequeue(nil) {
		var n []int
		for _, f := range b {
			n = append(n, len(f))
		}
		sizes = append(sizes, n)
	}
	want := "[[1 32758] [10] [65536]]" // 1+32,758+10 is one byte over writeBatch
	if got := fmt.Sprint(sizes); got != want {
		t.Fatalf("batches %s", got)
	}
	if s.queue != nil {
		t.Fatal("a drained queue keeps its array")
	}
}

func TestSlowConsumerIsClosed(t *testing.T) {
	s := testSession(1)
	s.deliver("a", chat.FrameMessage, []byte("a"))
	s.deliver("b", chat.FrameMessage, []byte("b"))
	if !s.closing() || s.closeCode != 1008 {
		t.Fatalf("closing %v code %d", s.closing(), s.closeCode)
	}
	s.deliver("c", chat.FrameMessage, []byte("c")) // after close: dropped, no panic
	if got := drain(s); len(got) != 1 || got[0] != "a" {
		t.Fatalf("got %q", got)
	}
}

// Replay frames are queued beyond SendQueue; live frames still get
// SendQueue places besides them, and a drained replay gives none back twice.
func TestReplayFramesBesideTheSendQueue(t *testing.T) {
	s := testSession(2)
	for range 5 {
		s.push(outFrame{typ: chat.FrameMessage, b: []byte("h"), replay: true})
	}
	s.enqueue(chat.FrameMessage, []byte("live1"))
	s.enqueue(chat.FrameMessage, []byte("live2"))
	if s.closing() {
		t.Fatal("closed with two live frames beside a replay")
	}
	if got := drain(s); len(got) != 7 || s.replays != 0 {
		t.Fatalf("drained %q, %d replay frames counted", got, s.replays)
	}
	for range 3 {
		s.enqueue(chat.FrameMessage, []byte("x"))
	}
	if !s.closing() {
		t.Fatal("a third live frame did not close the slow consumer")
	}
}
