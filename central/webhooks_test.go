package central

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/central/webhook"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/poll"
)

// receiver is a merchant's webhook endpoint: it verifies every signature,
// refuses while down, and deduplicates accepted deliveries by
// X-Kefu-Delivery, counting how often each was accepted.
type receiver struct {
	t      testing.TB
	srv    *httptest.Server
	secret string
	down   atomic.Bool
	mu     sync.Mutex
	seen   map[string]int // delivery id → times seen (any answer)
	ok     map[string]int // delivery id → 2xx answers given
	got    []webhook.Payload
	events map[string]int
	bad    []string
	at     map[string]time.Time
}

func newReceiver(t testing.TB, secret string) *receiver {
	r := &receiver{t: t, secret: secret, seen: map[string]int{}, ok: map[string]int{}, events: map[string]int{}, at: map[string]time.Time{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get(webhook.HeaderDelivery)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[id]++
	if err := webhook.Verify(r.secret, req.Header, body, 5*time.Minute, time.Now()); err != nil {
		r.bad = append(r.bad, id+": "+err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil || p.ID != id || p.Event != req.Header.Get(webhook.HeaderEvent) {
		r.bad = append(r.bad, fmt.Sprintf("%s: body %s does not match its headers", id, body))
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	r.ok[id]++
	if r.ok[id] == 1 {
		r.got = append(r.got, p)
		r.events[p.Event]++
		r.at[id] = time.Now()
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) count(event string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[event]
}

// snapshot copies the per-event counts under the lock (for messages).
func (r *receiver) snapshot() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.events)
}

func (r *receiver) check() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Fatalf("bad deliveries: %v", r.bad)
	}
	for id, n := range r.ok {
		if n != 1 {
			r.t.Fatalf("delivery %s accepted %d times", id, n)
		}
	}
}

func fastWebhooks(cfg Config) Config {
	cfg.Webhooks = WebhookConfig{RetryBase: 50 * time.Millisecond, Poll: 50 * time.Millisecond, Timeout: 2 * time.Second}
	return cfg
}

func TestWebhookDelivery(t *testing.T) {
	e := newEnv(t)
	s := e.start(fastWebhooks(e.config()))
	a := newApp(t, s)
	owner := a.login("demo", demoEmail, demoPassword)
	rc := newReceiver(t, "a-secret-of-sixteen+")
	var wv WebhookView
	if code := a.do("POST", "/v1/webhooks", owner, WebhookRequest{URL: rc.srv.URL + "/hook", Events: []string{"*"}, Secret: rc.secret}, &wv); code != 201 || wv.Secret != rc.secret {
		t.Fatalf("create: %d %+v", code, wv)
	}
	bad := []WebhookRequest{
		{URL: "http://crm.example/hook", Events: []string{"*"}},
		{URL: "ftp://x", Events: []string{"*"}},
		{URL: rc.srv.URL, Events: []string{"message.deleted"}},
		{URL: rc.srv.URL, Events: nil},
		{URL: rc.srv.URL, Events: []string{"*"}, Secret: "short"},
	}
	for _, b := range bad {
		var e apiErr
		if code := a.do("POST", "/v1/webhooks", owner, b, &e); code != 400 || e.Error == "" {
			t.Errorf("bad webhook %+v: %d %+v", b, code, e)
		}
	}
	// A made secret is returned once, never listed.
	var made WebhookView
	a.do("POST", "/v1/webhooks", owner, WebhookRequest{URL: rc.srv.URL + "/other", Events: []string{"conversation.closed"}}, &made)
	var list []WebhookView
	if a.do("GET", "/v1/webhooks", owner, nil, &list); len(list) != 2 || list[0].Secret != "" || len(made.Secret) < 32 {
		t.Fatalf("list %+v, made %+v", list, made)
	}

	e.publish(envelope("demo", "v-hook", "", chat.NewID(), "What is your return policy?", "en"))
	poll.Until(t, 10*time.Second, func() error {
		if rc.count(webhook.ConversationCreated) != 1 || rc.count(webhook.MessageCreated) != 2 {
			return fmt.Errorf("events so far %v", rc.snapshot())
		}
		return nil
	})
	rc.check()
	rc.mu.Lock()
	for _, p := range rc.got {
		if p.Tenant != "demo" {
			t.Errorf("payload %+v", p)
		}
		var d webhook.Conversation
		if err := json.Unmarshal(p.Data, &d); err != nil || d.ConversationID == "" || d.Visitor != "v-hook" {
			t.Errorf("data %s: %v", p.Data, err)
		}
		if p.Event == webhook.MessageCreated && (d.Message == nil || d.Message.Text == "") {
			t.Errorf("message.created without its message: %s", p.Data)
		}
		raw, _ := json.Marshal(p)
		var generic any
		_ = json.Unmarshal(raw, &generic)
		if err := s.Spec().Validate("WebhookPayload", generic); err != nil {
			t.Errorf("payload does not match the documented schema: %v", err)
		}
	}
	rc.mu.Unlock()
	// The delivery log says so (the attempt is recorded just after the
	// receiver's answer).
	var log []WebhookDeliveryView
	poll.Until(t, 10*time.Second, func() error {
		log = nil
		if code := a.do("GET", "/v1/webhooks/"+wv.ID+"/deliveries", owner, nil, &log); code != 200 || len(log) != 3 {
			return fmt.Errorf("log: %d %+v", code, log)
		}
		for _, d := range log {
			if d.Status == store.DeliveryPending {
				return fmt.Errorf("still pending: %+v", d)
			}
		}
		return nil
	})
	for _, d := range log {
		if d.Status != store.DeliveryDelivered || d.Attempts != 1 || d.DeliveredAt == nil || d.LastStatus != 204 {
			t.Errorf("log entry %+v", d)
		}
	}
	// Another tenant sees none of it.
	key := newAdminKey(t, s, "acme", "webhooks:read", "webhooks:write")
	if code := a.do("GET", "/v1/webhooks/"+wv.ID+"/deliveries", key, nil, nil); code != 404 {
		t.Fatalf("acme reads demo's log: %d", code)
	}
	if code := a.do("DELETE", "/v1/webhooks/"+wv.ID, key, nil, nil); code != 404 {
		t.Fatalf("acme deletes demo's webhook: %d", code)
	}
}

// newAdminKey makes tenant (if needed) and an API key of it.
func newAdminKey(t *testing.T, s *Service, tenant string, scopes ...string) string {
	t.Helper()
	if _, err := s.st.Tenant(bg, tenant); err != nil {
		if _, err := s.Admin().CreateTenant(bg, "test", tenant, ""); err != nil {
			t.Fatal(err)
		}
	}
	k, _, err := s.Admin().CreateAPIKey(bg, "test", tenant, "", scopes, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestWebhookRetry: a receiver that fails gets the same delivery id again
// with backoff until it accepts.
func TestWebhookRetry(t *testing.T) {
	e := newEnv(t)
	cfg := fastWebhooks(e.config())
	reg := metric.NewRegistry()
	cfg.Registerer = reg
	s := e.start(cfg)
	rc := newReceiver(t, "a-secret-of-sixteen+")
	rc.down.Store(true)
	if err := s.st.CreateWebhook(bg, store.Webhook{ID: "wh1", Tenant: "demo", URL: rc.srv.URL, Events: []string{webhook.ConversationCreated}, Secret: rc.secret}); err != nil {
		t.Fatal(err)
	}
	e.publish(envelope("demo", "v-retry", "", chat.NewID(), "hello", "en"))
	poll.Until(t, 10*time.Second, func() error {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, n := range rc.seen {
			if n >= 3 {
				return nil
			}
		}
		return fmt.Errorf("attempts %v", rc.seen)
	})
	rc.down.Store(false)
	poll.Until(t, 10*time.Second, func() error {
		if rc.count(webhook.ConversationCreated) != 1 {
			return fmt.Errorf("not delivered yet")
		}
		return nil
	})
	rc.check()
	rc.mu.Lock()
	if len(rc.seen) != 1 {
		t.Fatalf("retries used new delivery ids: %v", rc.seen)
	}
	rc.mu.Unlock()
	// The receiver has the event before the worker records the answer:
	// wait for the record (a read right away found it pending under load).
	var log []store.WebhookDelivery
	poll.Until(t, 10*time.Second, func() error {
		log, _ = s.st.WebhookDeliveries(bg, "demo", "wh1", 0)
		if len(log) != 1 || log[0].Attempts < 4 || log[0].Status != store.DeliveryDelivered {
			return fmt.Errorf("log %+v", log)
		}
		return nil
	})
	// The attempts are counted on the Service's own registry.
	want := fmt.Sprintf(`
# HELP kefu_central_webhook_attempts_total Webhook delivery attempts by outcome: delivered, retry, failed (gave up).
# TYPE kefu_central_webhook_attempts_total counter
kefu_central_webhook_attempts_total{outcome="delivered"} 1
kefu_central_webhook_attempts_total{outcome="retry"} %d
`, log[0].Attempts-1)
	if got := metric.Text(reg, "kefu_central_webhook_attempts_total"); got != strings.TrimPrefix(want, "\n") {
		t.Fatalf("attempts metric:\n%s\nwant:\n%s", got, want)
	}
}

// TestWebhooksSurviveRestart: central stops while deliveries are pending
// (the receiver is down); after a restart on the same store every event is
// delivered, each delivery id accepted exactly once.
func TestWebhooksSurviveRestart(t *testing.T) {
	e := newEnv(t)
	cfg := fastWebhooks(e.config())
	s1, err := New(bg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, "a-secret-of-sixteen+")
	rc.down.Store(true)
	if err := s1.st.CreateWebhook(bg, store.Webhook{ID: "wh1", Tenant: "demo", URL: rc.srv.URL, Events: []string{"*"}, Secret: rc.secret}); err != nil {
		t.Fatal(err)
	}
	const visitors = 5
	for i := range visitors {
		e.publish(envelope("demo", fmt.Sprint("v-restart-", i), "", chat.NewID(), "What is your return policy?", "en"))
	}
	e.consumerIdle()
	// Every event is in the outbox and at least one attempt failed.
	want := 0
	poll.Until(t, 10*time.Second, func() error {
		n, err := s1.st.PendingWebhookDeliveries(bg)
		if err != nil || n < visitors*3 {
			return fmt.Errorf("pending %d, %v", n, err)
		}
		want = n
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if len(rc.seen) == 0 {
			return fmt.Errorf("no attempt yet")
		}
		return nil
	})
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	rc.down.Store(false)
	s2 := e.start(cfg)
	poll.Until(t, 20*time.Second, func() error {
		rc.mu.Lock()
		n := len(rc.ok)
		rc.mu.Unlock()
		if n != want {
			return fmt.Errorf("%d of %d delivered", n, want)
		}
		return nil
	})
	// The receiver answered before central recorded it: wait for the records.
	poll.Until(t, 10*time.Second, func() error {
		if n, err := s2.st.PendingWebhookDeliveries(bg); err != nil || n != 0 {
			return fmt.Errorf("%d still pending, %v", n, err)
		}
		return nil
	})
	rc.check()
	if c, m := rc.count(webhook.ConversationCreated), rc.count(webhook.MessageCreated); c != visitors || m != 2*visitors {
		t.Fatalf("created %d, messages %d", c, m)
	}
}

// TestWebhooksCannotReachPrivateAddresses (SSRF): without AllowPrivateURLs
// a webhook URL naming a loopback, private or link-local host is refused
// when it is registered, and one that points there anyway (registered
// before, or a name that resolves there) is refused when it is dialled:
// the attempt fails with the reason in the delivery log and the service on
// that address receives nothing.
func TestWebhooksCannotReachPrivateAddresses(t *testing.T) {
	e := newEnv(t)
	cfg := fastWebhooks(e.config())
	cfg.AllowPrivateURLs = false
	s := e.start(cfg)
	a := newApp(t, s)
	owner := a.login("demo", demoEmail, demoPassword)
	for _, u := range []string{"https://127.0.0.1/hook", "https://localhost:8443/hook", "https://169.254.169.254/latest/meta-data/",
		"https://10.0.0.7/hook", "https://[::1]/hook", "https://192.168.1.20/hook", "https://2130706433/hook", "http://localhost/hook"} {
		var er apiErr
		if code := a.do("POST", "/v1/webhooks", owner, WebhookRequest{URL: u, Events: []string{"*"}}, &er); code != 400 || er.Error == "" {
			t.Errorf("webhook to %s: %d %+v, want 400", u, code, er)
		}
	}
	rc := newReceiver(t, "a-secret-of-sixteen+")
	w := store.Webhook{ID: "wh_private", Tenant: "demo", URL: rc.srv.URL + "/hook", Events: []string{"*"}, Secret: rc.secret, CreatedAt: time.Now()}
	if err := s.Store().CreateWebhook(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	e.publish(envelope("demo", "v-ssrf", "", chat.NewID(), "What is your return policy?", "en"))
	poll.Until(t, 10*time.Second, func() error {
		var log []WebhookDeliveryView
		if code := a.do("GET", "/v1/webhooks/"+w.ID+"/deliveries", owner, nil, &log); code != 200 {
			return fmt.Errorf("deliveries: %d", code)
		}
		for _, d := range log {
			if d.Attempts > 0 && strings.Contains(d.LastError, "private") {
				return nil
			}
		}
		return fmt.Errorf("no attempt refused as private yet: %+v", log)
	})
	if n := len(rc.snapshot()); n != 0 {
		t.Fatalf("the loopback receiver got %d deliveries", n)
	}
}

func TestFailureLogLevels(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var f failureLog
	steps := []struct {
		at        time.Duration
		ok        bool
		want      slog.Level
		recovered bool
	}{
		{at: 0, want: slog.LevelDebug}, // a busy moment: debug
		{at: 30 * time.Second, want: slog.LevelDebug},
		{at: 31 * time.Second, ok: true}, // recovered before a warning: nothing to say
		{at: 40 * time.Second, want: slog.LevelDebug},
		{at: 40*time.Second + claimWarnAfter, want: slog.LevelWarn}, // failing for claimWarnAfter since 40 s
		{at: 50*time.Second + claimWarnAfter, want: slog.LevelWarn},
		{at: 60*time.Second + claimWarnAfter, ok: true, recovered: true},
		{at: 70*time.Second + claimWarnAfter, want: slog.LevelDebug}, // a new failure starts quiet again
	}
	for i, s := range steps {
		if s.ok {
			if got := f.recovered(); got != s.recovered {
				t.Errorf("step %d: recovered = %v, want %v", i, got, s.recovered)
			}
			continue
		}
		if got := f.failed(t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (%s): level %v, want %v", i, s.at, got, s.want)
		}
	}
}
