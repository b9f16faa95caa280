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
	"github.com/kefu-io/kefu/chat"
)

// SubjectAuthVerify is chat.SubjectAuthVerify, where central answers
// "whose bearer token is this?" for the edges.
const SubjectAuthVerify = chat.SubjectAuthVerify

// AuthVerifyRequest is the request on SubjectAuthVerify (chat's type).
type AuthVerifyRequest = chat.AuthVerifyRequest

// AuthVerifyReply answers an AuthVerifyRequest (chat's type); Error is
// CodeUnauthorized, CodeBadRequest or CodeInternal.
type AuthVerifyReply = chat.AuthVerifyReply

// serveAuthVerify subscribes the SubjectAuthVerify responder (queue group
// ConsumerName, so one replica answers). Close unsubscribes it.
func (s *Service) serveAuthVerify() error {
	sub, err := s.nc.QueueSubscribe(SubjectAuthVerify, chat.ConsumerCentral, s.onAuthVerify)
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
		return AuthVerifyReply{V: chat.AuthVerifyVersion, Error: CodeBadRequest}
	}
	p, err := s.resolve(ctx, strings.TrimSpace(req.Token))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return AuthVerifyReply{V: chat.AuthVerifyVersion, Error: CodeUnauthorized}
	case err != nil:
		s.log.Error("auth verify", "err", err)
		return AuthVerifyReply{V: chat.AuthVerifyVersion, Error: CodeInternal}
	}
	return AuthVerifyReply{V: chat.AuthVerifyVersion, Tenant: p.agent.Tenant, Agent: p.agent.ID, Email: p.agent.Email}
}
