package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/router"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/photo"
)

// Shoppers' photos (docs/PROTOCOL.md §2.13). A photo arrives inside its
// message's envelope (chat.Attachment with Data); central checks and
// cleans it once more (internal/photo: an older edge or another client may
// have sent metadata), stores it beside the message (store.AttachmentStore)
// before the envelope is acknowledged, and from then on the message
// carries only the photo's description. Agents read the bytes through
//
//	GET /v1/conversations/:id/attachments/:aid   the photo (conversations:read)
//
// served as the image type it was checked to be, as a download-safe file:
// nosniff, a sandboxing Content-Security-Policy, never HTML.
//
// The hook for image-based product search: after a photo is stored,
// central publishes a chat.PhotoEvent on chat.PhotosSubject(tenant) (core
// NATS). A search service subscribes, fetches the photo with an API key and
// answers in the conversation (POST /v1/conversations/:id/messages). Until
// one answers, a photo goes to a human: the bot cannot read pictures.

// routePhoto is the handoff reason of a message with a photo.
const routePhoto router.Reason = "photo"

// errPhoto refuses an envelope whose photo is not one (terminal: the edge
// checks photos, so only a broken or hostile client gets here).
var errPhoto = errors.New("central: unusable photo")

// cleanPhotos checks and cleans the photos of env before anything is
// stored: an envelope with a photo that is not one is refused whole.
func cleanPhotos(env chat.Envelope) ([]chat.Attachment, error) {
	atts := make([]chat.Attachment, 0, len(env.Message.Attachments))
	for _, a := range env.Message.Attachments {
		clean, info, err := photo.Clean(a.Data, a.Type)
		if err != nil || !chat.ValidID(a.ID) {
			return nil, fmt.Errorf("%w: %w: attachment %q of %q: %v", store.ErrInvalid, errPhoto, a.ID, env.Message.ID, err)
		}
		a.Data, a.Size, a.Type, a.Width, a.Height = clean, len(clean), info.Type, info.Width, info.Height
		atts = append(atts, a)
	}
	return atts, nil
}

// keepPhotos stores the cleaned photos atts of env's message in
// conversation conv and returns their descriptions. A redelivered message
// stores nothing twice (the attachment id is the key); the hook fires on
// the first store.
func (s *Service) keepPhotos(ctx context.Context, env chat.Envelope, conv string, atts []chat.Attachment, stored bool) ([]chat.Attachment, error) {
	if err := s.st.PutAttachments(ctx, env.Tenant, conv, env.Message.ID, atts, time.Now()); err != nil {
		return nil, err
	}
	desc := make([]chat.Attachment, len(atts))
	for i, a := range atts {
		a.Data = nil
		desc[i] = a
		if stored {
			s.photoHook(env, conv, a)
		}
	}
	return desc, nil
}

// photoHook publishes a chat.PhotoEvent (best effort: core NATS).
func (s *Service) photoHook(env chat.Envelope, conv string, a chat.Attachment) {
	ev := chat.PhotoEvent{Tenant: env.Tenant, ConversationID: conv, MessageID: env.Message.ID, Visitor: env.Visitor,
		Lang: env.Message.Lang, Attachment: a, URL: "/v1/conversations/" + conv + "/attachments/" + a.ID, At: time.Now().UTC()}
	data, err := json.Marshal(ev)
	if err != nil {
		return
	}
	if err := s.nc.Publish(chat.PhotosSubject(env.Tenant), data); err != nil {
		s.log.Warn("photo hook: publish", "tenant", env.Tenant, "err", err)
	}
}

// withAttachments sets the descriptions of the photos on msgs (of conv).
func (s *Service) withAttachments(ctx context.Context, tenant, conv string, msgs []chat.Message) error {
	byMsg, err := s.st.ConversationAttachments(ctx, tenant, conv)
	if err != nil {
		return err
	}
	for i := range msgs {
		if a := byMsg[msgs[i].ID]; len(a) > 0 {
			msgs[i].Attachments = a
		}
	}
	return nil
}

func (s *Service) registerPhotos(auth fiber.Router) {
	auth.Get("/conversations/:id/attachments/:aid", s.getAttachment)
}

// getAttachment serves one photo of a conversation the caller may read.
func (s *Service) getAttachment(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	aid := c.Params("aid")
	if !chat.ValidID(aid) {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "malformed attachment id")
	}
	a, in, err := s.st.Attachment(c.UserContext(), conv.Tenant, aid)
	if err == nil && in != conv.ID {
		err = fmt.Errorf("attachment %q: %w", aid, store.ErrNotFound) // another conversation's
	}
	if err != nil {
		return storeError(c, err)
	}
	if !photo.Accepted(a.Type) {
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "no such photo")
	}
	c.Set(fiber.HeaderContentType, a.Type)
	c.Set(fiber.HeaderContentDisposition, `inline; filename="photo-`+a.ID+photoExt(a.Type)+`"`)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderETag, `"`+a.SHA256+`"`)
	return c.Send(a.Data)
}

func photoExt(t string) string {
	switch t {
	case photo.PNG:
		return ".png"
	case photo.WebP:
		return ".webp"
	}
	return ".jpg"
}
