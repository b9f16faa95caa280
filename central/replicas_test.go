package central

import (
	"fmt"
	"testing"

	"github.com/kefu-io/kefu/central/internal/pgtest"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// TestTwoReplicasOnPostgres runs two central replicas against one
// PostgreSQL database and one durable consumer: every message is stored and
// answered exactly once.
func TestTwoReplicasOnPostgres(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.PostgresDSN = pgtest.DSN(t)
	r1 := e.start(cfg)
	e.start(cfg)
	const n = 20
	for i := range n {
		e.publish(envelope("demo", fmt.Sprintf("v%d", i), "", chat.NewID(), "What is your return policy?", "en"))
	}
	seen := map[string]bool{}
	for range n {
		r := e.reply()
		if seen[r.Message.ID] {
			t.Fatalf("reply %q twice", r.Message.ID)
		}
		seen[r.Message.ID] = true
	}
	e.consumerIdle()
	list, err := r1.Store().Conversations(bg, "demo", store.Filter{Status: store.StatusBot})
	if err != nil || len(list) != n {
		t.Fatalf("%d conversations, %v", len(list), err)
	}
	for _, c := range list {
		msgs, _ := r1.Store().Messages(bg, "demo", c.ID, "", 0)
		if len(msgs) != 2 {
			t.Fatalf("%s has %d messages", c.ID, len(msgs))
		}
	}
}
