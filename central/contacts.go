package central

import (
	"context"
	"errors"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Contacts: a shopper verified at the edge (identify(), the hello frame's
// identity) has the visitor id chat.ContactVisitor(tenant, id) on every
// device. A new device asks for the contact's latest conversation
// (latestOfContact) and continues it; the first message of a browser that
// was anonymous before carries chat.LabelMergeVisitor, and that visitor's
// conversations become the contact's (mergeVisitor), every message kept.

// contactOf returns the contact a visitor is ("" when anonymous): the
// visitor id itself for a verified shopper.
func (s *Service) contactOf(_ context.Context, _, visitor string) string {
	if chat.IsContactVisitor(visitor) {
		return visitor
	}
	return ""
}

func (s *Service) latestOfContact(req chat.HistoryRequest, reply func(chat.HistoryReply)) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := s.st.LatestConversation(ctx, req.Tenant, req.Visitor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		reply(chat.HistoryReply{Error: "no conversation yet", Code: chat.HistoryRefused})
	case err != nil:
		s.log.Warn("history: latest of contact", "err", err)
		reply(chat.HistoryReply{Error: "unavailable", Code: chat.HistoryUnavailable})
	default:
		reply(chat.HistoryReply{ConversationID: c.ID})
	}
}

// mergeVisitor moves the conversations of the anonymous visitor named by
// the envelope's merge label to its verified contact (idempotent: a
// redelivery finds nothing left to move).
func (s *Service) mergeVisitor(ctx context.Context, env chat.Envelope) error {
	from := env.Label(chat.LabelMergeVisitor)
	if from == "" || !chat.IsContactVisitor(env.Visitor) || chat.IsContactVisitor(from) {
		return nil
	}
	n, err := s.st.MoveVisitor(ctx, env.Tenant, from, env.Visitor, time.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("contact: anonymous visitor merged", "tenant", env.Tenant, "conversations", n)
	}
	return nil
}
