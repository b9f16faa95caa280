package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/central/store"
)

// SubjectAuthVerify is the core NATS request/reply subject on which central
// answers "whose bearer token is this?" for the edges (docs/CONTRACTS.md):
// an edge route an agent calls with the token central's POST /v1/login
// issued (edge POST /v1/reveal) checks it here, so that tokens and agents
// stay in central.
const SubjectAuthVerify = "kefu.auth.verify"

// AuthVerifyRequest is the request on SubjectAuthVerify.
type AuthVerifyRequest struct {
	V     int    `json:"v"`
	Token string `json:"token"`
}

// AuthVerifyReply answers an AuthVerifyRequest: the agent the token belongs
// to, or Error (CodeUnauthorized for a missing, unknown or expired token,
// CodeBadRequest for a malformed request, CodeInternal) and nothing else.
type AuthVerifyReply struct {
	V      int    `json:"v"`
	Tenant string `json:"tenant,omitempty"`
	Agent  string `json:"agent,omitempty"` // agent id
	Email  string `json:"email,omitempty"` // the agent's login
	Error  string `json:"error,omitempty"`
}

// serveAuthVerify subscribes the SubjectAuthVerify responder (queue group
// ConsumerName, so one replica answers). Close unsubscribes it.
func (s *Service) serveAuthVerify() error {
	sub, err := s.nc.QueueSubscribe(SubjectAuthVerify, ConsumerName, s.onAuthVerify)
	if err != nil {
		return fmt.Errorf("central: subscribe %s: %w", SubjectAuthVerify, err)
	}
	s.subs = append(s.subs, sub)
	return nil
}

func (s *Service) onAuthVerify(m *nats.Msg) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	data, _ := json.Marshal(s.verifyToken(ctx, m.Data))
	if err := m.Respond(data); err != nil {
		s.log.Warn("auth verify reply", "err", err)
	}
}

// verifyToken answers one AuthVerifyRequest.
func (s *Service) verifyToken(ctx context.Context, data []byte) AuthVerifyReply {
	var req AuthVerifyRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return AuthVerifyReply{V: 1, Error: CodeBadRequest}
	}
	p, err := s.resolve(ctx, strings.TrimSpace(req.Token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return AuthVerifyReply{V: 1, Error: CodeUnauthorized}
	case err != nil:
		s.log.Error("auth verify", "err", err)
		return AuthVerifyReply{V: 1, Error: CodeInternal}
	}
	return AuthVerifyReply{V: 1, Tenant: p.agent.Tenant, Agent: p.agent.ID, Email: p.agent.Email}
}
