package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/kefu-io/kefu/chat"
)

// CitationStore keeps the knowledge passages a bot answer cited with the
// message (chat.Message.Sources), for the agents' view of the history.
type CitationStore interface {
	// PutCitations stores the citations of message id of conversation
	// conv; an empty list stores nothing. Storing again replaces them.
	PutCitations(ctx context.Context, tenant, conv, id string, sources []chat.Citation) error
	// ConversationCitations returns the citations of a conversation's
	// messages by message id.
	ConversationCitations(ctx context.Context, tenant, conv string) (map[string][]chat.Citation, error)
}

func (s *sqlStore) PutCitations(ctx context.Context, tenant, conv, id string, sources []chat.Citation) error {
	if len(sources) == 0 {
		return nil
	}
	if err := s.withTx(ctx, func(tx *sql.Tx) error { return s.putCitations(ctx, tx, tenant, conv, id, sources) }); err != nil {
		return fmt.Errorf("store: citations of %q: %w", id, err)
	}
	return nil
}

// putCitations writes a message's citations in tx (PutCitations, and
// SaveReply for a reply's Sources).
func (s *sqlStore) putCitations(ctx context.Context, tx *sql.Tx, tenant, conv, id string, sources []chat.Citation) error {
	if len(sources) == 0 {
		return nil
	}
	b, err := json.Marshal(sources)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO message_citations (tenant, conversation_id, message_id, sources) VALUES (?, ?, ?, ?)
		ON CONFLICT (tenant, message_id) DO UPDATE SET sources = excluded.sources`), tenant, conv, id, string(b))
	return err
}

func (s *sqlStore) ConversationCitations(ctx context.Context, tenant, conv string) (map[string][]chat.Citation, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT message_id, sources FROM message_citations WHERE tenant = ? AND conversation_id = ?`), tenant, conv)
	if err != nil {
		return nil, fmt.Errorf("store: citations of %q: %w", conv, err)
	}
	type row struct {
		id  string
		src []chat.Citation
	}
	list, err := collect(rows, func(r interface{ Scan(...any) error }) (row, error) {
		var x row
		var js string
		if err := r.Scan(&x.id, &js); err != nil {
			return x, err
		}
		return x, json.Unmarshal([]byte(js), &x.src)
	})
	if err != nil {
		return nil, fmt.Errorf("store: citations of %q: %w", conv, err)
	}
	out := make(map[string][]chat.Citation, len(list))
	for _, x := range list {
		out[x.id] = x.src
	}
	return out, nil
}
