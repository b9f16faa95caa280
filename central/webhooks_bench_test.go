package central

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/central/webhook"
)

// BenchmarkWebhookLatency measures one event from notify (the outbox
// write) to the receiver's 2xx answer, on loopback with the SQLite store
// and the default dispatcher settings (woken by the event, no polling
// wait). Report: ms/event.
func BenchmarkWebhookLatency(b *testing.B) {
	e := newEnv(b)
	s := e.start(e.config())
	rc := newReceiver(b, "a-secret-of-sixteen+")
	if err := s.st.CreateWebhook(bg, store.Webhook{ID: "wh1", Tenant: "demo", URL: rc.srv.URL, Events: []string{"*"}, Secret: rc.secret}); err != nil {
		b.Fatal(err)
	}
	i := 0
	var total time.Duration
	for b.Loop() {
		i++
		start := time.Now()
		s.notify(bg, "demo", webhook.MessageCreated, fmt.Sprint("bench-", i), webhook.Conversation{ConversationID: "c", At: start})
		for rc.count(webhook.MessageCreated) < i {
			time.Sleep(100 * time.Microsecond)
		}
		total += time.Since(start)
	}
	rc.check()
	b.ReportMetric(float64(total.Microseconds())/float64(i)/1000, "ms/event")
}
