package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ContactStore serves verified shoppers (contacts): their visitor id is
// the same on every device (chat.ContactVisitor), so their conversations
// are found by visitor; an anonymous visitor who identifies is merged.
type ContactStore interface {
	// LatestConversation returns the visitor's most recently active
	// conversation (any state) or ErrNotFound.
	LatestConversation(ctx context.Context, tenant, visitor string) (Conversation, error)
	// MoveVisitor gives every conversation of visitor from to visitor to,
	// keeping every message; it returns how many moved.
	MoveVisitor(ctx context.Context, tenant, from, to string, now time.Time) (int, error)
}

// latestConvSQL finds a visitor's latest conversation, in any state; of two
// active in the same millisecond (a merged anonymous conversation and the one
// its first signed-in message opens), the newer id (ULIDs sort by time).
const latestConvSQL = `SELECT ` + convCols + ` FROM conversations WHERE tenant = ? AND visitor = ?
	ORDER BY +updated_at DESC, id DESC LIMIT 1`

func (s *sqlStore) LatestConversation(ctx context.Context, tenant, visitor string) (Conversation, error) {
	// "+updated_at": through conversations_visitor, as in SaveInbound.
	c, err := scanConv(s.db.QueryRowContext(ctx, s.q(latestConvSQL), tenant, visitor))
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, fmt.Errorf("store: latest conversation of %q: %w", visitor, ErrNotFound)
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("store: latest conversation of %q: %w", visitor, err)
	}
	return c, nil
}

func (s *sqlStore) MoveVisitor(ctx context.Context, tenant, from, to string, now time.Time) (int, error) {
	if from == "" || to == "" || from == to {
		return 0, fmt.Errorf("store: move visitor: %w: two different visitors are required", ErrInvalid)
	}
	res, err := s.execTx(ctx, s.q(`UPDATE conversations SET visitor = ?, updated_at = ? WHERE tenant = ? AND visitor = ?`),
		to, ms(now), tenant, from)
	if err != nil {
		return 0, fmt.Errorf("store: move visitor %q: %w", from, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
