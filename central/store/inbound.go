package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// Storing a shopper message, and the bot's reply with it (issue 14).
//
// A message's transaction reads its conversation once (the visitor's open
// one, or the one it names), inserts the message (an id already stored
// conflicts: a redelivery, which changes nothing), asks the ReplyPlan for a
// reply and inserts it, and updates the conversation once, for both. It
// used to read the messages table for the id, then the open conversation's
// id, then its row, and to store the reply in a second transaction that
// read the row again and updated it again.

// openConvSQL finds a visitor's open conversation, the latest first (ties:
// the newer id, as latestConvSQL). "+updated_at": found through
// conversations_visitor (a visitor has few conversations), not by walking
// the tenant's conversations_updated index newest first until the
// visitor's turns up, which SQLite's planner chose without statistics
// (most of central's CPU per message with 10,000 shoppers).
const openConvSQL = `SELECT ` + convCols + ` FROM conversations WHERE tenant = ? AND visitor = ? AND status <> 'closed'
	ORDER BY +updated_at DESC, id DESC LIMIT 1`

func (s *sqlStore) SaveInbound(ctx context.Context, in Inbound) (Conversation, bool, bool, error) {
	r, err := s.SaveInboundReply(ctx, in, nil)
	return r.Conversation, r.Created, r.Stored, err
}

func (s *sqlStore) SaveInboundReply(ctx context.Context, in Inbound, plan ReplyPlan) (InboundSaved, error) {
	m := in.Message
	if in.Tenant == "" || in.Visitor == "" {
		return InboundSaved{}, fmt.Errorf("store: save inbound: %w: tenant and visitor are required", ErrInvalid)
	}
	if err := m.Validate(0); err != nil {
		return InboundSaved{}, fmt.Errorf("store: save inbound: %w: %w", ErrInvalid, err)
	}
	now := time.Now()
	if m.At.IsZero() {
		m.At = now
	}
	if m.Role == "" {
		m.Role = chat.RoleShopper
	}
	in.Message = m
	var out InboundSaved
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		// Without the caller's cancellation inside the transaction
		// (stmtcache.go): database/sql starts a goroutine per query whose
		// context can end, to close its rows when it does.
		out, err = s.saveInbound(context.WithoutCancel(ctx), tx, in, now, plan)
		return err
	})
	if err != nil {
		return InboundSaved{}, fmt.Errorf("store: save inbound %q/%q: %w", in.Tenant, m.ID, err)
	}
	return out, nil
}

// saveInbound is SaveInboundReply's transaction.
func (s *sqlStore) saveInbound(ctx context.Context, tx *sql.Tx, in Inbound, now time.Time, plan ReplyPlan) (InboundSaved, error) {
	m := in.Message
	c, found, err := s.inboundConv(ctx, tx, in)
	if err != nil {
		return InboundSaved{}, err
	}
	m.ConversationID = c.ID
	ok, err := s.insertMsgRoute(ctx, tx, in.Tenant, m, in.Route)
	if err != nil {
		return InboundSaved{}, err
	}
	if !ok { // a redelivery (or a race with the same id): stored already
		c, err := s.storedMsgConv(ctx, tx, in.Tenant, m.ID)
		return InboundSaved{Conversation: c}, err
	}
	created := false
	if !found {
		if c, created, err = s.insertConv(ctx, tx, in, c.ID, now); err != nil {
			return InboundSaved{}, err
		}
	}
	if c.Visitor != in.Visitor {
		return InboundSaved{}, fmt.Errorf("%w: conversation %q belongs to another visitor", ErrInvalid, c.ID)
	}
	after := inboundUpdate(c, in, now)
	var rep *Reply
	if plan != nil {
		if rep, after, err = s.plannedReply(ctx, tx, in.Tenant, after, plan); err != nil {
			return InboundSaved{}, err
		}
	}
	if err := s.updateConv(ctx, tx, c, after); err != nil {
		return InboundSaved{}, err
	}
	return InboundSaved{Conversation: after, Created: created, Stored: true, Reply: rep}, nil
}

// inboundConv reads (and on PostgreSQL locks) the conversation in's
// message goes to: the one it names, else the visitor's open one. found is
// false when there is none yet: c holds only the id to create it with.
func (s *sqlStore) inboundConv(ctx context.Context, tx *sql.Tx, in Inbound) (c Conversation, found bool, err error) {
	id := in.Message.ConversationID
	if id != "" {
		c, err = s.getConv(ctx, tx, in.Tenant, id, true)
		if errors.Is(err, ErrNotFound) {
			return Conversation{ID: id}, false, nil
		}
		return c, err == nil, err
	}
	c, err = scanConv(tx.QueryRowContext(ctx, s.q(openConvSQL+s.d.forUpdate), in.Tenant, in.Visitor))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{ID: chat.NewID()}, false, nil
	}
	if err != nil {
		return Conversation{}, false, fmt.Errorf("open conversation: %w", err)
	}
	return c, true, nil
}

// storedMsgConv returns the conversation of a message already stored.
func (s *sqlStore) storedMsgConv(ctx context.Context, tx *sql.Tx, tenant, id string) (Conversation, error) {
	var convID string
	err := tx.QueryRowContext(ctx, s.q(`SELECT conversation_id FROM messages WHERE tenant = ? AND id = ?`), tenant, id).Scan(&convID)
	if err != nil {
		return Conversation{}, fmt.Errorf("stored message %q: %w", id, err)
	}
	return s.getConv(ctx, tx, tenant, convID, false)
}

// insertConv creates conversation id for in's visitor; created is false
// when another transaction created it first (its row is then read).
func (s *sqlStore) insertConv(ctx context.Context, tx *sql.Tx, in Inbound, id string, now time.Time) (Conversation, bool, error) {
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO conversations (`+convCols+`)
		VALUES (?, ?, ?, ?, ?, ?, 'bot', 0, 0, 0, '', '', '', 0, 0, ?, ?) ON CONFLICT (tenant, id) DO NOTHING`),
		in.Tenant, id, in.Visitor, string(in.Channel), in.Region, in.Message.Lang, ms(now), ms(now))
	if err != nil {
		return Conversation{}, false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		c, err := s.getConv(ctx, tx, in.Tenant, id, true)
		return c, false, err
	}
	return Conversation{Tenant: in.Tenant, ID: id, Visitor: in.Visitor, Channel: in.Channel, Region: in.Region,
		Lang: in.Message.Lang, Status: StatusBot, CreatedAt: fromMS(ms(now)), UpdatedAt: fromMS(ms(now))}, true, nil
}

// inboundUpdate is conversation c once in's message is stored in it: a
// closed one reopened with the bot, the message's language, region,
// channel, anger, VIP flag and text.
func inboundUpdate(c Conversation, in Inbound, now time.Time) Conversation {
	m := in.Message
	if c.Status == StatusClosed {
		c.Status, c.Agent, c.Reason, c.BotFailures = StatusBot, "", "", 0
	}
	if m.Lang != "" {
		c.Lang = m.Lang
	}
	if in.Region != "" {
		c.Region = in.Region
	}
	if in.Channel != "" {
		c.Channel = in.Channel
	}
	c.Anger, c.VIP, c.LastText, c.UpdatedAt = m.Anger, c.VIP || in.VIP, m.Text, fromMS(ms(now))
	return c
}

// plannedReply stores the reply plan gives for conversation c, and returns
// it (nil: none, or its id was stored already) with c as it leaves it. A
// reply that is not a valid message is not stored here.
func (s *sqlStore) plannedReply(ctx context.Context, tx *sql.Tx, tenant string, c Conversation, plan ReplyPlan) (*Reply, Conversation, error) {
	rep := plan(c)
	if rep == nil {
		return nil, c, nil
	}
	r := *rep
	r.Message.ConversationID = c.ID
	if r.Message.At.IsZero() {
		r.Message.At = c.UpdatedAt
	}
	if r.Message.Validate(0) != nil {
		return nil, c, nil
	}
	if r.Miss != nil {
		miss := *r.Miss
		miss.ConversationID = c.ID
		if err := validMiss(&miss); err != nil {
			return nil, c, err
		}
		r.Miss = &miss
	}
	stored, fails, err := s.insertReply(ctx, tx, tenant, c, r.Message, r.BotFailed, r.Miss)
	if err != nil || !stored {
		return nil, c, err
	}
	c.BotFailures, c.LastText = fails, r.Message.Text
	return &r, c, nil
}

// updateConv writes the columns of conversation after that differ from
// before. Only those: a column set, even to its own value, makes SQLite
// rewrite every index holding it (status and agent are in four of the
// conversation's five indexes).
func (s *sqlStore) updateConv(ctx context.Context, tx *sql.Tx, before, after Conversation) error {
	// The values are boxed only for a column that changed (a value passed
	// to set as any is boxed whether or not it is used); room for every
	// column and the key up front.
	u := convUpdate{cols: make([]string, 0, 11), args: make([]any, 0, 13)}
	if after.Status != before.Status {
		u.add("status", string(after.Status))
	}
	if after.Agent != before.Agent {
		u.add("agent", after.Agent)
	}
	if after.Reason != before.Reason {
		u.add("reason", after.Reason)
	}
	if after.BotFailures != before.BotFailures {
		u.add("bot_failures", after.BotFailures)
	}
	if after.Lang != before.Lang {
		u.add("lang", after.Lang)
	}
	if after.Region != before.Region {
		u.add("region", after.Region)
	}
	if after.Channel != before.Channel {
		u.add("channel", string(after.Channel))
	}
	if after.Anger != before.Anger {
		u.add("anger", after.Anger)
	}
	if after.VIP != before.VIP {
		u.add("vip", b2i(after.VIP))
	}
	u.add("last_text", after.LastText)
	u.add("updated_at", ms(after.UpdatedAt))
	_, err := tx.ExecContext(ctx, s.q(u.sql()), append(u.args, before.Tenant, before.ID)...)
	return err
}

func (s *sqlStore) SaveReply(ctx context.Context, tenant string, m chat.Message, botFailed bool) (Conversation, bool, error) {
	return s.saveReply(ctx, tenant, m, botFailed, nil)
}

func (s *sqlStore) SaveReplyMiss(ctx context.Context, tenant string, m chat.Message, botFailed bool, miss Miss) (Conversation, bool, error) {
	if err := validMiss(&miss); err != nil {
		return Conversation{}, false, err
	}
	return s.saveReply(ctx, tenant, m, botFailed, &miss)
}

// saveReply is SaveReply, recording miss in its transaction when not nil.
func (s *sqlStore) saveReply(ctx context.Context, tenant string, m chat.Message, botFailed bool, miss *Miss) (Conversation, bool, error) {
	if err := m.Validate(0); err != nil {
		return Conversation{}, false, fmt.Errorf("store: save reply: %w: %w", ErrInvalid, err)
	}
	if m.ConversationID == "" {
		return Conversation{}, false, fmt.Errorf("store: save reply %q: %w: no conversation", m.ID, ErrInvalid)
	}
	now := time.Now()
	if m.At.IsZero() {
		m.At = now
	}
	var c Conversation
	var stored bool
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		ctx := context.WithoutCancel(ctx) // no goroutine per read (stmtcache.go)
		var err error
		c, err = s.getConv(ctx, tx, tenant, m.ConversationID, true)
		if err != nil {
			return err
		}
		var fails int
		stored, fails, err = s.insertReply(ctx, tx, tenant, c, m, botFailed, miss)
		if err != nil || !stored {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET bot_failures = ?, last_text = ?, updated_at = ? WHERE tenant = ? AND id = ?`),
			fails, m.Text, ms(now), tenant, c.ID)
		if err != nil {
			return err
		}
		c.BotFailures, c.LastText, c.UpdatedAt = fails, m.Text, fromMS(ms(now)) // as updated, not read again
		return nil
	})
	if err != nil {
		return Conversation{}, false, fmt.Errorf("store: save reply %q/%q: %w", tenant, m.ID, err)
	}
	return c, stored, nil
}

// insertReply inserts reply m into conversation c (as read in tx) with its
// citations and miss (when not nil), unless its id is stored already; it
// returns whether it did, and the conversation's bot failures after it (a
// bot's failed answer adds one, another bot answer resets them).
func (s *sqlStore) insertReply(ctx context.Context, tx *sql.Tx, tenant string, c Conversation, m chat.Message, botFailed bool, miss *Miss) (bool, int, error) {
	stored, err := s.insertMsg(ctx, tx, tenant, m)
	if err != nil || !stored {
		return false, c.BotFailures, err
	}
	if err := s.putCitations(ctx, tx, tenant, c.ID, m.ID, m.Sources); err != nil {
		return false, 0, fmt.Errorf("citations: %w", err)
	}
	if miss != nil {
		if _, err := tx.ExecContext(ctx, s.q(insertMissSQL), missArgs(*miss)...); err != nil {
			return false, 0, fmt.Errorf("miss: %w", err)
		}
	}
	fails := c.BotFailures
	if m.Role == chat.RoleBot {
		if botFailed {
			fails++
		} else {
			fails = 0
		}
	}
	return true, fails, nil
}
