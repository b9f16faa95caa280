package central

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/central/webhook"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/egress"
)

// Outbound webhooks.
//
// Emitting: central code calls s.notify(ctx, tenant, event, key, data) —
// the one function that emits an event for a tenant. Every conversation
// event that goes through s.emit is also notified (webhook.FromChat maps
// its type), so conversation.created, message.created, handoff, assigned,
// closed, transferred, csat.submitted and sla.breached need nothing more.
// notify writes one delivery per subscribed webhook to the store's outbox
// (key makes a second notify of the same event a no-op) and wakes the
// dispatcher; a store failure is logged and counted (the event is lost
// for webhooks only: the conversation itself is stored).
//
// Delivering: every replica runs a dispatcher that leases due deliveries
// from the store (so replicas share the work and never post one delivery
// at once), POSTs them signed (package webhook), and records each attempt.
// A non-2xx answer or no answer is retried with exponential backoff
// (Retry base doubling, capped at an hour, ±20% jitter) until MaxAge after
// the event (default 25 h), then the delivery is failed. Deliveries live in
// the store, so a restart of central loses none: the next dispatcher takes
// them when their lease (Timeout + 5 s) runs out.

// WebhookConfig tunes the webhook dispatcher. Zero values take the defaults.
type WebhookConfig struct {
	// RetryBase is the delay after the first failed attempt; it doubles
	// per attempt up to an hour. Default: 5s.
	RetryBase time.Duration
	// MaxAge is how long after the event a delivery is retried. Default: 25h.
	MaxAge time.Duration
	// Timeout bounds one POST. Default: 10s.
	Timeout time.Duration
	// Poll is how often the dispatcher looks for due deliveries when not
	// woken by a new event. Default: 1s.
	Poll time.Duration
	// Concurrency is the number of POSTs in flight per replica. Default: 8.
	Concurrency int
	// Client sends the POSTs. Default: a client that follows no redirects.
	Client *http.Client
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.RetryBase <= 0 {
		c.RetryBase = 5 * time.Second
	}
	if c.MaxAge <= 0 {
		c.MaxAge = 25 * time.Hour
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 8
	}
	if c.Client == nil {
		c.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return c
}

// dispatcher posts the outbox's deliveries.
type dispatcher struct {
	s     *Service
	cfg   WebhookConfig
	owner string
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

func (s *Service) startWebhooks() {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	wc := s.cfg.Webhooks
	if wc.Client == nil {
		// Merchants choose webhook URLs: no loopback, private or
		// link-local destinations unless allowed (internal/egress).
		wc.Client = egress.Client(0, s.cfg.AllowPrivateURLs, func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse })
	}
	d := &dispatcher{s: s, cfg: wc.withDefaults(), owner: "central-" + hex.EncodeToString(b),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	s.hooks = d
	go d.run()
}

func (d *dispatcher) close() {
	select {
	case <-d.stop:
	default:
		close(d.stop)
	}
	<-d.done
	d.wg.Wait()
}

func (d *dispatcher) poke() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	sem := make(chan struct{}, d.cfg.Concurrency)
	var claims failureLog
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		case <-d.wake:
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			list, err := d.s.st.ClaimWebhookDeliveries(ctx, d.owner, time.Now(), d.cfg.Timeout+5*time.Second, d.cfg.Concurrency)
			cancel()
			if err != nil {
				d.s.log.Log(context.Background(), claims.failed(time.Now()), "webhooks: claim", "err", err)
				break
			}
			if claims.recovered() {
				d.s.log.Info("webhooks: claim works again")
			}
			if len(list) == 0 {
				break
			}
			for _, del := range list {
				select {
				case sem <- struct{}{}:
				case <-d.stop:
					return // leased ones are taken again when the lease runs out
				}
				d.wg.Add(1)
				go func() {
					defer func() { <-sem; d.wg.Done() }()
					d.attempt(del)
				}()
			}
		}
	}
}

// backoff is the delay before attempt n+1 after n failed attempts.
func (d *dispatcher) backoff(n int) time.Duration {
	exp := math.Min(float64(d.cfg.RetryBase)*math.Pow(2, float64(n-1)), float64(time.Hour))
	return time.Duration(exp * (0.8 + 0.4*mrand.Float64()))
}

func (d *dispatcher) attempt(del store.WebhookDelivery) {
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Timeout)
	defer cancel()
	now := time.Now()
	ts := now.Unix()
	a := store.Attempt{DeliveryID: del.ID}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, del.URL, bytes.NewReader(del.Body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Kefu-Webhooks/1")
		req.Header.Set(webhook.HeaderEvent, del.Event)
		req.Header.Set(webhook.HeaderDelivery, del.ID)
		req.Header.Set(webhook.HeaderTimestamp, fmt.Sprint(ts))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign(del.Secret, ts, del.Body))
		var res *http.Response
		res, err = d.cfg.Client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
			a.HTTPStatus = res.StatusCode
			if res.StatusCode < 200 || res.StatusCode > 299 {
				err = fmt.Errorf("answered %s", res.Status)
			}
		}
	}
	a.At = time.Now()
	switch {
	case err == nil:
		a.Status = store.DeliveryDelivered
		d.s.m.webhookAttempts.WithLabelValues("delivered").Inc()
		d.s.m.webhookLatency.Observe(a.At.Sub(del.CreatedAt).Seconds())
	case a.At.Sub(del.CreatedAt) >= d.cfg.MaxAge:
		a.Status, a.Error = store.DeliveryFailed, err.Error()
		d.s.m.webhookAttempts.WithLabelValues("failed").Inc()
	default:
		a.Status, a.Error, a.NextAt = store.DeliveryPending, err.Error(), a.At.Add(d.backoff(del.Attempts+1))
		d.s.m.webhookAttempts.WithLabelValues("retry").Inc()
	}
	fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer fcancel()
	if err := d.s.st.FinishWebhookAttempt(fctx, d.owner, a); err != nil {
		d.s.log.Warn("webhooks: record attempt", "delivery", del.ID, "err", err)
	}
}

// notify emits event for tenant: one delivery per webhook of the tenant
// that subscribes to it, in the store's outbox. key identifies the event
// (the same key twice makes one delivery per webhook); data is the
// payload's "data". It is the one function central code calls to send a
// webhook event.
func (s *Service) notify(ctx context.Context, tenant, event, key string, data any) {
	if s.hooks == nil || tenant == "" {
		return
	}
	// The event's data is encoded only when a webhook subscribes to it
	// (EnqueueEvent calls body per subscribed webhook; most tenants have
	// none, and the store keeps their webhook lists cached).
	var raw json.RawMessage
	now := time.Now()
	made, err := s.st.EnqueueEvent(ctx, tenant, event, key, now, func(_, deliveryID string) ([]byte, error) {
		if raw == nil {
			b, err := json.Marshal(data)
			if err != nil {
				return nil, fmt.Errorf("marshal %s: %w", event, err)
			}
			raw = b
		}
		return json.Marshal(webhook.Payload{ID: deliveryID, Event: event, Tenant: tenant, CreatedAt: now.UTC(), Data: raw})
	})
	if err != nil {
		s.m.webhookEnqueue.Inc()
		s.log.Error("webhooks: enqueue", "tenant", tenant, "event", event, "err", err)
		return
	}
	if len(made) > 0 {
		s.hooks.poke()
	}
}

// webhookEvent notifies the webhook event of a conversation event.
func (s *Service) webhookEvent(ev chat.Event) {
	name := webhook.FromChat(ev.Type)
	if name == "" || s.hooks == nil || ev.Tenant == "" {
		return
	}
	// Most tenants have no webhook for most events: ask the cached list
	// before the key, the contact and a context are made (~23 allocations
	// for each message central stores).
	if !s.st.Subscribed(context.Background(), ev.Tenant, name) {
		return
	}
	key := name + ":" + ev.ConversationID + ":" + ev.At.Format(time.RFC3339Nano)
	data := webhook.Conversation{ConversationID: ev.ConversationID, Visitor: ev.Visitor, Agent: ev.Agent, Reason: ev.Reason,
		Priority: ev.Priority, Team: ev.Team, Tags: ev.Tags, CSAT: ev.CSAT, At: ev.At}
	if ev.Message != nil {
		m := *ev.Message
		m.PII = nil // vault tokens are for agents
		data.Message = &m
		key = name + ":" + m.ID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	data.Contact = s.contactOf(ctx, ev.Tenant, ev.Visitor)
	s.notify(ctx, ev.Tenant, name, key, data)
}

// claimWarnAfter is how long claims must keep failing before it is worth a
// warning: a store busy for a moment (kefu dev's first start holds the
// writer for ~25 s while it seeds the demo history) is not.
const claimWarnAfter = time.Minute

// failureLog chooses the level of a repeated failure's log line: debug
// while it is new, a warning once it has lasted claimWarnAfter (and every
// line after), and recovered reports the end of a warned-about failure.
type failureLog struct {
	since  time.Time // zero: not failing
	warned bool
}

func (f *failureLog) failed(now time.Time) slog.Level {
	if f.since.IsZero() {
		f.since = now
	}
	if now.Sub(f.since) < claimWarnAfter {
		return slog.LevelDebug
	}
	f.warned = true
	return slog.LevelWarn
}

func (f *failureLog) recovered() bool {
	was := f.warned
	*f = failureLog{}
	return was
}
