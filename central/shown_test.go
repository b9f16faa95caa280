package central

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestShownReports: an edge's shown reports for many replies at once are
// all kept and announced (they are handled by several workers); the
// reports of one reply keep their order (the last one stays); a report on
// another tenant's subject, for a shopper's message or malformed is
// dropped without stopping the others.
func TestShownReports(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	const n = 24
	replies := map[string]chat.Message{} // reply id → reply
	for i := range n {
		e.publish(envelope("demo", fmt.Sprintf("v%d", i), "", chat.NewID(), "What is your return policy?", "en"))
	}
	for range n {
		r := e.reply()
		replies[r.Message.ID] = r.Message
	}
	e.consumerIdle()
	shown := func(subject, tenant, id, text string) {
		t.Helper()
		data, err := json.Marshal(chat.Event{Type: chat.EventShown, Tenant: tenant, Message: &chat.Message{ID: id, Text: text}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.nc.Publish(subject, data); err != nil {
			t.Fatal(err)
		}
	}
	var first string
	for id := range replies {
		if first == "" {
			first = id
			// Three reports of one reply, in order: the last stays.
			for _, v := range []string{"one", "two", "three"} {
				shown(chat.ShownSubject("demo"), "demo", id, replies[id].Text+" — "+v)
			}
			// Dropped: another tenant's subject, malformed.
			shown(chat.ShownSubject("other"), "demo", id, "wrong subject")
			if err := e.nc.Publish(chat.ShownSubject("demo"), []byte("{not json")); err != nil {
				t.Fatal(err)
			}
			continue
		}
		shown(chat.ShownSubject("demo"), "demo", id, replies[id].Text+" — 10% off today")
	}
	want := func(id string) string {
		if id == first {
			return replies[id].Text + " — three"
		}
		return replies[id].Text + " — 10% off today"
	}
	poll.Until(t, 30*time.Second, func() error {
		for id, r := range replies {
			texts, err := s.Store().MessageTexts(bg, "demo", r.ConversationID)
			if err != nil {
				return err
			}
			if got := texts[id].Shown; got != want(id) {
				return fmt.Errorf("reply %s shown %q, want %q", id, got, want(id))
			}
		}
		return nil
	})
	// Every reply's change announced to the consoles.
	announced := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(announced) < n {
		select {
		case ev := <-e.evs:
			if ev.Type != chat.EventShown {
				continue
			}
			if ev.Message == nil || replies[ev.Message.ID].ID == "" || ev.ConversationID != replies[ev.Message.ID].ConversationID {
				t.Fatalf("shown event %+v", ev)
			}
			announced[ev.Message.ID] = true
		case <-deadline:
			t.Fatalf("%d of %d replies announced", len(announced), n)
		}
	}
}
