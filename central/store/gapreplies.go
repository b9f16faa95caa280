package store

import (
	"context"
	"fmt"
	"strings"
)

// GapReplyStore finds what agents answered to questions: the material of a
// gap's FAQ draft besides the nearest passages (central/gaps.go).
type GapReplyStore interface {
	// AgentReplies returns, for shopper messages of tenant whose text is
	// one of questions, the first agent message that followed each in its
	// conversation, newest question first, at most limit (0 = 20).
	AgentReplies(ctx context.Context, tenant string, questions []string, limit int) ([]AgentReply, error)
}

// AgentReply is an agent's answer to a shopper's question.
type AgentReply struct {
	Question string
	Reply    string
	Agent    string
	Lang     string
}

// maxReplyQuestions bounds the IN list of AgentReplies.
const maxReplyQuestions = 50

func (s *sqlStore) AgentReplies(ctx context.Context, tenant string, questions []string, limit int) ([]AgentReply, error) {
	if len(questions) == 0 {
		return nil, nil
	}
	if len(questions) > maxReplyQuestions {
		questions = questions[:maxReplyQuestions]
	}
	if limit <= 0 {
		limit = 20
	}
	args := make([]any, 0, len(questions)+2)
	args = append(args, tenant)
	for _, q := range questions {
		args = append(args, q)
	}
	args = append(args, limit)
	// The first agent message after each matching shopper message of the
	// same conversation (seq orders a conversation's messages).
	query := `SELECT q.text, a.text, a.author, a.lang FROM messages q JOIN messages a
		ON a.tenant = q.tenant AND a.conversation_id = q.conversation_id AND a.role = 'agent'
		AND a.seq = (SELECT MIN(n.seq) FROM messages n WHERE n.tenant = q.tenant AND n.conversation_id = q.conversation_id
			AND n.role = 'agent' AND n.seq > q.seq)
		WHERE q.tenant = ? AND q.role = 'shopper' AND q.text IN (?` + strings.Repeat(", ?", len(questions)-1) + `)
		ORDER BY q.seq DESC LIMIT ?`
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: agent replies of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (AgentReply, error) {
		var a AgentReply
		err := r.Scan(&a.Question, &a.Reply, &a.Agent, &a.Lang)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: agent replies of %q: %w", tenant, err)
	}
	return out, nil
}
