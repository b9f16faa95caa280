package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AlertStore is the outbox of staff alerts: an alert is recorded with one
// pending delivery per configured adapter in one transaction, and
// deliveries are claimed with a lease by whichever central replica is
// free, so a crash loses none and two replicas never send one twice at
// once.
type AlertStore interface {
	// RaiseAlert records a and a pending delivery to each adapter, due at
	// a.CreatedAt. created is false, and nothing is written, when a.ID is
	// already recorded (a redelivered message) or when the conversation
	// had an alert less than cooldown before a.CreatedAt (one page per
	// angry thread); the alert that stands is returned.
	RaiseAlert(ctx context.Context, a AlertRecord, adapters []string, cooldown time.Duration) (got AlertRecord, created bool, err error)
	// ClaimDeliveries leases up to n pending deliveries due at now (of
	// every tenant) until now+lease and returns them with their alerts.
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, n int) ([]AlertDelivery, error)
	// FinishDelivery records the outcome of an attempt: d.Status, Attempts,
	// NextAt, LastError, SentAt and LatencyMS; the lease is released.
	FinishDelivery(ctx context.Context, d AlertDelivery) error
	// Alerts lists the tenant's alerts, newest first, with their
	// deliveries, at most limit (0 = 100).
	Alerts(ctx context.Context, tenant string, limit int) ([]AlertRecord, error)
}

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// AlertRecord is one staff alert.
type AlertRecord struct {
	Tenant         string
	ID             string
	ConversationID string
	MessageID      string
	Kind           string
	Words          []string
	Anger          float64
	// Text is the shopper's text, masked.
	Text string
	Link string
	// MessageAt is when the shopper's message was born (latency origin).
	MessageAt  time.Time
	CreatedAt  time.Time
	Deliveries []AlertDelivery
}

// AlertDelivery is one alert's delivery to one adapter.
type AlertDelivery struct {
	Tenant    string
	AlertID   string
	Adapter   string
	Status    string
	Attempts  int
	NextAt    time.Time
	LastError string
	SentAt    time.Time
	// LatencyMS is SentAt − the message's birth, for sent deliveries.
	LatencyMS int64
	// Alert is filled by ClaimDeliveries.
	Alert *AlertRecord
}

var _ AlertStore = (*sqlStore)(nil)

const alertCols = `tenant, id, conversation_id, message_id, kind, words, anger, text, link, message_at, created_at`

func scanAlert(row interface{ Scan(...any) error }) (AlertRecord, error) {
	var a AlertRecord
	var words string
	var mat, cat int64
	err := row.Scan(&a.Tenant, &a.ID, &a.ConversationID, &a.MessageID, &a.Kind, &words, &a.Anger, &a.Text, &a.Link, &mat, &cat)
	a.Words, a.MessageAt, a.CreatedAt = splitList(words), fromMS(mat), fromMS(cat)
	return a, err
}

const deliveryCols = `tenant, alert_id, adapter, status, attempts, next_at, last_error, sent_at, latency_ms`

func scanDelivery(row interface{ Scan(...any) error }) (AlertDelivery, error) {
	var d AlertDelivery
	var next, sent int64
	err := row.Scan(&d.Tenant, &d.AlertID, &d.Adapter, &d.Status, &d.Attempts, &next, &d.LastError, &sent, &d.LatencyMS)
	d.NextAt, d.SentAt = fromMS(next), fromMS(sent)
	return d, err
}

func (s *sqlStore) RaiseAlert(ctx context.Context, a AlertRecord, adapters []string, cooldown time.Duration) (AlertRecord, bool, error) {
	if a.Tenant == "" || a.ID == "" || a.ConversationID == "" || a.Kind == "" {
		return AlertRecord{}, false, fmt.Errorf("store: raise alert: %w: tenant, id, conversation and kind are required", ErrInvalid)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	for _, w := range a.Words {
		if strings.Contains(w, ",") {
			return AlertRecord{}, false, fmt.Errorf("store: raise alert: %w: word %q holds a comma", ErrInvalid, w)
		}
	}
	var got AlertRecord
	var created bool
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		created = false
		// Serialise alerts of one conversation (PostgreSQL; SQLite's write
		// transaction already does).
		if s.d.forUpdate != "" {
			if _, err := tx.ExecContext(ctx, s.q(`SELECT id FROM conversations WHERE tenant = ? AND id = ?`+s.d.forUpdate), a.Tenant, a.ConversationID); err != nil {
				return err
			}
		}
		prev, err := scanAlert(tx.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE tenant = ? AND id = ?`), a.Tenant, a.ID))
		if err == nil {
			got = prev
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		prev, err = scanAlert(tx.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE tenant = ? AND conversation_id = ?
			AND created_at > ? ORDER BY created_at DESC LIMIT 1`), a.Tenant, a.ConversationID, ms(a.CreatedAt.Add(-cooldown))))
		if err == nil {
			got = prev
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alerts (`+alertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			a.Tenant, a.ID, a.ConversationID, a.MessageID, a.Kind, strings.Join(a.Words, ","), a.Anger, a.Text, a.Link,
			ms(a.MessageAt), ms(a.CreatedAt)); err != nil {
			return err
		}
		for _, ad := range adapters {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO alert_deliveries (`+deliveryCols+`, lease_until)
				VALUES (?, ?, ?, 'pending', 0, ?, '', 0, 0, 0)`), a.Tenant, a.ID, ad, ms(a.CreatedAt)); err != nil {
				return err
			}
		}
		created, got = true, a
		return nil
	})
	if err != nil {
		return AlertRecord{}, false, fmt.Errorf("store: raise alert %q/%q: %w", a.Tenant, a.ID, err)
	}
	return got, created, nil
}

func (s *sqlStore) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, n int) ([]AlertDelivery, error) {
	if n <= 0 {
		n = 16
	}
	var out []AlertDelivery
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM alert_deliveries WHERE status = 'pending' AND next_at <= ?
			AND lease_until <= ? ORDER BY next_at ASC LIMIT ?`+s.d.skipLocked), ms(now), ms(now), n)
		if err != nil {
			return err
		}
		out, err = collect(rows, scanDelivery)
		if err != nil {
			return err
		}
		for i, d := range out {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE alert_deliveries SET lease_until = ? WHERE tenant = ? AND alert_id = ? AND adapter = ?`),
				ms(now.Add(lease)), d.Tenant, d.AlertID, d.Adapter); err != nil {
				return err
			}
			a, err := scanAlert(tx.QueryRowContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE tenant = ? AND id = ?`), d.Tenant, d.AlertID))
			if err != nil {
				return err
			}
			out[i].Alert = &a
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return out, nil
}

func (s *sqlStore) FinishDelivery(ctx context.Context, d AlertDelivery) error {
	switch d.Status {
	case DeliveryPending, DeliverySent, DeliveryFailed:
	default:
		return fmt.Errorf("store: finish delivery: %w: status %q", ErrInvalid, d.Status)
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE alert_deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ?, sent_at = ?,
		latency_ms = ?, lease_until = 0 WHERE tenant = ? AND alert_id = ? AND adapter = ?`),
		d.Status, d.Attempts, ms(d.NextAt), d.LastError, ms(d.SentAt), d.LatencyMS, d.Tenant, d.AlertID, d.Adapter)
	if err != nil {
		return fmt.Errorf("store: finish delivery %q/%q: %w", d.AlertID, d.Adapter, err)
	}
	return nil
}

func (s *sqlStore) Alerts(ctx context.Context, tenant string, limit int) ([]AlertRecord, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+alertCols+` FROM alerts WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?`), tenant, limit)
	if err != nil {
		return nil, fmt.Errorf("store: alerts of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("store: alerts of %q: %w", tenant, err)
	}
	for i := range out {
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+deliveryCols+` FROM alert_deliveries WHERE tenant = ? AND alert_id = ? ORDER BY adapter`),
			tenant, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("store: alerts of %q: %w", tenant, err)
		}
		if out[i].Deliveries, err = collect(rows, scanDelivery); err != nil {
			return nil, fmt.Errorf("store: alerts of %q: %w", tenant, err)
		}
	}
	return out, nil
}
