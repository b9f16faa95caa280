package central

import (
	"context"
	"errors"
	"strings"
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
	if err := s.linkContact(ctx, req.Tenant, req.Visitor, req.Links); err != nil {
		s.log.Warn("history: link contact", "err", err) // the messages' labels link again
	}
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

// One customer across channels (chat/contact.go): a verified contact's
// hello and messages carry the identities it claimed with a signature
// (chat.LabelContactLinks: channel visitors, e-mail identities); central
// links them to the contact and moves the conversations they had to it.
// A message from a linked channel identity, or an e-mail from a linked
// address, is then the contact's: its visitor becomes the contact, it
// joins the contact's open conversation, and its channel visitor is kept
// as the message's route (store.Inbound.Route), where replies go back.

// linkContact links each valid identity to contact and moves the
// conversations of the channel visitors among them to the contact
// (idempotent).
func (s *Service) linkContact(ctx context.Context, tenant, contact string, identities []string) error {
	if !chat.IsContactVisitor(contact) {
		return nil
	}
	for i, id := range identities {
		if i >= 2*chat.MaxIdentityChannels || !chat.ValidLink(id) {
			continue
		}
		switch c, err := s.st.ContactOf(ctx, tenant, id); {
		case err == nil && c == contact:
			continue // linked already (every message of the contact carries its links)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		// Move first, then link: a failure between the two is retried whole.
		n := 0
		if chat.PlatformChannel(id) {
			var err error
			if n, err = s.st.MoveVisitor(ctx, tenant, id, contact, time.Now()); err != nil {
				return err
			}
		}
		if _, err := s.st.LinkIdentity(ctx, tenant, id, contact, time.Now()); err != nil {
			return err
		}
		s.log.Info("contact: identity linked", "tenant", tenant, "conversations", n)
	}
	return nil
}

// resolveContact makes env the contact's when its visitor is a channel
// identity linked to one (or an e-mail from a verified address), and
// returns the route replies to it go back by: the channel visitor of a
// platform channel's message, "" for the widget.
func (s *Service) resolveContact(ctx context.Context, env *chat.Envelope) (route string, err error) {
	delete(env.Labels, chat.LabelReplyRoute) // only central sets it
	if chat.IsContactVisitor(env.Visitor) {
		return "", s.linkContact(ctx, env.Tenant, env.Visitor, strings.Fields(env.Label(chat.LabelContactLinks)))
	}
	if !chat.PlatformChannel(env.Visitor) {
		return "", nil
	}
	route = env.Visitor
	contact, err := s.st.ContactOf(ctx, env.Tenant, route)
	if errors.Is(err, store.ErrNotFound) {
		if key := env.Label(chat.LabelEmailIdentity); chat.IsEmailIdentity(key) {
			contact, err = s.st.ContactOf(ctx, env.Tenant, key)
			if err == nil {
				err = s.linkContact(ctx, env.Tenant, contact, []string{route})
			}
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return route, nil
	case err != nil:
		return "", err
	}
	env.Visitor = contact
	env.SetLabel(chat.LabelReplyRoute, route)
	return route, nil
}

// replyRoute is where a reply to in goes through a platform channel: the
// route central resolved, or the envelope's own channel visitor; "" when
// the reply goes to the widget or app's socket only.
func replyRoute(in chat.Envelope) string {
	if r := in.Label(chat.LabelReplyRoute); chat.PlatformChannel(r) {
		return r
	}
	if chat.PlatformChannel(in.Visitor) {
		return in.Visitor
	}
	return ""
}
