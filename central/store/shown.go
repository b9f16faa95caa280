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
	// SetShownAll records several reports, each as SetShown would, in one
	// write transaction; results[i] is what became of reports[i]. A
	// changed report's result holds the reply as stored, its Shown set,
	// so that the caller need not read it again.
	SetShownAll(ctx context.Context, reports []Shown) (results []ShownResult)
}

// Shown is one report: text is what the shopper was shown of reply ID.
type Shown struct {
	Tenant, ID, Text string
}

// ShownResult is what SetShownAll did with one report: Err as SetShown's
// error, Changed as its changed, and Message the reply (Shown set) when
// Changed.
type ShownResult struct {
	Changed bool
	Message chat.Message
	Err     error
}

// Shown reports arrive one per reply that an edge's outbound plugins
// changed, i.e. up to one per answered message (issue 14). Each used to
// be a read of the reply on a connection of its own, a write transaction
// of its own inside the group commit (with its SAVEPOINT and RELEASE),
// and a second read of the reply for the consoles' event. SetShownAll
// takes central's queued reports together: one function in the group
// commit, and each reply read once, inside the transaction, with the
// columns the event needs.

func (s *sqlStore) SetShown(ctx context.Context, tenant, id, text string) (bool, error) {
	r := s.SetShownAll(ctx, []Shown{{Tenant: tenant, ID: id, Text: text}})[0]
	return r.Changed, r.Err
}

func (s *sqlStore) SetShownAll(ctx context.Context, reports []Shown) []ShownResult {
	out := make([]ShownResult, len(reports))
	valid := make([]bool, len(reports))
	n := 0
	for i, r := range reports {
		if err := chat.ValidateText(r.Text, chat.MaxTextBytes); err != nil {
			out[i].Err = fmt.Errorf("store: shown text: %w: %w", ErrInvalid, err)
			continue
		}
		valid[i] = true
		n++
	}
	if n == 0 {
		return out
	}
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		// Without the caller's cancellation: no goroutine per read (stmtcache.go).
		ctx := context.WithoutCancel(ctx)
		for i, r := range reports { // all again if the group commit runs this again
			if !valid[i] {
				continue
			}
			res, err := s.setShown(ctx, tx, r)
			if err != nil {
				return fmt.Errorf("store: shown text %q/%q: %w", r.Tenant, r.ID, err)
			}
			out[i] = res
		}
		return nil
	})
	if err == nil {
		return out
	}
	// A statement or the commit failed, so nothing of these reports is
	// stored: a lone report gets the error; several run again one by one,
	// so that one report's failure stays its own.
	for i, r := range reports {
		switch {
		case !valid[i]:
		case n == 1:
			out[i] = ShownResult{Err: err}
		default:
			out[i] = s.SetShownAll(ctx, []Shown{r})[0]
		}
	}
	return out
}

// setShown records one report in tx. A report refused (no such reply, a
// shopper's message) is its result's Err; err is a failed statement.
func (s *sqlStore) setShown(ctx context.Context, tx *sql.Tx, r Shown) (ShownResult, error) {
	m, err := scanMsg(tx.QueryRowContext(ctx, s.q(`SELECT `+msgCols+` FROM messages WHERE tenant = ? AND id = ?`), r.Tenant, r.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return ShownResult{Err: fmt.Errorf("store: shown text %q/%q: %w", r.Tenant, r.ID, ErrNotFound)}, nil
	}
	if err != nil {
		return ShownResult{}, err
	}
	if m.Role == chat.RoleShopper {
		return ShownResult{Err: fmt.Errorf("store: shown text %q/%q: %w: a shopper's message", r.Tenant, r.ID, ErrInvalid)}, nil
	}
	text := r.Text
	if text == m.Text {
		text = ""
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO message_texts (tenant, id, conversation_id, translation, original, shown) VALUES (?, ?, ?, '', '', ?)
		ON CONFLICT (tenant, id) DO UPDATE SET shown = excluded.shown WHERE message_texts.shown <> excluded.shown`), r.Tenant, r.ID, m.ConversationID, text)
	if err != nil {
		return ShownResult{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 || text == "" {
		return ShownResult{}, nil
	}
	m.Shown = text
	return ShownResult{Changed: true, Message: m}, nil
}

var _ ShownStore = (*sqlStore)(nil)
