package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// QAStore keeps automatic QA scores of conversations and human reviewers'
// verdicts (package central/qa scores; central's /v1/qa routes serve them).
type QAStore interface {
	// PutQAScores inserts or replaces automatic scores.
	PutQAScores(ctx context.Context, scores ...QAScore) error
	// QAScores lists the scores of the tenant's conversations created in
	// [q.From, q.To) matching q (Agent), newest first, at most limit (0 = 500).
	QAScores(ctx context.Context, q StatsQuery, limit int) ([]QAScore, error)
	// QAScore returns one conversation's score or ErrNotFound.
	QAScore(ctx context.Context, tenant, conversation string) (QAScore, error)
	// PutQAReview records (or replaces) a reviewer's verdict.
	PutQAReview(ctx context.Context, r QAReview) error
	// QAReviews lists the tenant's reviews, newest first, at most limit (0 = 500).
	QAReviews(ctx context.Context, tenant string, limit int) ([]QAReview, error)
	// QASample returns up to n scored, unreviewed conversations created in
	// [from, to), for the reviewers' queue: the lowest scores and a random
	// share in turn (see central's qaQueue).
	QAUnreviewed(ctx context.Context, tenant string, from, to time.Time, limit int) ([]QAScore, error)
}

// QAScore is the automatic score of one conversation.
type QAScore struct {
	Tenant         string
	ConversationID string
	Agent          string
	Score          float64
	Pass           bool
	// Items is the scored rubric, JSON ([]qa.Item).
	Items     string
	CreatedAt time.Time
	ScoredAt  time.Time
	Demo      bool
	// PolicyRev is the knowledge policy the score was computed against
	// (central's QA: knowledge.Hub.PolicyRevision, "*" when no agent reply
	// states a policy quantity, "" when the tenant had no knowledge).
	PolicyRev string
}

// QAReview is a human reviewer's verdict on a conversation.
type QAReview struct {
	Tenant         string
	ConversationID string
	Reviewer       string
	Score          float64
	Pass           bool
	// Items is the reviewer's per-item scores, JSON object (may be "{}").
	Items   string
	Comment string
	At      time.Time
}

var _ QAStore = (*sqlStore)(nil)

const qaScoreCols = `tenant, conversation_id, agent, score, pass, items, created_at, scored_at, demo, policy_rev`

func init() {
	migrations = append(migrations, struct {
		version int
		stmt    string
	}{1551, `ALTER TABLE qa_scores ADD COLUMN policy_rev TEXT NOT NULL DEFAULT ''`})
}

func scanQAScore(row interface{ Scan(...any) error }) (QAScore, error) {
	var q QAScore
	var pass, demo int
	var created, scored int64
	err := row.Scan(&q.Tenant, &q.ConversationID, &q.Agent, &q.Score, &pass, &q.Items, &created, &scored, &demo, &q.PolicyRev)
	q.Pass, q.Demo, q.CreatedAt, q.ScoredAt = pass != 0, demo != 0, fromMS(created), fromMS(scored)
	return q, err
}

func (s *sqlStore) PutQAScores(ctx context.Context, scores ...QAScore) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		for _, q := range scores {
			if q.Tenant == "" || q.ConversationID == "" {
				return fmt.Errorf("%w: qa score needs tenant and conversation", ErrInvalid)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO qa_scores (`+qaScoreCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (tenant, conversation_id) DO UPDATE SET agent = excluded.agent, score = excluded.score, pass = excluded.pass,
				items = excluded.items, created_at = excluded.created_at, scored_at = excluded.scored_at, demo = excluded.demo,
				policy_rev = excluded.policy_rev`),
				q.Tenant, q.ConversationID, q.Agent, q.Score, b2i(q.Pass), q.Items, ms(q.CreatedAt), ms(q.ScoredAt), b2i(q.Demo), q.PolicyRev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: put qa scores: %w", err)
	}
	return nil
}

func (s *sqlStore) QAScores(ctx context.Context, q StatsQuery, limit int) ([]QAScore, error) {
	if limit <= 0 {
		limit = 500
	}
	query := `SELECT ` + qaScoreCols + ` FROM qa_scores WHERE tenant = ? AND created_at >= ? AND created_at < ?`
	args := []any{q.Tenant, ms(q.From), ms(q.To)}
	if q.Agent != "" {
		query += ` AND agent = ?`
		args = append(args, q.Agent)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY created_at DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: qa scores of %q: %w", q.Tenant, err)
	}
	out, err := collect(rows, scanQAScore)
	if err != nil {
		return nil, fmt.Errorf("store: qa scores of %q: %w", q.Tenant, err)
	}
	return out, nil
}

func (s *sqlStore) QAScore(ctx context.Context, tenant, conversation string) (QAScore, error) {
	q, err := scanQAScore(s.db.QueryRowContext(ctx, s.q(`SELECT `+qaScoreCols+` FROM qa_scores WHERE tenant = ? AND conversation_id = ?`), tenant, conversation))
	if errors.Is(err, sql.ErrNoRows) {
		return QAScore{}, fmt.Errorf("store: qa score %q/%q: %w", tenant, conversation, ErrNotFound)
	}
	if err != nil {
		return QAScore{}, fmt.Errorf("store: qa score %q/%q: %w", tenant, conversation, err)
	}
	return q, nil
}

func (s *sqlStore) PutQAReview(ctx context.Context, r QAReview) error {
	if r.Tenant == "" || r.ConversationID == "" || r.Reviewer == "" || r.Score < 0 || r.Score > 100 {
		return fmt.Errorf("store: put qa review: %w: tenant, conversation, reviewer and a score 0–100 are required", ErrInvalid)
	}
	if r.Items == "" {
		r.Items = "{}"
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO qa_reviews (tenant, conversation_id, reviewer, score, pass, items, comment, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, conversation_id, reviewer) DO UPDATE SET score = excluded.score,
		pass = excluded.pass, items = excluded.items, comment = excluded.comment, at = excluded.at`),
		r.Tenant, r.ConversationID, r.Reviewer, r.Score, b2i(r.Pass), r.Items, r.Comment, ms(r.At))
	if err != nil {
		return fmt.Errorf("store: put qa review: %w", err)
	}
	return nil
}

func (s *sqlStore) QAReviews(ctx context.Context, tenant string, limit int) ([]QAReview, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT tenant, conversation_id, reviewer, score, pass, items, comment, at FROM qa_reviews
		WHERE tenant = ? ORDER BY at DESC LIMIT ?`), tenant, limit)
	if err != nil {
		return nil, fmt.Errorf("store: qa reviews of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (QAReview, error) {
		var v QAReview
		var pass int
		var at int64
		err := r.Scan(&v.Tenant, &v.ConversationID, &v.Reviewer, &v.Score, &pass, &v.Items, &v.Comment, &at)
		v.Pass, v.At = pass != 0, fromMS(at)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: qa reviews of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) QAUnreviewed(ctx context.Context, tenant string, from, to time.Time, limit int) ([]QAScore, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+qaScoreCols+` FROM qa_scores q WHERE tenant = ? AND created_at >= ? AND created_at < ?
		AND NOT EXISTS (SELECT 1 FROM qa_reviews r WHERE r.tenant = q.tenant AND r.conversation_id = q.conversation_id)
		ORDER BY created_at DESC LIMIT ?`), tenant, ms(from), ms(to), limit)
	if err != nil {
		return nil, fmt.Errorf("store: unreviewed qa of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanQAScore)
	if err != nil {
		return nil, fmt.Errorf("store: unreviewed qa of %q: %w", tenant, err)
	}
	return out, nil
}
