package central

import (
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
)

// The consoles' feed. Every replica's consoles get every event through
// NATS (kefu.events.> and kefu.staff.>), whichever replica emitted it.
// Central used to hold both subscriptions for its whole life and drop
// what arrived while no console was connected to it (hub.idle): two
// deliveries per chat message (the shopper's message and its answer),
// each read and copied by the NATS client and thrown away. Now the
// subscriptions exist while at least one console socket is open on this
// replica: the first console to connect subscribes (and flushes, so the
// server has the interest before the socket is served), the last to leave
// unsubscribes. A console loads its state over REST and then follows the
// events of its socket, as before: what happened before it joined the hub
// is not replayed either way.

// consoleFeed counts this replica's console sockets and holds the
// subscriptions while there are any.
type consoleFeed struct {
	mu   sync.Mutex
	n    int
	subs []*nats.Subscription
}

// feedJoin counts a console socket in and subscribes for the first one.
func (s *Service) feedJoin() error {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.n > 1 {
		return nil
	}
	ev, err := s.nc.Subscribe(chat.SubjectEventsPrefix+">", s.onEvent)
	if err != nil {
		return fmt.Errorf("central: subscribe events: %w", err)
	}
	staff, err := s.nc.Subscribe(chat.SubjectStaffPrefix+">", s.onStaffEvent)
	if err != nil {
		_ = ev.Unsubscribe()
		return fmt.Errorf("central: subscribe staff events: %w", err)
	}
	f.subs = []*nats.Subscription{ev, staff}
	if err := s.nc.Flush(); err != nil {
		return fmt.Errorf("central: subscribe events: %w", err)
	}
	return nil
}

// feedLeave counts a console socket out and unsubscribes after the last.
func (s *Service) feedLeave() {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n > 0 {
		f.n--
	}
	if f.n == 0 {
		f.unsubscribe()
	}
}

// feedSubscribed reports whether the feed's subscriptions are held.
func (s *Service) feedSubscribed() bool {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return len(s.feed.subs) > 0
}

// unsubscribe drops the subscriptions; f.mu is held.
func (f *consoleFeed) unsubscribe() {
	for _, sub := range f.subs {
		_ = sub.Unsubscribe()
	}
	f.subs = nil
}
