package central

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
)

// Shown reports: an edge tells central what its outbound plugins made of a
// reply (a promotion line appended…), one core NATS message per changed
// reply. A subscription's handler runs one message at a time, and each
// report waits for a store commit, so handled inline they were written
// one after another (~one report per group commit) while replies went out
// at the full rate. They are now handed to shownWorkers() goroutines,
// chosen by the reply's id so that the reports of one reply keep their
// order, and their writes share commits (store group commit) with each
// other and with the messages in flight.

// shownQueue is each worker's queue; a full queue holds the subscription
// back (NATS then buffers, and counts a slow consumer past its limits).
const shownQueue = 256

func shownWorkers() int { return 4 * runtime.GOMAXPROCS(0) }

// startShown subscribes to the shown reports and starts their workers;
// the workers end when the service closes.
func (s *Service) startShown() error {
	seed := maphash.MakeSeed()
	qs := make([]chan chat.Event, shownWorkers())
	for i := range qs {
		qs[i] = make(chan chat.Event, shownQueue)
		s.bg.Add(1)
		go s.shownWorker(qs[i])
	}
	sub, err := s.nc.Subscribe(chat.SubjectShownPrefix+">", func(m *nats.Msg) {
		ev, ok := decodeShown(m)
		if !ok {
			return
		}
		select {
		case qs[maphash.String(seed, ev.Message.ID)%uint64(len(qs))] <- ev:
		case <-s.closed:
		}
	})
	if err != nil {
		return fmt.Errorf("central: subscribe shown texts: %w", err)
	}
	s.subs = append(s.subs, sub)
	return nil
}

// decodeShown reads a shown report; ok is false for anything malformed or
// published on another tenant's subject.
func decodeShown(m *nats.Msg) (chat.Event, bool) {
	var ev chat.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Tenant == "" || chat.ShownSubject(ev.Tenant) != m.Subject ||
		ev.Message == nil || !chat.ValidID(ev.Message.ID) {
		return chat.Event{}, false
	}
	return ev, true
}

func (s *Service) shownWorker(q <-chan chat.Event) {
	defer s.bg.Done()
	for {
		select {
		case <-s.closed:
			return
		case ev := <-q:
			s.onShown(ev)
		}
	}
}

// onShown keeps what an edge's outbound plugins made of a reply beside it,
// and tells the consoles: the agent reads what the shopper read.
func (s *Service) onShown(ev chat.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	changed, err := s.st.SetShown(ctx, ev.Tenant, ev.Message.ID, ev.Message.Text)
	if err != nil {
		s.log.Warn("shown text refused", "tenant", ev.Tenant, "id", ev.Message.ID, "err", err)
		return
	}
	if !changed {
		return
	}
	msg, err := s.st.Message(ctx, ev.Tenant, ev.Message.ID)
	if err != nil {
		return
	}
	msg.Shown = ev.Message.Text
	s.emit(chat.Event{Type: chat.EventShown, Tenant: ev.Tenant, ConversationID: msg.ConversationID, Message: &msg})
}
