package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// dialect holds what differs between SQLite and PostgreSQL. The queries are
// written with ? placeholders and rebound to $n for PostgreSQL.
type dialect struct {
	name string
	// dollar rebinds ? to $1, $2…
	dollar bool
	// forUpdate is appended to a SELECT that must lock its row ("" on SQLite,
	// where the write transaction already excludes other writers).
	forUpdate string
	// skipLocked is appended to the queue pick of ClaimNext.
	skipLocked string
	schema     []string
}

// sqlStore is the Store over database/sql shared by both dialects.
type sqlStore struct {
	db *sql.DB
	d  dialect
	// group runs the write transactions asked for at the same time as one
	// (groupcommit.go): SQLite has a single writer, and PostgreSQL pays a
	// WAL flush per commit, so central's lanes (consume.go), which each
	// store a message at a time, commit together.
	group *txGroup
	// cache keeps tenants' webhooks and settings (tenantcache.go).
	cache *tenantCache
}

var _ Store = (*sqlStore)(nil)

func (s *sqlStore) q(query string) string {
	if !s.d.dollar {
		return query
	}
	return rebind(query)
}

// rebind turns ? placeholders into $1, $2… (the queries here hold no literal '?').
func rebind(query string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// withTx runs f in a write transaction and returns once it committed (or
// failed). Transactions asked for at the same time share one commit
// (groupcommit.go): f runs inside a savepoint, so its error rolls back
// only its own writes; f may run a second time, in a transaction of its
// own, when the shared commit fails, so it must not keep effects of a run
// that returned no error outside the transaction.
func (s *sqlStore) withTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	return s.group.do(ctx, s.db, f)
}

// execTx runs one write statement in a write transaction (withTx), not
// autocommit: on SQLite an autocommit write outside the group commit waits
// for the writer in SQLite's busy handler, which sleeps in steps of up to
// 100 ms. Used by the writes on a message's path (SetShown, SetPriority,
// PutMessageText, MoveVisitor, LinkIdentity, MarkFirstResponse,
// PutCitations, RecordMiss).
func (s *sqlStore) execTx(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// ---- tenants ----

func (s *sqlStore) PutTenant(ctx context.Context, t Tenant) error {
	if t.ID == "" {
		return fmt.Errorf("store: put tenant: %w: empty id", ErrInvalid)
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tenants (id, name, sla_ms, identity_secret, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, sla_ms = excluded.sla_ms`),
		t.ID, t.Name, t.SLA.Milliseconds(), t.IdentitySecret, ms(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: put tenant %q: %w", t.ID, err)
	}
	return nil
}

func (s *sqlStore) Tenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(s.db.QueryRowContext(ctx, s.q(`SELECT `+tenantCols+` FROM tenants WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, fmt.Errorf("store: tenant %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("store: tenant %q: %w", id, err)
	}
	return t, nil
}

// ---- agents ----

const agentCols = `id, tenant, email, name, password_hash, created_at, role, lang, must_change, disabled`

func scanAgent(row interface{ Scan(...any) error }) (Agent, error) {
	var a Agent
	var created int64
	var role string
	var must, disabled int
	err := row.Scan(&a.ID, &a.Tenant, &a.Email, &a.Name, &a.PasswordHash, &created, &role, &a.Lang, &must, &disabled)
	a.CreatedAt, a.Role, a.MustChangePassword, a.Disabled = fromMS(created), Role(role), must != 0, disabled != 0
	return a, err
}

func (s *sqlStore) PutAgent(ctx context.Context, a Agent) (Agent, error) {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	if a.Tenant == "" || a.Email == "" {
		return Agent{}, fmt.Errorf("store: put agent: %w: tenant and email are required", ErrInvalid)
	}
	if a.ID == "" {
		a.ID = chat.NewID()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	if a.Role == "" {
		a.Role = RoleAgent
	}
	if !a.Role.Valid() {
		return Agent{}, fmt.Errorf("store: put agent: %w: role %q", ErrInvalid, a.Role)
	}
	var out Agent
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO agents (`+agentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, email) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash,
			role = excluded.role, lang = excluded.lang, must_change = excluded.must_change, disabled = excluded.disabled`),
			a.ID, a.Tenant, a.Email, a.Name, a.PasswordHash, ms(a.CreatedAt), string(a.Role), a.Lang, b2i(a.MustChangePassword), b2i(a.Disabled))
		if err != nil {
			return err
		}
		out, err = scanAgent(tx.QueryRowContext(ctx, s.q(`SELECT `+agentCols+` FROM agents WHERE tenant = ? AND email = ?`), a.Tenant, a.Email))
		return err
	})
	if err != nil {
		return Agent{}, fmt.Errorf("store: put agent %q/%q: %w", a.Tenant, a.Email, err)
	}
	return out, nil
}

func (s *sqlStore) AgentByEmail(ctx context.Context, tenant, email string) (Agent, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := scanAgent(s.db.QueryRowContext(ctx, s.q(`SELECT `+agentCols+` FROM agents WHERE tenant = ? AND email = ?`), tenant, email))
	if errors.Is(err, sql.ErrNoRows) {
		return Agent{}, fmt.Errorf("store: agent %q/%q: %w", tenant, email, ErrNotFound)
	}
	if err != nil {
		return Agent{}, fmt.Errorf("store: agent %q/%q: %w", tenant, email, err)
	}
	return a, nil
}

func (s *sqlStore) Agent(ctx context.Context, tenant, id string) (Agent, error) {
	a, err := scanAgent(s.db.QueryRowContext(ctx, s.q(`SELECT `+agentCols+` FROM agents WHERE tenant = ? AND id = ?`), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Agent{}, fmt.Errorf("store: agent %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return Agent{}, fmt.Errorf("store: agent %q/%q: %w", tenant, id, err)
	}
	return a, nil
}

// ---- sessions ----

func (s *sqlStore) PutSession(ctx context.Context, se Session) error {
	if se.TokenHash == "" || se.Tenant == "" || se.AgentID == "" {
		return fmt.Errorf("store: put session: %w: missing field", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO sessions (token_hash, tenant, agent_id, expires) VALUES (?, ?, ?, ?)`),
		se.TokenHash, se.Tenant, se.AgentID, ms(se.Expires))
	if err != nil {
		return fmt.Errorf("store: put session: %w", err)
	}
	// Opportunistic clean-up of expired sessions.
	_, _ = s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires < ?`), ms(time.Now()))
	return nil
}

func (s *sqlStore) Session(ctx context.Context, tokenHash string, now time.Time) (Session, error) {
	var se Session
	var exp int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT token_hash, tenant, agent_id, expires FROM sessions WHERE token_hash = ? AND expires > ?`),
		tokenHash, ms(now)).Scan(&se.TokenHash, &se.Tenant, &se.AgentID, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	se.Expires = fromMS(exp)
	return se, nil
}

func (s *sqlStore) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_hash = ?`), tokenHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// ---- conversations ----

const convCols = `tenant, id, visitor, channel, region, lang, status, priority, anger, vip, agent, reason, last_text, bot_failures, queued_at, created_at, updated_at`

func scanConv(row interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	var channel, status string
	var vip int
	var queued, created, updated int64
	err := row.Scan(&c.Tenant, &c.ID, &c.Visitor, &channel, &c.Region, &c.Lang, &status, &c.Priority, &c.Anger,
		&vip, &c.Agent, &c.Reason, &c.LastText, &c.BotFailures, &queued, &created, &updated)
	c.Channel, c.Status, c.VIP = chat.Channel(channel), Status(status), vip != 0
	c.QueuedAt, c.CreatedAt, c.UpdatedAt = fromMS(queued), fromMS(created), fromMS(updated)
	return c, err
}

func (s *sqlStore) getConv(ctx context.Context, q querier, tenant, id string, lock bool) (Conversation, error) {
	query := `SELECT ` + convCols + ` FROM conversations WHERE tenant = ? AND id = ?`
	if lock {
		query += s.d.forUpdate
	}
	c, err := scanConv(q.QueryRowContext(ctx, s.q(query), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, fmt.Errorf("store: conversation %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("store: conversation %q/%q: %w", tenant, id, err)
	}
	return c, nil
}

func (s *sqlStore) Conversation(ctx context.Context, tenant, id string) (Conversation, error) {
	return s.getConv(ctx, s.db, tenant, id, false)
}

func (s *sqlStore) Conversations(ctx context.Context, tenant string, f Filter) ([]Conversation, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 200
	}
	var rows *sql.Rows
	var err error
	switch f.Status {
	case "":
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT `+convCols+` FROM conversations WHERE tenant = ? AND status <> 'closed'
			ORDER BY updated_at DESC LIMIT ?`), tenant, limit)
	case StatusQueued:
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT `+convCols+` FROM conversations WHERE tenant = ? AND status = 'queued'
			ORDER BY priority DESC, queued_at ASC LIMIT ?`), tenant, limit)
	default:
		if !f.Status.Valid() {
			return nil, fmt.Errorf("store: conversations: %w: status %q", ErrInvalid, f.Status)
		}
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT `+convCols+` FROM conversations WHERE tenant = ? AND status = ?
			ORDER BY updated_at DESC LIMIT ?`), tenant, string(f.Status), limit)
	}
	if err != nil {
		return nil, fmt.Errorf("store: conversations of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanConv)
	if err != nil {
		return nil, fmt.Errorf("store: conversations of %q: %w", tenant, err)
	}
	return out, nil
}

// ---- messages ----

const msgCols = `id, conversation_id, role, text, source, reply_to, author, lang, intent, anger, at, pii, channel, channel_id`

func scanMsg(row interface{ Scan(...any) error }) (chat.Message, error) {
	var m chat.Message
	var role, source, pii, channel string
	var at int64
	err := row.Scan(&m.ID, &m.ConversationID, &role, &m.Text, &source, &m.ReplyTo, &m.Author, &m.Lang, &m.Intent, &m.Anger, &at, &pii,
		&channel, &m.ChannelID)
	m.Role, m.Source, m.At, m.Channel = chat.Role(role), chat.Source(source), fromMS(at), chat.Channel(channel)
	if err == nil && pii != "" {
		if jerr := json.Unmarshal([]byte(pii), &m.PII); jerr != nil {
			err = fmt.Errorf("message %q: pii column: %w", m.ID, jerr)
		}
	}
	return m, err
}

// piiColumn encodes Message.PII for the pii column: a JSON array, or "" when
// the message has none.
func piiColumn(toks []chat.PIIToken) (string, error) {
	if len(toks) == 0 {
		return "", nil
	}
	b, err := json.Marshal(toks)
	if err != nil {
		return "", fmt.Errorf("pii column: %w", err)
	}
	return string(b), nil
}

// insertMsg inserts m unless its id is taken; it reports whether it did.
func (s *sqlStore) insertMsg(ctx context.Context, tx *sql.Tx, tenant string, m chat.Message) (bool, error) {
	return s.insertMsgRoute(ctx, tx, tenant, m, "")
}

// insertMsgRoute inserts m with the route its replies go back by (a
// shopper message from a platform channel: its ChannelVisitor).
func (s *sqlStore) insertMsgRoute(ctx context.Context, tx *sql.Tx, tenant string, m chat.Message, route string) (bool, error) {
	pii, err := piiColumn(m.PII)
	if err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO messages (tenant, `+msgCols+`, route) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO NOTHING`),
		tenant, m.ID, m.ConversationID, string(m.Role), m.Text, string(m.Source), m.ReplyTo, m.Author, m.Lang, m.Intent, m.Anger, ms(m.At), pii,
		string(m.Channel), m.ChannelID, route)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// convUpdate builds an UPDATE of one conversation that sets only the
// columns given as changed.
type convUpdate struct {
	cols []string
	args []any
}

func (u *convUpdate) add(col string, v any) {
	u.cols, u.args = append(u.cols, col), append(u.args, v)
}

// sql is the statement; its arguments are u.args, then tenant and id.
func (u *convUpdate) sql() string {
	var b strings.Builder
	b.WriteString("UPDATE conversations SET ")
	for i, c := range u.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
		b.WriteString(" = ?")
	}
	b.WriteString(" WHERE tenant = ? AND id = ?")
	return b.String()
}

func (s *sqlStore) Message(ctx context.Context, tenant, id string) (chat.Message, error) {
	m, err := scanMsg(s.db.QueryRowContext(ctx, s.q(`SELECT `+msgCols+` FROM messages WHERE tenant = ? AND id = ?`), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Message{}, fmt.Errorf("store: message %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return chat.Message{}, fmt.Errorf("store: message %q/%q: %w", tenant, id, err)
	}
	return m, nil
}

func (s *sqlStore) Messages(ctx context.Context, tenant, conversation, after string, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		limit = 500
	}
	var seq int64
	if after != "" {
		err := s.db.QueryRowContext(ctx, s.q(`SELECT seq FROM messages WHERE tenant = ? AND id = ? AND conversation_id = ?`),
			tenant, after, conversation).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: messages of %q after %q: %w", conversation, after, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("store: messages of %q after %q: %w", conversation, after, err)
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+msgCols+` FROM messages WHERE tenant = ? AND conversation_id = ? AND seq > ?
		ORDER BY seq ASC LIMIT ?`), tenant, conversation, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("store: messages of %q: %w", conversation, err)
	}
	out, err := collect(rows, scanMsg)
	if err != nil {
		return nil, fmt.Errorf("store: messages of %q: %w", conversation, err)
	}
	return out, nil
}

// ---- queue ----

func (s *sqlStore) Handoff(ctx context.Context, tenant, id string, priority int, reason string, now time.Time) (Conversation, bool, error) {
	var c Conversation
	var changed bool
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = s.getConv(ctx, tx, tenant, id, true)
		if err != nil {
			return err
		}
		switch c.Status {
		case StatusClosed:
			return ErrClosed
		case StatusBot:
			changed = true
			_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = 'queued', priority = ?, reason = ?, queued_at = ?, updated_at = ?
				WHERE tenant = ? AND id = ?`), priority, reason, ms(now), ms(now), tenant, id)
		case StatusQueued:
			if priority > c.Priority {
				_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET priority = ? WHERE tenant = ? AND id = ?`), priority, tenant, id)
			}
		}
		if err != nil {
			return err
		}
		c, err = s.getConv(ctx, tx, tenant, id, false)
		return err
	})
	if err != nil {
		return Conversation{}, false, fmt.Errorf("store: handoff %q/%q: %w", tenant, id, err)
	}
	return c, changed, nil
}

func (s *sqlStore) SetPriority(ctx context.Context, tenant, id string, priority int) error {
	res, err := s.execTx(ctx, s.q(`UPDATE conversations SET priority = ? WHERE tenant = ? AND id = ? AND status = 'queued'`), priority, tenant, id)
	if err != nil {
		return fmt.Errorf("store: set priority %q/%q: %w", tenant, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.Conversation(ctx, tenant, id); err != nil {
			return fmt.Errorf("store: set priority: %w", err)
		}
	}
	return nil
}

func (s *sqlStore) assign(ctx context.Context, tx *sql.Tx, tenant, id, agent string, now time.Time) (Conversation, error) {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = 'assigned', agent = ?, updated_at = ? WHERE tenant = ? AND id = ?`),
		agent, ms(now), tenant, id)
	if err != nil {
		return Conversation{}, err
	}
	return s.getConv(ctx, tx, tenant, id, false)
}

func (s *sqlStore) Claim(ctx context.Context, tenant, id, agent string, now time.Time) (Conversation, error) {
	if agent == "" {
		return Conversation{}, fmt.Errorf("store: claim: %w: no agent", ErrInvalid)
	}
	var c Conversation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = s.getConv(ctx, tx, tenant, id, true)
		if err != nil {
			return err
		}
		switch c.Status {
		case StatusClosed:
			return ErrClosed
		case StatusAssigned:
			if c.Agent != agent {
				return ErrTaken
			}
			return nil
		}
		c, err = s.assign(ctx, tx, tenant, id, agent, now)
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: claim %q/%q by %q: %w", tenant, id, agent, err)
	}
	return c, nil
}

func (s *sqlStore) ClaimNext(ctx context.Context, tenant, agent string, now time.Time) (Conversation, error) {
	if agent == "" {
		return Conversation{}, fmt.Errorf("store: claim next: %w: no agent", ErrInvalid)
	}
	var c Conversation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM conversations WHERE tenant = ? AND status = 'queued'
			ORDER BY priority DESC, queued_at ASC LIMIT 1`+s.d.skipLocked), tenant).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrEmpty
		}
		if err != nil {
			return err
		}
		c, err = s.assign(ctx, tx, tenant, id, agent, now)
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: claim next of %q by %q: %w", tenant, agent, err)
	}
	return c, nil
}

func (s *sqlStore) CloseConversation(ctx context.Context, tenant, id string, now time.Time) (Conversation, error) {
	var c Conversation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = s.getConv(ctx, tx, tenant, id, true); err != nil {
			return err
		}
		if c.Status == StatusClosed {
			return nil
		}
		if _, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = 'closed', updated_at = ? WHERE tenant = ? AND id = ?`),
			ms(now), tenant, id); err != nil {
			return err
		}
		c, err = s.getConv(ctx, tx, tenant, id, false)
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: close %q/%q: %w", tenant, id, err)
	}
	return c, nil
}

func (s *sqlStore) QueueDepth(ctx context.Context, tenant string) (int, error) {
	var n int
	var err error
	if tenant == "" {
		err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE status = 'queued'`).Scan(&n)
	} else {
		err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM conversations WHERE tenant = ? AND status = 'queued'`), tenant).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("store: queue depth %q: %w", tenant, err)
	}
	return n, nil
}

// ---- erasure ----

const erasureCols = `tenant, id, visitor, conversation_id, message_id, status, agent, requested_at, completed_at, conversations, messages`

func scanErasure(row interface{ Scan(...any) error }) (ErasureRequest, error) {
	var r ErasureRequest
	var status string
	var req, done int64
	err := row.Scan(&r.Tenant, &r.ID, &r.Visitor, &r.ConversationID, &r.MessageID, &status, &r.Agent, &req, &done, &r.Conversations, &r.Messages)
	r.Status, r.RequestedAt, r.CompletedAt = ErasureStatus(status), fromMS(req), fromMS(done)
	return r, err
}

func (s *sqlStore) getErasure(ctx context.Context, q querier, tenant, id string, lock bool) (ErasureRequest, error) {
	query := `SELECT ` + erasureCols + ` FROM erasures WHERE tenant = ? AND id = ?`
	if lock {
		query += s.d.forUpdate
	}
	r, err := scanErasure(q.QueryRowContext(ctx, s.q(query), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ErasureRequest{}, ErrNotFound
	}
	return r, err
}

func (s *sqlStore) RequestErasure(ctx context.Context, r ErasureRequest) (ErasureRequest, bool, error) {
	if r.Tenant == "" || r.Visitor == "" || !chat.ValidID(r.ID) {
		return ErasureRequest{}, false, fmt.Errorf("store: request erasure: %w: tenant, visitor and a valid id are required", ErrInvalid)
	}
	if r.RequestedAt.IsZero() {
		r.RequestedAt = time.Now()
	}
	r.Status, r.Agent, r.CompletedAt, r.Conversations, r.Messages = ErasureRequested, "", time.Time{}, 0, 0
	var got ErasureRequest
	var created bool
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		created = false
		// No conflict target: the primary key (same request again) and the
		// partial unique index (the visitor's open request) both make it a no-op.
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO erasures (`+erasureCols+`) VALUES (?, ?, ?, ?, ?, 'requested', '', ?, 0, 0, 0)
			ON CONFLICT DO NOTHING`), r.Tenant, r.ID, r.Visitor, r.ConversationID, r.MessageID, ms(r.RequestedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
		}
		got, err = s.getErasure(ctx, tx, r.Tenant, r.ID, false)
		if errors.Is(err, ErrNotFound) {
			got, err = scanErasure(tx.QueryRowContext(ctx, s.q(`SELECT `+erasureCols+` FROM erasures
				WHERE tenant = ? AND visitor = ? AND status = 'requested'`), r.Tenant, r.Visitor))
		}
		return err
	})
	if err != nil {
		return ErasureRequest{}, false, fmt.Errorf("store: request erasure %q/%q: %w", r.Tenant, r.ID, err)
	}
	return got, created, nil
}

func (s *sqlStore) Erasure(ctx context.Context, tenant, id string) (ErasureRequest, error) {
	r, err := s.getErasure(ctx, s.db, tenant, id, false)
	if err != nil {
		return ErasureRequest{}, fmt.Errorf("store: erasure %q/%q: %w", tenant, id, err)
	}
	return r, nil
}

func (s *sqlStore) OpenErasure(ctx context.Context, tenant, visitor string) (ErasureRequest, error) {
	r, err := scanErasure(s.db.QueryRowContext(ctx, s.q(`SELECT `+erasureCols+` FROM erasures
		WHERE tenant = ? AND visitor = ? AND status = 'requested'`), tenant, visitor))
	if errors.Is(err, sql.ErrNoRows) {
		return ErasureRequest{}, fmt.Errorf("store: open erasure of %q: %w", tenant, ErrNotFound)
	}
	if err != nil {
		return ErasureRequest{}, fmt.Errorf("store: open erasure of %q: %w", tenant, err)
	}
	return r, nil
}

func (s *sqlStore) Erasures(ctx context.Context, tenant string, status ErasureStatus, limit int) ([]ErasureRequest, error) {
	if limit <= 0 {
		limit = 200
	}
	var rows *sql.Rows
	var err error
	switch status {
	case "":
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT `+erasureCols+` FROM erasures WHERE tenant = ?
			ORDER BY requested_at DESC, id DESC LIMIT ?`), tenant, limit)
	case ErasureRequested, ErasureCompleted:
		rows, err = s.db.QueryContext(ctx, s.q(`SELECT `+erasureCols+` FROM erasures WHERE tenant = ? AND status = ?
			ORDER BY requested_at DESC, id DESC LIMIT ?`), tenant, string(status), limit)
	default:
		return nil, fmt.Errorf("store: erasures: %w: status %q", ErrInvalid, status)
	}
	if err != nil {
		return nil, fmt.Errorf("store: erasures of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanErasure)
	if err != nil {
		return nil, fmt.Errorf("store: erasures of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) Erase(ctx context.Context, tenant, id, agent, pseudonym string, now time.Time) (ErasureRequest, bool, error) {
	if agent == "" || pseudonym == "" {
		return ErasureRequest{}, false, fmt.Errorf("store: erase %q/%q: %w: agent and pseudonym are required", tenant, id, ErrInvalid)
	}
	var r ErasureRequest
	var done bool
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		done = false
		if r, err = s.getErasure(ctx, tx, tenant, id, true); err != nil || r.Status == ErasureCompleted {
			return err
		}
		// Lock the visitor's conversations (PostgreSQL) so that a message
		// stored meanwhile cannot escape the tombstones.
		if s.d.forUpdate != "" {
			if _, err := tx.ExecContext(ctx, s.q(`SELECT id FROM conversations WHERE tenant = ? AND visitor = ?`+s.d.forUpdate), tenant, r.Visitor); err != nil {
				return err
			}
		}
		// Everything beside the messages that holds the visitor's texts or
		// ids goes first, while the rows still name the visitor.
		if err := s.eraseBeside(ctx, tx, tenant, r.Visitor, pseudonym); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE messages SET text = ? WHERE tenant = ? AND text <> ?
			AND conversation_id IN (SELECT id FROM conversations WHERE tenant = ? AND visitor = ?)`),
			ErasedText, tenant, ErasedText, tenant, r.Visitor)
		if err != nil {
			return err
		}
		msgs, _ := res.RowsAffected()
		// Photos are personal data: they go with the texts.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM attachments WHERE tenant = ?
			AND conversation_id IN (SELECT id FROM conversations WHERE tenant = ? AND visitor = ?)`), tenant, tenant, r.Visitor); err != nil {
			return err
		}
		// The vault tokens go too: the edge deletes their values.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE messages SET pii = '' WHERE tenant = ? AND pii <> ''
			AND conversation_id IN (SELECT id FROM conversations WHERE tenant = ? AND visitor = ?)`), tenant, tenant, r.Visitor); err != nil {
			return err
		}
		// The shopper's channel identities go too: their routes (platform
		// user ids) and their links to the contact (issue 12).
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE messages SET route = '' WHERE tenant = ? AND route <> ''
			AND conversation_id IN (SELECT id FROM conversations WHERE tenant = ? AND visitor = ?)`), tenant, tenant, r.Visitor); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM contact_links WHERE tenant = ? AND (contact = ? OR identity = ?)`),
			tenant, r.Visitor, r.Visitor); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET visitor = ?, last_text = ?, page_context = '', status = 'closed', updated_at = ?
			WHERE tenant = ? AND visitor = ?`), pseudonym, ErasedText, ms(now), tenant, r.Visitor)
		if err != nil {
			return err
		}
		convs, _ := res.RowsAffected()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE erasures SET status = 'completed', visitor = ?, agent = ?, completed_at = ?,
			conversations = ?, messages = ? WHERE tenant = ? AND id = ?`), pseudonym, agent, ms(now), convs, msgs, tenant, id); err != nil {
			return err
		}
		done = true
		r, err = s.getErasure(ctx, tx, tenant, id, false)
		return err
	})
	if err != nil {
		return ErasureRequest{}, false, fmt.Errorf("store: erase %q/%q: %w", tenant, id, err)
	}
	if done && s.d.name == "sqlite" {
		// secure_delete zeroed the old texts in the database pages; the
		// WAL still holds earlier page images until it is checkpointed and
		// truncated. Best effort: a reader holding a snapshot delays it to
		// the next erasure or automatic checkpoint.
		_, _ = s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	return r, done, nil
}

// convsOf selects the ids of a visitor's conversations; its arguments are
// (tenant, visitor).
const convsOf = `(SELECT id FROM conversations WHERE tenant = ? AND visitor = ?)`

// erasedBeside are the statements that erase a visitor from the tables
// beside messages and conversations (the class of issue 8, item 5: every
// table a shopper's text or id reaches), each with its arguments given the
// tenant t, visitor v and pseudonym p. Numbers that hold no text (ratings,
// rollups, times) stay for the reports.
var erasedBeside = []struct {
	stmt string
	args func(t, v, p string) []any
}{
	// Questions kept for the knowledge gaps; rows from before misses knew
	// their conversation are matched by the messages' texts.
	{`DELETE FROM kb_misses WHERE tenant = ? AND (conversation_id IN ` + convsOf + `
		OR (conversation_id = '' AND text IN (SELECT text FROM messages WHERE tenant = ? AND conversation_id IN ` + convsOf + `)))`,
		func(t, v, p string) []any { return []any{t, t, v, t, t, v} }},
	{`DELETE FROM message_texts WHERE tenant = ? AND conversation_id IN ` + convsOf, byConvs},
	{`UPDATE notes SET text = ? WHERE tenant = ? AND conversation_id IN ` + convsOf, erasedByConvs},
	{`UPDATE tickets SET detail = ? WHERE tenant = ? AND conversation_id IN ` + convsOf, erasedByConvs},
	{`UPDATE alerts SET text = ? WHERE tenant = ? AND conversation_id IN ` + convsOf, erasedByConvs},
	{`DELETE FROM qa_scores WHERE tenant = ? AND conversation_id IN ` + convsOf, byConvs},
	{`UPDATE csat SET comment = '', visitor = ? WHERE tenant = ? AND conversation_id IN ` + convsOf, pseudonymByConvs},
	{`UPDATE proactive_notices SET text = ?, shopper = ? WHERE tenant = ? AND conversation_id IN ` + convsOf,
		func(t, v, p string) []any { return []any{ErasedText, p, t, t, v} }},
	{`UPDATE conv_stats SET visitor = ?, csat_comment = '' WHERE tenant = ? AND id IN ` + convsOf, pseudonymByConvs},
	{`UPDATE widget_hits SET visitor = ? WHERE tenant = ? AND visitor = ?`, func(t, v, p string) []any { return []any{p, t, v} }},
	// Webhook bodies name the conversation inside their JSON.
	{`DELETE FROM webhook_deliveries WHERE tenant = ? AND EXISTS (SELECT 1 FROM conversations c
		WHERE c.tenant = ? AND c.visitor = ? AND webhook_deliveries.body LIKE '%' || c.id || '%')`, byConvs},
}

func byConvs(t, v, _ string) []any          { return []any{t, t, v} }
func erasedByConvs(t, v, _ string) []any    { return []any{ErasedText, t, t, v} }
func pseudonymByConvs(t, v, p string) []any { return []any{p, t, t, v} }

// eraseBeside runs erasedBeside in tx.
func (s *sqlStore) eraseBeside(ctx context.Context, tx *sql.Tx, tenant, visitor, pseudonym string) error {
	for _, e := range erasedBeside {
		if _, err := tx.ExecContext(ctx, s.q(e.stmt), e.args(tenant, visitor, pseudonym)...); err != nil {
			return fmt.Errorf("%.40s…: %w", e.stmt, err)
		}
	}
	return nil
}

func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.d.name, err)
	}
	return nil
}

// schema is the DDL both databases accept, given the dialect's
// auto-increment column and floating-point type.
func schema(seqCol, float string) []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, sla_ms BIGINT NOT NULL DEFAULT 0)`,
		`CREATE TABLE IF NOT EXISTS agents (id TEXT NOT NULL, tenant TEXT NOT NULL, email TEXT NOT NULL, name TEXT NOT NULL,
			password_hash TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant, id), UNIQUE (tenant, email))`,
		`CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, tenant TEXT NOT NULL, agent_id TEXT NOT NULL, expires BIGINT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS conversations (tenant TEXT NOT NULL, id TEXT NOT NULL, visitor TEXT NOT NULL, channel TEXT NOT NULL,
			region TEXT NOT NULL, lang TEXT NOT NULL, status TEXT NOT NULL, priority INTEGER NOT NULL, anger ` + float + ` NOT NULL,
			vip INTEGER NOT NULL, agent TEXT NOT NULL, reason TEXT NOT NULL, last_text TEXT NOT NULL, bot_failures INTEGER NOT NULL,
			queued_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`,
		`CREATE INDEX IF NOT EXISTS conversations_queue ON conversations (tenant, status, priority DESC, queued_at)`,
		`CREATE INDEX IF NOT EXISTS conversations_visitor ON conversations (tenant, visitor, status)`,
		`CREATE TABLE IF NOT EXISTS messages (seq ` + seqCol + `, tenant TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL,
			role TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL, reply_to TEXT NOT NULL, author TEXT NOT NULL,
			lang TEXT NOT NULL, intent TEXT NOT NULL, anger ` + float + ` NOT NULL, at BIGINT NOT NULL, UNIQUE (tenant, id))`,
		`CREATE INDEX IF NOT EXISTS messages_conversation ON messages (tenant, conversation_id, seq)`,
		`CREATE TABLE IF NOT EXISTS erasures (tenant TEXT NOT NULL, id TEXT NOT NULL, visitor TEXT NOT NULL, conversation_id TEXT NOT NULL,
			message_id TEXT NOT NULL, status TEXT NOT NULL, agent TEXT NOT NULL, requested_at BIGINT NOT NULL, completed_at BIGINT NOT NULL,
			conversations INTEGER NOT NULL, messages INTEGER NOT NULL, PRIMARY KEY (tenant, id))`,
		// One open request per visitor, also across central replicas.
		`CREATE UNIQUE INDEX IF NOT EXISTS erasures_open ON erasures (tenant, visitor) WHERE status = 'requested'`,
		`CREATE INDEX IF NOT EXISTS erasures_list ON erasures (tenant, status, requested_at)`,
	}
}

// migrations change what schema created in an earlier version. Each runs
// once per database, in order, inside the transaction that records its
// version in schema_migrations (see migrate). Append only: never edit or
// reorder a released entry.
var migrations = []struct {
	version int
	stmt    string
}{
	// Message.PII: the vault tokens of the values masked in the text, JSON.
	{1, `ALTER TABLE messages ADD COLUMN pii TEXT NOT NULL DEFAULT ''`},
	// Issue 15 (analytics, store/analytics.go): one row of facts per conversation.
	{1500, `CREATE TABLE IF NOT EXISTS conv_stats (tenant TEXT NOT NULL, id TEXT NOT NULL, visitor TEXT NOT NULL, contact TEXT NOT NULL,
		channel TEXT NOT NULL, team TEXT NOT NULL, agents TEXT NOT NULL, tags TEXT NOT NULL, attrs TEXT NOT NULL, created_at BIGINT NOT NULL,
		handoff_at BIGINT NOT NULL, first_agent_at BIGINT NOT NULL, closed_at BIGINT NOT NULL, messages INTEGER NOT NULL,
		shopper_msgs INTEGER NOT NULL, bot_msgs INTEGER NOT NULL, agent_msgs INTEGER NOT NULL, frt_ms BIGINT NOT NULL,
		avg_resp_ms BIGINT NOT NULL, resolution_ms BIGINT NOT NULL, handle_ms BIGINT NOT NULL, handed_off INTEGER NOT NULL,
		deflected INTEGER NOT NULL, sla_breached INTEGER NOT NULL, max_anger DOUBLE PRECISION NOT NULL, csat INTEGER NOT NULL,
		csat_comment TEXT NOT NULL, intent TEXT NOT NULL, demo INTEGER NOT NULL, computed_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1501, `CREATE INDEX IF NOT EXISTS conv_stats_created ON conv_stats (tenant, created_at)`},
	{1502, `CREATE TABLE IF NOT EXISTS analytics_state (tenant TEXT PRIMARY KEY, watermark BIGINT NOT NULL)`},
	{1503, `CREATE INDEX IF NOT EXISTS conversations_updated ON conversations (tenant, updated_at)`},
	{1504, `CREATE TABLE IF NOT EXISTS merchant_events (tenant TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, contact TEXT NOT NULL,
		visitor TEXT NOT NULL, order_id TEXT NOT NULL, amount DOUBLE PRECISION NOT NULL, currency TEXT NOT NULL, at BIGINT NOT NULL,
		data TEXT NOT NULL, demo INTEGER NOT NULL, received_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1505, `CREATE INDEX IF NOT EXISTS merchant_events_at ON merchant_events (tenant, at)`},
	{1506, `CREATE TABLE IF NOT EXISTS widget_hits (tenant TEXT NOT NULL, visitor TEXT NOT NULL, conversation_id TEXT NOT NULL,
		faq_id TEXT NOT NULL, intent TEXT NOT NULL, lang TEXT NOT NULL, region TEXT NOT NULL, score DOUBLE PRECISION NOT NULL,
		at BIGINT NOT NULL, demo INTEGER NOT NULL, UNIQUE (tenant, visitor, at, faq_id, intent))`},
	{1507, `CREATE INDEX IF NOT EXISTS widget_hits_at ON widget_hits (tenant, at)`},
	// Issue 9 (900–999): administration — tenants' identity secrets,
	// agents' roles, sites, API keys, tenant settings, the audit log.
	{900, `ALTER TABLE tenants ADD COLUMN identity_secret TEXT NOT NULL DEFAULT ''`},
	{901, `ALTER TABLE tenants ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0`},
	{902, `ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent'`},
	{903, `ALTER TABLE agents ADD COLUMN lang TEXT NOT NULL DEFAULT ''`},
	{904, `ALTER TABLE agents ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0`},
	{905, `ALTER TABLE agents ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0`},
	{906, `CREATE TABLE IF NOT EXISTS sites (site TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, origins TEXT NOT NULL,
		created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`},
	{907, `CREATE INDEX IF NOT EXISTS sites_tenant ON sites (tenant, site)`},
	{908, `CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, name TEXT NOT NULL, prefix TEXT NOT NULL,
		hash TEXT NOT NULL UNIQUE, scopes TEXT NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL)`},
	{909, `CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant, created_at)`},
	{910, `CREATE TABLE IF NOT EXISTS tenant_settings (tenant TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
		updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, name))`},
	{911, `CREATE TABLE IF NOT EXISTS audit_log (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, at BIGINT NOT NULL, actor TEXT NOT NULL,
		action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL)`},
	{912, `CREATE INDEX IF NOT EXISTS audit_log_tenant ON audit_log (tenant, at, id)`},
	// Issue 15: staff alerts outbox (store/alerts.go).
	{1508, `CREATE TABLE IF NOT EXISTS alerts (tenant TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL, message_id TEXT NOT NULL,
		kind TEXT NOT NULL, words TEXT NOT NULL, anger DOUBLE PRECISION NOT NULL, text TEXT NOT NULL, link TEXT NOT NULL,
		message_at BIGINT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1509, `CREATE INDEX IF NOT EXISTS alerts_conversation ON alerts (tenant, conversation_id, created_at)`},
	{1510, `CREATE TABLE IF NOT EXISTS alert_deliveries (tenant TEXT NOT NULL, alert_id TEXT NOT NULL, adapter TEXT NOT NULL,
		status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at BIGINT NOT NULL, last_error TEXT NOT NULL, sent_at BIGINT NOT NULL,
		latency_ms BIGINT NOT NULL, lease_until BIGINT NOT NULL, PRIMARY KEY (tenant, alert_id, adapter))`},
	{1511, `CREATE INDEX IF NOT EXISTS alert_deliveries_due ON alert_deliveries (status, next_at)`},
	// Issue 15: QA scores and reviews (store/qa.go).
	{1512, `CREATE TABLE IF NOT EXISTS qa_scores (tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, agent TEXT NOT NULL,
		score DOUBLE PRECISION NOT NULL, pass INTEGER NOT NULL, items TEXT NOT NULL, created_at BIGINT NOT NULL, scored_at BIGINT NOT NULL,
		demo INTEGER NOT NULL, PRIMARY KEY (tenant, conversation_id))`},
	{1513, `CREATE INDEX IF NOT EXISTS qa_scores_created ON qa_scores (tenant, created_at)`},
	{1514, `CREATE TABLE IF NOT EXISTS qa_reviews (tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, reviewer TEXT NOT NULL,
		score DOUBLE PRECISION NOT NULL, pass INTEGER NOT NULL, items TEXT NOT NULL, comment TEXT NOT NULL, at BIGINT NOT NULL,
		PRIMARY KEY (tenant, conversation_id, reviewer))`},
	// Issue 15: conversions look orders up by visitor and contact.
	{1515, `CREATE INDEX IF NOT EXISTS merchant_events_visitor ON merchant_events (tenant, visitor, at)`},
	{1516, `CREATE INDEX IF NOT EXISTS merchant_events_contact ON merchant_events (tenant, contact, at)`},
	// Platform channels (issue 12): store/channels.go.
	{1200, channelSchema()[0]},
	{1201, channelSchema()[1]},
	// Issue 10: the workspace and the human queue (store/workspace.go).
	{1000, `ALTER TABLE conversations ADD COLUMN team TEXT NOT NULL DEFAULT ''`},
	{1001, `ALTER TABLE conversations ADD COLUMN tags TEXT NOT NULL DEFAULT ''`},
	{1002, `ALTER TABLE conversations ADD COLUMN assigned_at BIGINT NOT NULL DEFAULT 0`},
	{1003, `ALTER TABLE conversations ADD COLUMN first_response_at BIGINT NOT NULL DEFAULT 0`},
	{1004, `ALTER TABLE conversations ADD COLUMN closed_at BIGINT NOT NULL DEFAULT 0`},
	{1005, `CREATE TABLE IF NOT EXISTS agent_state (tenant TEXT NOT NULL, agent TEXT NOT NULL, lang TEXT NOT NULL, capacity INTEGER NOT NULL,
		teams TEXT NOT NULL, status TEXT NOT NULL, seen BIGINT NOT NULL, active BIGINT NOT NULL, PRIMARY KEY (tenant, agent))`},
	{1006, `CREATE TABLE IF NOT EXISTS message_texts (tenant TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL,
		translation TEXT NOT NULL, original TEXT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1007, `CREATE INDEX IF NOT EXISTS message_texts_conversation ON message_texts (tenant, conversation_id)`},
	{1008, `CREATE TABLE IF NOT EXISTS notes (tenant TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL, author TEXT NOT NULL,
		text TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1009, `CREATE INDEX IF NOT EXISTS notes_conversation ON notes (tenant, conversation_id, at)`},
	{1010, `CREATE TABLE IF NOT EXISTS csat (tenant TEXT NOT NULL, conversation_id TEXT NOT NULL, visitor TEXT NOT NULL, rating INTEGER NOT NULL,
		comment TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (tenant, conversation_id))`},
	{1011, `CREATE INDEX IF NOT EXISTS csat_visitor ON csat (tenant, visitor, at)`},
	{1012, `CREATE TABLE IF NOT EXISTS tickets (tenant TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL, kind TEXT NOT NULL,
		status TEXT NOT NULL, detail TEXT NOT NULL, created_at BIGINT NOT NULL, due_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1013, `CREATE TABLE IF NOT EXISTS teams (tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, skills TEXT NOT NULL,
		hours TEXT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1014, `CREATE TABLE IF NOT EXISTS routing_rules (tenant TEXT PRIMARY KEY, rules TEXT NOT NULL)`},
	{1015, `CREATE TABLE IF NOT EXISTS canned (tenant TEXT NOT NULL, shortcut TEXT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (tenant, shortcut))`},
	{1016, `CREATE INDEX IF NOT EXISTS conversations_assigned ON conversations (tenant, status, agent)`},
	{1017, `ALTER TABLE conversations ADD COLUMN page_context TEXT NOT NULL DEFAULT ''`},
	// Skills a conversation needs (",lang:de,topic:refund,") and an agent has (store/queue.go).
	{1018, `ALTER TABLE conversations ADD COLUMN skills TEXT NOT NULL DEFAULT ''`},
	{1019, `ALTER TABLE agent_state ADD COLUMN skills TEXT NOT NULL DEFAULT ''`},
	// Ranking the queue in the database reads only this index (covering on SQLite).
	{1020, `CREATE INDEX IF NOT EXISTS conversations_rank ON conversations (tenant, status, queued_at, vip, anger, team, skills, id)`},
	// The text the shopper was shown when an edge plugin changed a reply (store/shown.go).
	{1021, `ALTER TABLE message_texts ADD COLUMN shown TEXT NOT NULL DEFAULT ''`},
	// Issue 9: webhooks and their outbox (store/webhooks.go); contacts (store/contacts.go).
	{913, `CREATE TABLE IF NOT EXISTS webhooks (id TEXT NOT NULL, tenant TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL,
		secret TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{914, `CREATE TABLE IF NOT EXISTS webhook_deliveries (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, webhook_id TEXT NOT NULL,
		event TEXT NOT NULL, event_key TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
		next_at BIGINT NOT NULL, created_at BIGINT NOT NULL, delivered_at BIGINT NOT NULL, last_status INTEGER NOT NULL,
		last_error TEXT NOT NULL, latency_ms BIGINT NOT NULL, lease_until BIGINT NOT NULL, lease_owner TEXT NOT NULL,
		UNIQUE (webhook_id, event_key))`},
	{915, `CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_at)`},
	{916, `CREATE INDEX IF NOT EXISTS webhook_deliveries_log ON webhook_deliveries (tenant, webhook_id, created_at)`},
	// Issue 12: one customer across channels (store/contactlinks.go): each
	// message's channel, and where the shopper's messages came from (the
	// route replies go back by); channel identities linked to contacts.
	{1210, `ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT ''`},
	{1211, `ALTER TABLE messages ADD COLUMN channel_id TEXT NOT NULL DEFAULT ''`},
	{1212, `ALTER TABLE messages ADD COLUMN route TEXT NOT NULL DEFAULT ''`},
	{1213, `CREATE TABLE IF NOT EXISTS contact_links (tenant TEXT NOT NULL, identity TEXT NOT NULL, contact TEXT NOT NULL,
		created_at BIGINT NOT NULL, PRIMARY KEY (tenant, identity))`},
	{1214, `CREATE INDEX IF NOT EXISTS contact_links_contact ON contact_links (tenant, contact)`},
	// Issue 15: proactive rules and notices (store/proactive.go).
	{1520, `CREATE TABLE IF NOT EXISTS proactive_rules (tenant TEXT NOT NULL, id TEXT NOT NULL, spec TEXT NOT NULL, enabled INTEGER NOT NULL,
		last_run BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1521, `CREATE TABLE IF NOT EXISTS proactive_notices (tenant TEXT NOT NULL, id TEXT NOT NULL, rule TEXT NOT NULL, shopper TEXT NOT NULL,
		ref TEXT NOT NULL, arm TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, conversation_id TEXT NOT NULL, message_id TEXT NOT NULL,
		region TEXT NOT NULL, channel TEXT NOT NULL, text TEXT NOT NULL, created_at BIGINT NOT NULL, due_at BIGINT NOT NULL,
		sent_at BIGINT NOT NULL, opened_at BIGINT NOT NULL, demo INTEGER NOT NULL, PRIMARY KEY (tenant, id))`},
	{1522, `CREATE INDEX IF NOT EXISTS proactive_notices_shopper ON proactive_notices (tenant, shopper, created_at)`},
	{1523, `CREATE INDEX IF NOT EXISTS proactive_notices_created ON proactive_notices (tenant, created_at)`},
	{1524, `CREATE INDEX IF NOT EXISTS proactive_notices_due ON proactive_notices (state, due_at)`},
	{1525, `CREATE INDEX IF NOT EXISTS proactive_notices_message ON proactive_notices (tenant, message_id)`},
	// Issue 13: shoppers' photos (store/attachments.go). BYTEA is a blob in
	// both databases (SQLite keeps blobs as they are in any column).
	{1300, `CREATE TABLE IF NOT EXISTS attachments (tenant TEXT NOT NULL, id TEXT NOT NULL, conversation_id TEXT NOT NULL,
		message_id TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
		sha256 TEXT NOT NULL, data BYTEA NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))`},
	{1301, `CREATE INDEX IF NOT EXISTS attachments_conversation ON attachments (tenant, conversation_id, created_at)`},
}

// migrate applies the migrations the database lacks, in tx. Callers hold
// the database's write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the
// advisory lock), so replicas starting at once apply each migration once.
func (s *sqlStore) migrate(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	done := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	versions, err := collect(rows, func(r interface{ Scan(...any) error }) (int, error) {
		var v int
		return v, r.Scan(&v)
	})
	if err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	for _, v := range versions {
		done[v] = true
	}
	for _, m := range migrations {
		if done[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.stmt); err != nil {
			return fmt.Errorf("migration %d: %w", m.version, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), m.version, ms(time.Now())); err != nil {
			return fmt.Errorf("migration %d: %w", m.version, err)
		}
	}
	return s.rebuildPending(ctx, tx)
}

// collect scans every row with scan and closes rows. The result is never nil.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
