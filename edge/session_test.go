package edge

import (
	"testing"

	"github.com/kefu-io/kefu/chat"
)

func testSession(queue int) *session {
	n := &Node{cfg: Config{SendQueue: queue}, m: newMetrics(nil)}
	return &session{n: n, wake: make(chan struct{}, 1), done: make(chan struct{}), seen: newIDSet(16)}
}

func drain(s *session) []string {
	var got []string
	for f, ok := s.dequeue(); ok; f, ok = s.dequeue() {
		got = append(got, string(f.b))
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
	s.hold()
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
