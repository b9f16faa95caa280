package central

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// flakyStore fails Conversation while broken is set, as a store does during
// a brief outage.
type flakyStore struct {
	store.Store
	broken atomic.Bool
}

var errOutage = errors.New("test: database briefly unavailable")

func (f *flakyStore) Conversation(ctx context.Context, tenant, id string) (store.Conversation, error) {
	if f.broken.Load() {
		return store.Conversation{}, errOutage
	}
	return f.Store.Conversation(ctx, tenant, id)
}

// TestHistoryTellsRefusedFromUnavailable: a brief store error during a
// resume is answered "unavailable" (the edge must not start a new thread),
// a conversation that is not the visitor's "refused" (issue 8, smaller
// items).
func TestHistoryTellsRefusedFromUnavailable(t *testing.T) {
	e := newEnv(t)
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fs := &flakyStore{Store: st}
	cfg := e.config()
	cfg.Store = fs
	e.start(cfg)
	e.publish(envelope("demo", "v1", "", chat.NewID(), "What is your return policy?", "en"))
	conv := e.reply().Message.ConversationID
	ask := func(visitor string) chat.HistoryReply {
		t.Helper()
		m, err := e.nc.Request(chat.SubjectHistory, mustJSON(t, chat.HistoryRequest{Tenant: "demo", Visitor: visitor, ConversationID: conv}), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep chat.HistoryReply
		if err := jsonUnmarshal(m.Data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := ask("someone-else"); rep.Code != chat.HistoryRefused || len(rep.Messages) != 0 {
		t.Fatalf("another visitor: %+v, want code refused", rep)
	}
	fs.broken.Store(true)
	if rep := ask("v1"); rep.Code != chat.HistoryUnavailable || len(rep.Messages) != 0 {
		t.Fatalf("store outage: %+v, want code unavailable", rep)
	}
	fs.broken.Store(false)
	if rep := ask("v1"); rep.Error != "" || len(rep.Messages) != 2 {
		t.Fatalf("after the outage: %+v", rep)
	}
}
