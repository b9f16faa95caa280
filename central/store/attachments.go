package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// AttachmentStore keeps the photos shoppers send, beside their messages.
// A photo is personal data: Erase deletes a visitor's photos with the
// texts of their messages.
type AttachmentStore interface {
	// PutAttachments stores the attachments (with Data) of message msgID
	// of conversation conv; an attachment whose id is already stored is
	// left as it is (a redelivery).
	PutAttachments(ctx context.Context, tenant, conv, msgID string, atts []chat.Attachment, now time.Time) error
	// Attachment returns one attachment with its Data, and the
	// conversation it belongs to, or ErrNotFound.
	Attachment(ctx context.Context, tenant, id string) (a chat.Attachment, conv string, err error)
	// ConversationAttachments returns the descriptions (no Data) of a
	// conversation's attachments by message id, in the order stored.
	ConversationAttachments(ctx context.Context, tenant, conv string) (map[string][]chat.Attachment, error)
}

func (s *sqlStore) PutAttachments(ctx context.Context, tenant, conv, msgID string, atts []chat.Attachment, now time.Time) error {
	if tenant == "" || conv == "" || msgID == "" {
		return fmt.Errorf("store: put attachments: %w: tenant, conversation and message are required", ErrInvalid)
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		for _, a := range atts {
			if !chat.ValidID(a.ID) || a.Type == "" || len(a.Data) == 0 || a.Size != len(a.Data) {
				return fmt.Errorf("store: attachment %q of %q: %w: id, type and data of the stated size are required", a.ID, msgID, ErrInvalid)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO attachments (tenant, id, conversation_id, message_id, type, size, width, height,
				sha256, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, id) DO NOTHING`),
				tenant, a.ID, conv, msgID, a.Type, a.Size, a.Width, a.Height, a.SHA256, a.Data, ms(now)); err != nil {
				return fmt.Errorf("store: attachment %q: %w", a.ID, err)
			}
		}
		return nil
	})
}

func (s *sqlStore) Attachment(ctx context.Context, tenant, id string) (chat.Attachment, string, error) {
	var a chat.Attachment
	var conv string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, conversation_id, type, size, width, height, sha256, data FROM attachments
		WHERE tenant = ? AND id = ?`), tenant, id).Scan(&a.ID, &conv, &a.Type, &a.Size, &a.Width, &a.Height, &a.SHA256, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return chat.Attachment{}, "", fmt.Errorf("store: attachment %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return chat.Attachment{}, "", fmt.Errorf("store: attachment %q: %w", id, err)
	}
	return a, conv, nil
}

func (s *sqlStore) ConversationAttachments(ctx context.Context, tenant, conv string) (map[string][]chat.Attachment, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT message_id, id, type, size, width, height, sha256 FROM attachments
		WHERE tenant = ? AND conversation_id = ? ORDER BY created_at, id`), tenant, conv)
	if err != nil {
		return nil, fmt.Errorf("store: attachments of %q: %w", conv, err)
	}
	defer rows.Close()
	out := map[string][]chat.Attachment{}
	for rows.Next() {
		var msg string
		var a chat.Attachment
		if err := rows.Scan(&msg, &a.ID, &a.Type, &a.Size, &a.Width, &a.Height, &a.SHA256); err != nil {
			return nil, fmt.Errorf("store: attachments of %q: %w", conv, err)
		}
		out[msg] = append(out[msg], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: attachments of %q: %w", conv, err)
	}
	return out, nil
}
