package central

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/central/store"
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
// other and with the messages in flight. A worker takes what its queue
// holds (up to shownBatch reports) and stores it in one call
// (store.SetShownAll: one function in the group commit, each reply read
// once), so under load the reports that arrived while the previous ones
// committed are written together.

// shownQueue is each worker's queue; a full queue holds the subscription
// back (NATS then buffers, and counts a slow consumer past its limits).
const shownQueue = 256

// shownBatch bounds the reports a worker stores at once.
const shownBatch = 64

// shownWorkers: fewer workers, larger batches; reports of one reply go to
// the same worker.
func shownWorkers() int { return runtime.GOMAXPROCS(0) }

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
	batch := make([]chat.Event, 0, shownBatch)
	reports := make([]store.Shown, 0, shownBatch)
	for {
		select {
		case <-s.closed:
			return
		case ev := <-q:
			batch = append(batch[:0], ev)
		}
	more:
		for len(batch) < shownBatch {
			select {
			case ev := <-q:
				batch = append(batch, ev)
			default:
				break more
			}
		}
		reports = reports[:0]
		for _, ev := range batch {
			reports = append(reports, store.Shown{Tenant: ev.Tenant, ID: ev.Message.ID, Text: ev.Message.Text})
		}
		s.onShown(reports)
		clear(batch)
	}
}

// onShown keeps what an edge's outbound plugins made of replies beside
// them, and tells the consoles of each changed one: the agent reads what
// the shopper read.
func (s *Service) onShown(reports []store.Shown) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i, r := range s.st.SetShownAll(ctx, reports) {
		if r.Err != nil {
			s.log.Warn("shown text refused", "tenant", reports[i].Tenant, "id", reports[i].ID, "err", r.Err)
			continue
		}
		if !r.Changed {
			continue
		}
		msg := r.Message
		s.emit(chat.Event{Type: chat.EventShown, Tenant: reports[i].Tenant, ConversationID: msg.ConversationID, Message: &msg})
	}
}
