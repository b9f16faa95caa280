package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// WebhookStore keeps tenants' webhooks and their outbox: one delivery row
// per (webhook, event), written when central emits the event and worked
// off by any central replica (ClaimWebhookDeliveries leases rows, so two replicas
// never post the same delivery at once). Rows survive restarts; a delivery
// whose replica died is taken again when its lease runs out.
type WebhookStore interface {
	// CreateWebhook stores a webhook; ErrNotFound for an unknown tenant.
	CreateWebhook(ctx context.Context, w Webhook) error
	// Webhook returns a webhook of tenant or ErrNotFound.
	Webhook(ctx context.Context, tenant, id string) (Webhook, error)
	// Webhooks lists a tenant's webhooks, oldest first.
	Webhooks(ctx context.Context, tenant string) ([]Webhook, error)
	// DeleteWebhook removes a webhook and its deliveries; ErrNotFound when
	// tenant has no such webhook.
	DeleteWebhook(ctx context.Context, tenant, id string) error

	// EnqueueEvent writes one pending delivery per webhook of tenant that
	// subscribes to event; body(webhookID, deliveryID) makes each body.
	// key identifies the event: a second call with the same key adds
	// nothing for a webhook that already has it. It returns the deliveries made.
	EnqueueEvent(ctx context.Context, tenant, event, key string, now time.Time, body func(webhookID, deliveryID string) ([]byte, error)) ([]WebhookDelivery, error)
	// Subscribed reports whether a webhook of tenant subscribes to event
	// (from the cached list: no statement for a tenant without webhooks).
	// On an error it reports true, so that EnqueueEvent reports the error.
	Subscribed(ctx context.Context, tenant, event string) bool
	// ClaimWebhookDeliveries leases up to limit due deliveries (pending, next
	// attempt at or before now, no live lease) to owner until now+lease,
	// oldest due first, with their webhook's URL and secret.
	ClaimWebhookDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error)
	// FinishWebhookAttempt records one attempt of a delivery leased by owner: its
	// outcome, the next attempt's time (when still pending) and releases
	// the lease. A delivery no longer leased by owner is left alone
	// (ErrTaken).
	FinishWebhookAttempt(ctx context.Context, owner string, a Attempt) error
	// WebhookDeliveries lists a webhook's deliveries, newest first, at most limit (0 = 100).
	WebhookDeliveries(ctx context.Context, tenant, webhookID string, limit int) ([]WebhookDelivery, error)
	// PendingWebhookDeliveries counts pending deliveries (every tenant).
	PendingWebhookDeliveries(ctx context.Context) (int, error)
}

// Webhook is a URL a tenant's events are posted to.
type Webhook struct {
	ID     string
	Tenant string
	URL    string
	// Events are the event names it receives ("message.created", …).
	Events []string
	// Secret keys the HMAC-SHA256 signature of every delivery.
	Secret    string
	CreatedAt time.Time
}

// Webhook delivery states (DeliveryPending and DeliveryFailed are
// alerts.go's, the same words).
const DeliveryDelivered = "delivered"

// WebhookDelivery is one event on its way to one webhook.
type WebhookDelivery struct {
	ID        string
	Tenant    string
	WebhookID string
	Event     string
	Key       string
	// Body is the exact JSON posted on every attempt.
	Body        []byte
	Status      string
	Attempts    int
	NextAt      time.Time
	CreatedAt   time.Time
	DeliveredAt time.Time
	// LastStatus is the HTTP status of the latest attempt (0: no answer).
	LastStatus int
	LastError  string
	// LatencyMS is from creation to the successful attempt's answer.
	LatencyMS int64
	// URL and Secret are the webhook's, filled by ClaimWebhookDeliveries.
	URL, Secret string
}

// Attempt is the outcome of one delivery attempt.
type Attempt struct {
	DeliveryID string
	At         time.Time
	// Status is "delivered", "failed" (given up) or "pending" (retry at NextAt).
	Status     string
	HTTPStatus int
	Error      string
	NextAt     time.Time
}

const webhookCols = `id, tenant, url, events, secret, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var events string
	var created int64
	err := row.Scan(&w.ID, &w.Tenant, &w.URL, &events, &w.Secret, &created)
	w.CreatedAt = fromMS(created)
	w.Events = []string{}
	if events != "" {
		w.Events = strings.Split(events, ",")
	}
	return w, err
}

func (s *sqlStore) CreateWebhook(ctx context.Context, w Webhook) error {
	if w.ID == "" || w.Tenant == "" || w.URL == "" || w.Secret == "" || len(w.Events) == 0 {
		return fmt.Errorf("store: create webhook: %w: id, tenant, url, secret and events are required", ErrInvalid)
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now()
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), w.Tenant).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("tenant %q: %w", w.Tenant, ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhooks (`+webhookCols+`) VALUES (?, ?, ?, ?, ?, ?)`),
			w.ID, w.Tenant, w.URL, strings.Join(w.Events, ","), w.Secret, ms(w.CreatedAt))
		return err
	})
	s.cache.invalidate(w.Tenant) // after the commit: a load in between would keep the old list
	if err != nil {
		return fmt.Errorf("store: create webhook: %w", err)
	}
	return nil
}

func (s *sqlStore) Webhook(ctx context.Context, tenant, id string) (Webhook, error) {
	w, err := scanWebhook(s.db.QueryRowContext(ctx, s.q(`SELECT `+webhookCols+` FROM webhooks WHERE tenant = ? AND id = ?`), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Webhook{}, fmt.Errorf("store: webhook %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("store: webhook %q/%q: %w", tenant, id, err)
	}
	return w, nil
}

// readWebhooks reads a tenant's webhooks from the database (Webhooks goes
// through the cache, tenantcache.go).
func (s *sqlStore) readWebhooks(ctx context.Context, tenant string) ([]Webhook, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+webhookCols+` FROM webhooks WHERE tenant = ? ORDER BY created_at, id`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanWebhook)
	if err != nil {
		return nil, fmt.Errorf("store: webhooks of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) DeleteWebhook(ctx context.Context, tenant, id string) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM webhooks WHERE tenant = ? AND id = ?`), tenant, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM webhook_deliveries WHERE tenant = ? AND webhook_id = ?`), tenant, id)
		return err
	})
	s.cache.invalidate(tenant)
	if err != nil {
		return fmt.Errorf("store: delete webhook %q/%q: %w", tenant, id, err)
	}
	return nil
}

const hookDeliveryCols = `id, tenant, webhook_id, event, event_key, body, status, attempts, next_at, created_at, delivered_at, last_status, last_error, latency_ms`

func scanHookDelivery(row interface{ Scan(...any) error }, extra ...any) (WebhookDelivery, error) {
	var d WebhookDelivery
	var body string
	var next, created, delivered int64
	dest := append([]any{&d.ID, &d.Tenant, &d.WebhookID, &d.Event, &d.Key, &body, &d.Status, &d.Attempts, &next, &created, &delivered,
		&d.LastStatus, &d.LastError, &d.LatencyMS}, extra...)
	err := row.Scan(dest...)
	d.Body, d.NextAt, d.CreatedAt, d.DeliveredAt = []byte(body), fromMS(next), fromMS(created), fromMS(delivered)
	return d, err
}

func (s *sqlStore) Subscribed(ctx context.Context, tenant, event string) bool {
	hooks, err := s.cachedWebhooks(ctx, tenant)
	if err != nil {
		return true
	}
	for _, w := range hooks {
		if w.subscribes(event) {
			return true
		}
	}
	return false
}

// subscribes reports whether w gets event.
func (w Webhook) subscribes(event string) bool {
	for _, e := range w.Events {
		if e == event || e == "*" {
			return true
		}
	}
	return false
}

func (s *sqlStore) EnqueueEvent(ctx context.Context, tenant, event, key string, now time.Time, body func(webhookID, deliveryID string) ([]byte, error)) ([]WebhookDelivery, error) {
	if tenant == "" || event == "" || key == "" {
		return nil, fmt.Errorf("store: enqueue event: %w: tenant, event and key are required", ErrInvalid)
	}
	hooks, err := s.cachedWebhooks(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var want []Webhook
	for _, w := range hooks {
		if w.subscribes(event) {
			want = append(want, w)
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	var out []WebhookDelivery
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, w := range want {
			id := "dlv_" + strings.ToLower(chat.NewID())
			b, err := body(w.ID, id)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO webhook_deliveries (`+hookDeliveryCols+`, lease_until, lease_owner)
				VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, 0, 0, '', 0, 0, '') ON CONFLICT DO NOTHING`),
				id, tenant, w.ID, event, key, string(b), ms(now), ms(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				out = append(out, WebhookDelivery{ID: id, Tenant: tenant, WebhookID: w.ID, Event: event, Key: key, Body: b,
					Status: DeliveryPending, NextAt: now, CreatedAt: now})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: enqueue %s of %q: %w", event, tenant, err)
	}
	return out, nil
}

func (s *sqlStore) ClaimWebhookDeliveries(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 {
		limit = 16
	}
	var out []WebhookDelivery
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_at <= ? AND lease_until <= ?
			ORDER BY next_at LIMIT ?`+s.d.skipLocked), ms(now), ms(now), limit)
		if err != nil {
			return err
		}
		ids, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
			var id string
			return id, r.Scan(&id)
		})
		if err != nil {
			return err
		}
		out = out[:0]
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET lease_until = ?, lease_owner = ? WHERE id = ?`),
				ms(now.Add(lease)), owner, id); err != nil {
				return err
			}
			var url, secret string
			d, err := scanHookDelivery(tx.QueryRowContext(ctx, s.q(`SELECT d.`+strings.ReplaceAll(hookDeliveryCols, ", ", ", d.")+`, w.url, w.secret
				FROM webhook_deliveries d JOIN webhooks w ON w.tenant = d.tenant AND w.id = d.webhook_id WHERE d.id = ?`), id), &url, &secret)
			if errors.Is(err, sql.ErrNoRows) {
				continue // its webhook is gone
			}
			if err != nil {
				return err
			}
			d.URL, d.Secret = url, secret
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return out, nil
}

func (s *sqlStore) FinishWebhookAttempt(ctx context.Context, owner string, a Attempt) error {
	switch a.Status {
	case DeliveryPending, DeliveryDelivered, DeliveryFailed:
	default:
		return fmt.Errorf("store: finish attempt: %w: status %q", ErrInvalid, a.Status)
	}
	delivered := int64(0)
	if a.Status == DeliveryDelivered {
		delivered = ms(a.At)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_at = ?, delivered_at = ?,
		last_status = ?, last_error = ?, latency_ms = CASE WHEN CAST(? AS BIGINT) > 0 THEN CAST(? AS BIGINT) - created_at ELSE 0 END, lease_until = 0, lease_owner = ''
		WHERE id = ? AND lease_owner = ? AND status = 'pending'`),
		a.Status, ms(a.NextAt), delivered, a.HTTPStatus, truncate(a.Error, 500), delivered, delivered, a.DeliveryID, owner)
	if err != nil {
		return fmt.Errorf("store: finish attempt %q: %w", a.DeliveryID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: finish attempt %q: %w", a.DeliveryID, ErrTaken)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *sqlStore) WebhookDeliveries(ctx context.Context, tenant, webhookID string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+hookDeliveryCols+` FROM webhook_deliveries WHERE tenant = ? AND webhook_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`), tenant, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries of %q: %w", webhookID, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (WebhookDelivery, error) { return scanHookDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("store: deliveries of %q: %w", webhookID, err)
	}
	return out, nil
}

func (s *sqlStore) PendingWebhookDeliveries(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: pending deliveries: %w", err)
	}
	return n, nil
}
