package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// ContactLinkStore links channel identities (a WeChat shopper's
// chat.ChannelVisitor, an e-mail address's chat.EmailIdentity) to contacts
// (chat.ContactVisitor), and tells where a conversation's replies go.
type ContactLinkStore interface {
	// LinkIdentity links identity to contact; an identity linked to
	// another contact before is moved (the latest verified claim wins).
	// changed is false when the link was there already.
	LinkIdentity(ctx context.Context, tenant, identity, contact string, now time.Time) (changed bool, err error)
	// ContactOf returns the contact identity is linked to, or ErrNotFound.
	ContactOf(ctx context.Context, tenant, identity string) (string, error)
	// ContactIdentities lists the identities linked to contact, oldest first.
	ContactIdentities(ctx context.Context, tenant, contact string) ([]string, error)
	// LastRoute returns the channel, channel id and route of the latest
	// shopper message of a conversation (route "" is the widget or app
	// socket), or ErrNotFound when the shopper has not written.
	LastRoute(ctx context.Context, tenant, conversation string) (Route, error)
	// ConversationRoutes lists the distinct routes the shopper's messages
	// of a conversation came by, most recent first.
	ConversationRoutes(ctx context.Context, tenant, conversation string) ([]Route, error)
}

// Route is a way back to a shopper: a platform channel's visitor, or ""
// for the widget or app's WebSocket.
type Route struct {
	Channel   chat.Channel
	ChannelID string
	// Visitor is the chat.ChannelVisitor replies are sent to; "" for the socket.
	Visitor string
}

func (s *sqlStore) LinkIdentity(ctx context.Context, tenant, identity, contact string, now time.Time) (bool, error) {
	if tenant == "" || !chat.ValidLink(identity) || !chat.IsContactVisitor(contact) {
		return false, fmt.Errorf("store: link identity: %w: a tenant, a channel or e-mail identity and a contact are required", ErrInvalid)
	}
	res, err := s.execTx(ctx, s.q(`INSERT INTO contact_links (tenant, identity, contact, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant, identity) DO UPDATE SET contact = excluded.contact, created_at = excluded.created_at
		WHERE contact_links.contact <> excluded.contact`), tenant, identity, contact, ms(now))
	if err != nil {
		return false, fmt.Errorf("store: link identity: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s *sqlStore) ContactOf(ctx context.Context, tenant, identity string) (string, error) {
	var c string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT contact FROM contact_links WHERE tenant = ? AND identity = ?`), tenant, identity).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: contact of identity: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: contact of identity: %w", err)
	}
	return c, nil
}

func (s *sqlStore) ContactIdentities(ctx context.Context, tenant, contact string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT identity FROM contact_links WHERE tenant = ? AND contact = ?
		ORDER BY created_at, identity`), tenant, contact)
	if err != nil {
		return nil, fmt.Errorf("store: identities of contact: %w", err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var v string
		return v, r.Scan(&v)
	})
	if err != nil {
		return nil, fmt.Errorf("store: identities of contact: %w", err)
	}
	return out, nil
}

func (s *sqlStore) LastRoute(ctx context.Context, tenant, conversation string) (Route, error) {
	var r Route
	var ch string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT channel, channel_id, route FROM messages WHERE tenant = ? AND conversation_id = ?
		AND role = 'shopper' ORDER BY seq DESC LIMIT 1`), tenant, conversation).Scan(&ch, &r.ChannelID, &r.Visitor)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store: last route of %q: %w", conversation, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store: last route of %q: %w", conversation, err)
	}
	r.Channel = chat.Channel(ch)
	return r, nil
}

func (s *sqlStore) ConversationRoutes(ctx context.Context, tenant, conversation string) ([]Route, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT channel, channel_id, route, MAX(seq) AS last FROM messages
		WHERE tenant = ? AND conversation_id = ? AND role = 'shopper' GROUP BY channel, channel_id, route ORDER BY last DESC`),
		tenant, conversation)
	if err != nil {
		return nil, fmt.Errorf("store: routes of %q: %w", conversation, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Route, error) {
		var v Route
		var ch string
		var last int64
		err := r.Scan(&ch, &v.ChannelID, &v.Visitor, &last)
		v.Channel = chat.Channel(ch)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: routes of %q: %w", conversation, err)
	}
	return out, nil
}

// Interface guard.
var _ ContactLinkStore = (*sqlStore)(nil)
