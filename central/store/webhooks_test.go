package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
)

func TestWebhookContract(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			t.Run("outbox", func(t *testing.T) { testWebhookOutbox(t, open(t)) })
			t.Run("concurrent claims", func(t *testing.T) { testWebhookConcurrentClaims(t, open(t)) })
		})
	}
}

func body(w, d string) ([]byte, error) {
	return []byte(fmt.Sprintf(`{"id":%q,"webhook":%q}`, d, w)), nil
}

func testWebhookOutbox(t *testing.T, s store.Store) {
	for _, id := range []string{"a", "b"} {
		if err := s.CreateTenant(ctx, store.Tenant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.UnixMilli(1_700_000_000_000)
	hooks := []store.Webhook{
		{ID: "w1", Tenant: "a", URL: "https://crm.example/1", Events: []string{"message.created", "conversation.closed"}, Secret: "s1", CreatedAt: now},
		{ID: "w2", Tenant: "a", URL: "https://crm.example/2", Events: []string{"conversation.closed"}, Secret: "s2", CreatedAt: now.Add(time.Millisecond)},
		{ID: "w3", Tenant: "b", URL: "https://b.example", Events: []string{"*"}, Secret: "s3", CreatedAt: now},
	}
	for _, w := range hooks {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateWebhook(ctx, store.Webhook{ID: "w9", Tenant: "ghost", URL: "x", Events: []string{"a"}, Secret: "s"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown tenant = %v", err)
	}
	if list, _ := s.Webhooks(ctx, "a"); len(list) != 2 || list[0].ID != "w1" || len(list[0].Events) != 2 {
		t.Fatalf("webhooks of a = %+v", list)
	}
	if _, err := s.Webhook(ctx, "b", "w1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("b reads a's webhook: %v", err)
	}

	for _, c := range []struct {
		tenant, event string
		want          bool
	}{{"a", "message.created", true}, {"a", "conversation.closed", true}, {"a", "csat.submitted", false},
		{"b", "csat.submitted", true}, {"ghost", "message.created", false}} {
		if got := s.Subscribed(ctx, c.tenant, c.event); got != c.want {
			t.Fatalf("Subscribed(%s, %s) = %v, want %v", c.tenant, c.event, got, c.want)
		}
	}

	d, err := s.EnqueueEvent(ctx, "a", "message.created", "m1", now, body)
	if err != nil || len(d) != 1 || d[0].WebhookID != "w1" {
		t.Fatalf("enqueue message.created = %+v, %v", d, err)
	}
	if again, err := s.EnqueueEvent(ctx, "a", "message.created", "m1", now, body); err != nil || len(again) != 0 {
		t.Fatalf("same key again = %+v, %v", again, err)
	}
	if d2, _ := s.EnqueueEvent(ctx, "a", "conversation.closed", "c1", now.Add(time.Second), body); len(d2) != 2 {
		t.Fatalf("closed goes to both: %+v", d2)
	}
	if d3, _ := s.EnqueueEvent(ctx, "a", "csat.submitted", "c1", now, body); len(d3) != 0 {
		t.Fatalf("nobody subscribed: %+v", d3)
	}
	if n, _ := s.PendingWebhookDeliveries(ctx); n != 3 {
		t.Fatalf("pending = %d", n)
	}

	// Claim leases; a second claim meanwhile gets nothing.
	got, err := s.ClaimWebhookDeliveries(ctx, "r1", now.Add(2*time.Second), 30*time.Second, 10)
	if err != nil || len(got) != 3 || got[0].ID != d[0].ID || got[0].URL != "https://crm.example/1" || got[0].Secret != "s1" || string(got[0].Body) == "" {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	if more, _ := s.ClaimWebhookDeliveries(ctx, "r2", now.Add(3*time.Second), 30*time.Second, 10); len(more) != 0 {
		t.Fatalf("leased deliveries claimed again: %+v", more)
	}
	// r2 cannot finish r1's attempt.
	if err := s.FinishWebhookAttempt(ctx, "r2", store.Attempt{DeliveryID: got[0].ID, Status: store.DeliveryDelivered, At: now}); !errors.Is(err, store.ErrTaken) {
		t.Fatalf("finish by another owner = %v", err)
	}
	// A failure is retried at NextAt; a success is final.
	if err := s.FinishWebhookAttempt(ctx, "r1", store.Attempt{DeliveryID: got[0].ID, Status: store.DeliveryPending, At: now.Add(2 * time.Second),
		HTTPStatus: 503, Error: "503 Service Unavailable", NextAt: now.Add(10 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	w2 := got[1]
	if w2.WebhookID != "w2" {
		w2 = got[2]
	}
	if err := s.FinishWebhookAttempt(ctx, "r1", store.Attempt{DeliveryID: w2.ID, Status: store.DeliveryDelivered, At: now.Add(2500 * time.Millisecond), HTTPStatus: 200}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishWebhookAttempt(ctx, "r1", store.Attempt{DeliveryID: w2.ID, Status: store.DeliveryDelivered, At: now}); !errors.Is(err, store.ErrTaken) {
		t.Fatalf("finishing a delivered one again = %v", err)
	}
	if early, _ := s.ClaimWebhookDeliveries(ctx, "r2", now.Add(5*time.Second), time.Second, 10); len(early) != 0 {
		t.Fatalf("retry claimed before NextAt (and the third is still leased): %+v", early)
	}
	late, _ := s.ClaimWebhookDeliveries(ctx, "r2", now.Add(40*time.Second), time.Second, 10)
	if len(late) != 2 { // the retry and the expired lease of the third
		t.Fatalf("after NextAt and lease expiry = %+v", late)
	}
	log, err := s.WebhookDeliveries(ctx, "a", "w1", 0)
	if err != nil || len(log) != 2 {
		t.Fatalf("log of w1 = %+v, %v", log, err)
	}
	var first store.WebhookDelivery
	for _, l := range log {
		if l.ID == got[0].ID {
			first = l
		}
	}
	if first.Attempts != 1 || first.LastStatus != 503 || first.LastError == "" {
		t.Fatalf("first delivery = %+v", first)
	}
	w2log, _ := s.WebhookDeliveries(ctx, "a", "w2", 0)
	if len(w2log) != 1 || w2log[0].Status != store.DeliveryDelivered || w2log[0].LatencyMS != 1500 {
		t.Fatalf("w2 log = %+v", w2log)
	}
	if err := s.DeleteWebhook(ctx, "b", "w1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("b deletes a's webhook: %v", err)
	}
	if err := s.DeleteWebhook(ctx, "a", "w1"); err != nil {
		t.Fatal(err)
	}
	if log, _ := s.WebhookDeliveries(ctx, "a", "w1", 0); len(log) != 0 {
		t.Fatalf("deliveries outlive their webhook: %+v", log)
	}
}

func testWebhookConcurrentClaims(t *testing.T, s store.Store) {
	if err := s.CreateTenant(ctx, store.Tenant{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.CreateWebhook(ctx, store.Webhook{ID: "w", Tenant: "a", URL: "https://x.example", Events: []string{"*"}, Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	const n = 40
	for i := range n {
		if _, err := s.EnqueueEvent(ctx, "a", "message.created", fmt.Sprint(i), now, body); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimWebhookDeliveries(ctx, fmt.Sprint("r", r), now, time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("delivery %s claimed %d times", id, c)
		}
	}
}
