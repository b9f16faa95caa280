package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ProactiveStore keeps the tenants' proactive rules and every notice they
// decided (sent, held out as control, suppressed), for delivery, frequency
// caps and the report (package central/proactive decides; central sends).
type ProactiveStore interface {
	// PutProactiveRule creates or replaces a rule (spec is its JSON).
	PutProactiveRule(ctx context.Context, r ProactiveRule) error
	// ProactiveRules lists the tenant's rules by id.
	ProactiveRules(ctx context.Context, tenant string) ([]ProactiveRule, error)
	// ProactiveTenants lists the tenants with an enabled rule.
	ProactiveTenants(ctx context.Context) ([]string, error)
	// DeleteProactiveRule removes a rule (its notices stay) or ErrNotFound.
	DeleteProactiveRule(ctx context.Context, tenant, id string) error
	// ClaimRuleRun moves a rule's last run from prev to next; false when
	// another replica did first (a campaign runs once).
	ClaimRuleRun(ctx context.Context, tenant, id string, prev, next time.Time) (bool, error)

	// PutNotice stores a notice; stored is false when its id exists (the
	// same cause again) and nothing changes.
	PutNotice(ctx context.Context, n Notice) (stored bool, err error)
	// UpdateNotice sets a notice's arm, state, reason, conversation,
	// message and sent time.
	UpdateNotice(ctx context.Context, n Notice) error
	// CountNotices counts the shopper's notices of rule ("" = every rule)
	// created at or after since, in the sent and control arms (what the
	// frequency caps count).
	CountNotices(ctx context.Context, tenant, shopper, rule string, since time.Time) (int, error)
	// DueNotices returns pending notices due at or before now, oldest first.
	DueNotices(ctx context.Context, now time.Time, limit int) ([]Notice, error)
	// MarkNoticeOpened records the first time the shopper's client
	// acknowledged the notice's message; false when unknown or already opened.
	MarkNoticeOpened(ctx context.Context, tenant, shopper, messageID string, at time.Time) (bool, error)
	// Notices lists the tenant's notices created in [from, to), newest
	// first, of one rule ("" = all), at most limit.
	Notices(ctx context.Context, tenant, rule string, from, to time.Time, limit int) ([]Notice, error)
	// NoticeReport aggregates the notices created in [from, to) per rule and
	// arm, with the inbound of their shoppers within window after each.
	NoticeReport(ctx context.Context, tenant string, from, to time.Time, window time.Duration) ([]NoticeReportRow, error)
	// ImportNotices stores many notices in one transaction (demo history);
	// ids already stored are skipped.
	ImportNotices(ctx context.Context, ns []Notice) error
	// RecentVisitors lists the tenant's visitors with a conversation active
	// in [from, to) (of one region, "" = all) with their latest
	// conversation, at most limit: a campaign's audience.
	RecentVisitors(ctx context.Context, tenant, region string, from, to time.Time, limit int) ([]Conversation, error)
	// OpenConversation returns conversation id of the tenant, creating it
	// (with the bot, no message) when missing: a notice may speak first.
	// A conversation of another visitor is ErrInvalid.
	OpenConversation(ctx context.Context, c Conversation) (Conversation, error)
}

// ProactiveRule is a stored rule; Spec is the proactive.Rule JSON.
type ProactiveRule struct {
	Tenant    string
	ID        string
	Spec      string
	Enabled   bool
	LastRun   time.Time
	UpdatedAt time.Time
}

// Notice states.
const (
	NoticePending = "pending"
	NoticeSent    = "sent"
	NoticeControl = "control"
	NoticeDropped = "suppressed"
	NoticeFailed  = "failed"
)

// Notice is one decision of a rule for one shopper.
type Notice struct {
	Tenant string
	ID     string
	Rule   string
	// Shopper is the visitor id (a contact's is chat.ContactVisitor).
	Shopper string
	// Ref is the cause: an event id, a page visit, a campaign run.
	Ref string
	// Arm is sent, control or suppressed (proactive.Arm*).
	Arm string
	// State is pending, sent, control, suppressed or failed.
	State          string
	Reason         string
	ConversationID string
	MessageID      string
	Region         string
	Channel        string
	Text           string
	CreatedAt      time.Time
	DueAt          time.Time
	SentAt         time.Time
	OpenedAt       time.Time
	Demo           bool
}

// NoticeReportRow is one rule and arm of NoticeReport.
type NoticeReportRow struct {
	Rule string
	Arm  string
	// Notices counts the notices; Shoppers the distinct shoppers.
	Notices  int
	Shoppers int
	Opened   int
	// Inbound counts the notices whose shopper wrote at least once within
	// the window after it; InboundMessages the messages written.
	Inbound         int
	InboundMessages int
}

const noticeCols = `tenant, id, rule, shopper, ref, arm, state, reason, conversation_id, message_id, region, channel, text,
	created_at, due_at, sent_at, opened_at, demo`

func scanNotice(r interface{ Scan(...any) error }) (Notice, error) {
	var n Notice
	var created, due, sent, opened int64
	var demo int
	err := r.Scan(&n.Tenant, &n.ID, &n.Rule, &n.Shopper, &n.Ref, &n.Arm, &n.State, &n.Reason, &n.ConversationID, &n.MessageID,
		&n.Region, &n.Channel, &n.Text, &created, &due, &sent, &opened, &demo)
	n.CreatedAt, n.DueAt, n.SentAt, n.OpenedAt, n.Demo = fromMS(created), fromMS(due), fromMS(sent), fromMS(opened), demo != 0
	return n, err
}

func (s *sqlStore) PutProactiveRule(ctx context.Context, r ProactiveRule) error {
	if r.Tenant == "" || r.ID == "" || r.Spec == "" {
		return fmt.Errorf("store: put proactive rule: %w: tenant, id and spec are required", ErrInvalid)
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO proactive_rules (tenant, id, spec, enabled, last_run, updated_at) VALUES (?, ?, ?, ?, 0, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET spec = excluded.spec, enabled = excluded.enabled, updated_at = excluded.updated_at`),
		r.Tenant, r.ID, r.Spec, b2i(r.Enabled), ms(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: put proactive rule %q/%q: %w", r.Tenant, r.ID, err)
	}
	return nil
}

func (s *sqlStore) ProactiveRules(ctx context.Context, tenant string) ([]ProactiveRule, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT tenant, id, spec, enabled, last_run, updated_at FROM proactive_rules WHERE tenant = ? ORDER BY id`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: proactive rules of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (ProactiveRule, error) {
		var v ProactiveRule
		var en int
		var last, upd int64
		err := r.Scan(&v.Tenant, &v.ID, &v.Spec, &en, &last, &upd)
		v.Enabled, v.LastRun, v.UpdatedAt = en != 0, fromMS(last), fromMS(upd)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: proactive rules of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) ProactiveTenants(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT tenant FROM proactive_rules WHERE enabled = 1 ORDER BY tenant`)
	if err != nil {
		return nil, fmt.Errorf("store: proactive tenants: %w", err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var t string
		return t, r.Scan(&t)
	})
	if err != nil {
		return nil, fmt.Errorf("store: proactive tenants: %w", err)
	}
	return out, nil
}

func (s *sqlStore) DeleteProactiveRule(ctx context.Context, tenant, id string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM proactive_rules WHERE tenant = ? AND id = ?`), tenant, id)
	if err != nil {
		return fmt.Errorf("store: delete proactive rule %q/%q: %w", tenant, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: proactive rule %q/%q: %w", tenant, id, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) ClaimRuleRun(ctx context.Context, tenant, id string, prev, next time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE proactive_rules SET last_run = ? WHERE tenant = ? AND id = ? AND last_run = ?`),
		ms(next), tenant, id, ms(prev))
	if err != nil {
		return false, fmt.Errorf("store: claim run of %q/%q: %w", tenant, id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func (s *sqlStore) insertNotice(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, n Notice) (bool, error) {
	if n.Tenant == "" || n.ID == "" || n.Rule == "" || n.Shopper == "" || n.State == "" || n.CreatedAt.IsZero() {
		return false, fmt.Errorf("%w: tenant, id, rule, shopper, state and time are required", ErrInvalid)
	}
	res, err := x.ExecContext(ctx, s.q(`INSERT INTO proactive_notices (`+noticeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO NOTHING`), n.Tenant, n.ID, n.Rule, n.Shopper, n.Ref, n.Arm, n.State, n.Reason, n.ConversationID,
		n.MessageID, n.Region, n.Channel, n.Text, ms(n.CreatedAt), ms(n.DueAt), ms(n.SentAt), ms(n.OpenedAt), b2i(n.Demo))
	if err != nil {
		return false, err
	}
	k, _ := res.RowsAffected()
	return k == 1, nil
}

func (s *sqlStore) PutNotice(ctx context.Context, n Notice) (bool, error) {
	ok, err := s.insertNotice(ctx, s.db, n)
	if err != nil {
		return false, fmt.Errorf("store: put notice %q/%q: %w", n.Tenant, n.ID, err)
	}
	return ok, nil
}

func (s *sqlStore) ImportNotices(ctx context.Context, ns []Notice) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		for _, n := range ns {
			if _, err := s.insertNotice(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: import notices: %w", err)
	}
	return nil
}

func (s *sqlStore) UpdateNotice(ctx context.Context, n Notice) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE proactive_notices SET arm = ?, state = ?, reason = ?, conversation_id = ?, message_id = ?,
		region = ?, channel = ?, text = ?, due_at = ?, sent_at = ? WHERE tenant = ? AND id = ?`),
		n.Arm, n.State, n.Reason, n.ConversationID, n.MessageID, n.Region, n.Channel, n.Text, ms(n.DueAt), ms(n.SentAt), n.Tenant, n.ID)
	if err != nil {
		return fmt.Errorf("store: update notice %q/%q: %w", n.Tenant, n.ID, err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("store: notice %q/%q: %w", n.Tenant, n.ID, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) CountNotices(ctx context.Context, tenant, shopper, rule string, since time.Time) (int, error) {
	q := `SELECT COUNT(*) FROM proactive_notices WHERE tenant = ? AND shopper = ? AND created_at >= ? AND arm IN ('sent', 'control')`
	args := []any{tenant, shopper, ms(since)}
	if rule != "" {
		q += ` AND rule = ?`
		args = append(args, rule)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, s.q(q), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count notices of %q: %w", shopper, err)
	}
	return n, nil
}

func (s *sqlStore) DueNotices(ctx context.Context, now time.Time, limit int) ([]Notice, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+noticeCols+` FROM proactive_notices WHERE state = 'pending' AND due_at <= ?
		ORDER BY due_at LIMIT ?`), ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due notices: %w", err)
	}
	out, err := collect(rows, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("store: due notices: %w", err)
	}
	return out, nil
}

func (s *sqlStore) MarkNoticeOpened(ctx context.Context, tenant, shopper, messageID string, at time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE proactive_notices SET opened_at = ? WHERE tenant = ? AND message_id = ? AND shopper = ?
		AND opened_at = 0 AND state = 'sent'`), ms(at), tenant, messageID, shopper)
	if err != nil {
		return false, fmt.Errorf("store: notice opened %q/%q: %w", tenant, messageID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s *sqlStore) Notices(ctx context.Context, tenant, rule string, from, to time.Time, limit int) ([]Notice, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q := `SELECT ` + noticeCols + ` FROM proactive_notices WHERE tenant = ? AND created_at >= ? AND created_at < ?`
	args := []any{tenant, ms(from), ms(to)}
	if rule != "" {
		q += ` AND rule = ?`
		args = append(args, rule)
	}
	q += ` ORDER BY created_at DESC LIMIT ?`
	rows, err := s.db.QueryContext(ctx, s.q(q), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: notices of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("store: notices of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) NoticeReport(ctx context.Context, tenant string, from, to time.Time, window time.Duration) ([]NoticeReportRow, error) {
	// Per notice: the shopper's messages in (created_at, created_at + window].
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT n.rule, n.arm, COUNT(*), COUNT(DISTINCT n.shopper),
		COALESCE(SUM(CASE WHEN n.opened_at > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN x.k > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(x.k), 0)
		FROM proactive_notices n JOIN (SELECT p.tenant, p.id, (SELECT COUNT(*) FROM messages m WHERE m.tenant = p.tenant
				AND m.conversation_id IN (SELECT c.id FROM conversations c WHERE c.tenant = p.tenant AND c.visitor = p.shopper)
				AND m.role = 'shopper' AND m.at > p.created_at AND m.at <= p.created_at + ?) AS k
			FROM proactive_notices p WHERE p.tenant = ? AND p.created_at >= ? AND p.created_at < ?) x ON x.tenant = n.tenant AND x.id = n.id
		GROUP BY n.rule, n.arm ORDER BY n.rule, n.arm`), window.Milliseconds(), tenant, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("store: notice report of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (NoticeReportRow, error) {
		var v NoticeReportRow
		return v, r.Scan(&v.Rule, &v.Arm, &v.Notices, &v.Shoppers, &v.Opened, &v.Inbound, &v.InboundMessages)
	})
	if err != nil {
		return nil, fmt.Errorf("store: notice report of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) RecentVisitors(ctx context.Context, tenant, region string, from, to time.Time, limit int) ([]Conversation, error) {
	if limit <= 0 {
		limit = 10000
	}
	q := `SELECT ` + convCols + ` FROM conversations c WHERE tenant = ? AND updated_at >= ? AND updated_at < ?`
	args := []any{tenant, ms(from), ms(to)}
	if region != "" {
		q += ` AND region = ?`
		args = append(args, region)
	}
	// The latest conversation of each visitor.
	q += ` AND NOT EXISTS (SELECT 1 FROM conversations d WHERE d.tenant = c.tenant AND d.visitor = c.visitor
		AND (d.updated_at > c.updated_at OR (d.updated_at = c.updated_at AND d.id > c.id)))
		ORDER BY updated_at DESC LIMIT ?`
	rows, err := s.db.QueryContext(ctx, s.q(q), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: recent visitors of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Conversation, error) { return scanConv(r) })
	if err != nil {
		return nil, fmt.Errorf("store: recent visitors of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) OpenConversation(ctx context.Context, c Conversation) (Conversation, error) {
	if c.Tenant == "" || c.ID == "" || c.Visitor == "" {
		return Conversation{}, fmt.Errorf("store: open conversation: %w: tenant, id and visitor are required", ErrInvalid)
	}
	now := time.Now()
	var got Conversation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO conversations (`+convCols+`)
			VALUES (?, ?, ?, ?, ?, ?, 'bot', 0, 0, 0, '', '', '', 0, 0, ?, ?) ON CONFLICT (tenant, id) DO NOTHING`),
			c.Tenant, c.ID, c.Visitor, string(c.Channel), c.Region, c.Lang, ms(now), ms(now)); err != nil {
			return err
		}
		var err error
		got, err = s.getConv(ctx, tx, c.Tenant, c.ID, false)
		if err != nil {
			return err
		}
		if got.Visitor != c.Visitor {
			return fmt.Errorf("%w: conversation %q belongs to another visitor", ErrInvalid, c.ID)
		}
		return nil
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: open conversation %q/%q: %w", c.Tenant, c.ID, err)
	}
	return got, nil
}
