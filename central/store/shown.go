package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kefu-io/kefu/chat"
)

// ShownStore keeps what a shopper was shown of a reply when an edge's
// outbound plugins changed its text (chat.ShownSubject), beside the
// reply's translations (MessageText.Shown).
type ShownStore interface {
	// SetShown records text as what the shopper was shown of reply id;
	// changed is false when that was known already (or text is the
	// reply's own, which clears it). A missing reply is ErrNotFound, a
	// shopper's message or a bad text ErrInvalid.
	SetShown(ctx context.Context, tenant, id, text string) (changed bool, err error)
}

func (s *sqlStore) SetShown(ctx context.Context, tenant, id, text string) (bool, error) {
	if err := chat.ValidateText(text, chat.MaxTextBytes); err != nil {
		return false, fmt.Errorf("store: shown text: %w: %w", ErrInvalid, err)
	}
	var conv, role, own string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT conversation_id, role, text FROM messages WHERE tenant = ? AND id = ?`), tenant, id).Scan(&conv, &role, &own)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: shown text %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("store: shown text %q/%q: %w", tenant, id, err)
	}
	if chat.Role(role) == chat.RoleShopper {
		return false, fmt.Errorf("store: shown text %q/%q: %w: a shopper's message", tenant, id, ErrInvalid)
	}
	if text == own {
		text = ""
	}
	res, err := s.execTx(ctx, s.q(`INSERT INTO message_texts (tenant, id, conversation_id, translation, original, shown) VALUES (?, ?, ?, '', '', ?)
		ON CONFLICT (tenant, id) DO UPDATE SET shown = excluded.shown WHERE message_texts.shown <> excluded.shown`), tenant, id, conv, text)
	if err != nil {
		return false, fmt.Errorf("store: shown text %q/%q: %w", tenant, id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0 && text != "", nil
}

var _ ShownStore = (*sqlStore)(nil)
