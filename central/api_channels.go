package central

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Reply channels (issue 12): a conversation's replies go back through the
// channel the shopper last wrote on, or one the agent picks among the
// channels the shopper used in it and the channel identities linked to
// its contact (GET /v1/conversations/{id}/channels; the reply's "channel").

// ReplyChannelView is one way a reply can reach the shopper.
type ReplyChannelView struct {
	// Channel is the channel's kind: web (the widget or app socket),
	// wechat, email, telegram…
	Channel chat.Channel `json:"channel"`
	// ChannelID is the platform channel's id ("" for web).
	ChannelID string `json:"channel_id,omitempty"`
	// Last marks the channel of the shopper's latest message: the default.
	Last bool `json:"last,omitempty"`
}

// ReplyChannelsView answers GET /v1/conversations/{id}/channels.
type ReplyChannelsView struct {
	// Contact is the contact the conversation belongs to ("" when the
	// shopper is not a known contact).
	Contact  string             `json:"contact,omitempty"`
	Channels []ReplyChannelView `json:"channels"`
}

func (s *Service) registerChannels(auth fiber.Router) {
	auth.Get("/conversations/:id/channels", s.replyChannelsAPI)
}

func (s *Service) replyChannelsAPI(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	routes, err := s.replyRoutes(c.UserContext(), conv)
	if err != nil {
		return storeError(c, err)
	}
	v := ReplyChannelsView{Contact: s.contactOf(c.UserContext(), conv.Tenant, conv.Visitor), Channels: []ReplyChannelView{}}
	for i, r := range routes {
		v.Channels = append(v.Channels, ReplyChannelView{Channel: r.Channel, ChannelID: r.ChannelID, Last: i == 0})
	}
	return c.JSON(v)
}

// replyRoutes lists where a reply to conv can go, the default (the
// shopper's latest channel) first: the routes of the shopper's messages,
// the conversation's own channel visitor, the contact's linked channel
// identities, and the socket (web) for a widget or contact visitor.
func (s *Service) replyRoutes(ctx context.Context, conv store.Conversation) ([]store.Route, error) {
	routes, err := s.st.ConversationRoutes(ctx, conv.Tenant, conv.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := []store.Route{}
	add := func(r store.Route) {
		if r.Visitor == "" {
			r.ChannelID = ""
			if r.Channel == "" || chat.PlatformChannel(conv.Visitor) {
				if chat.PlatformChannel(conv.Visitor) {
					return // a channel's shopper has no socket
				}
				r.Channel = chat.ChannelWeb
			}
		}
		key := r.Visitor
		if key == "" {
			key = "socket"
		}
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, r)
	}
	for _, r := range routes {
		add(r)
	}
	var ids []string
	if chat.PlatformChannel(conv.Visitor) {
		ids = append(ids, conv.Visitor)
	} else if chat.IsContactVisitor(conv.Visitor) {
		if ids, err = s.st.ContactIdentities(ctx, conv.Tenant, conv.Visitor); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		chID, _, ok := chat.SplitChannelVisitor(id)
		if !ok || seen[id] {
			continue
		}
		ch, err := s.st.Channel(ctx, chID)
		if errors.Is(err, store.ErrNotFound) || err == nil && ch.Tenant != conv.Tenant {
			continue // a deleted channel
		}
		if err != nil {
			return nil, err
		}
		add(store.Route{Channel: chat.Channel(ch.Kind), ChannelID: chID, Visitor: id})
	}
	if !chat.PlatformChannel(conv.Visitor) {
		add(store.Route{Channel: conv.Channel})
	}
	return out, nil
}

// errNoSuchReplyChannel refuses a reply's channel the conversation cannot use.
var errNoSuchReplyChannel = errors.New("central: no such reply channel for this conversation")

// pickRoute chooses the route of an agent's reply: the shopper's latest
// channel, or want (a kind such as "wechat" or "web", or a channel id).
func (s *Service) pickRoute(ctx context.Context, conv store.Conversation, want string) (store.Route, error) {
	routes, err := s.replyRoutes(ctx, conv)
	if err != nil {
		return store.Route{}, err
	}
	want = strings.TrimSpace(want)
	if want == "" {
		if len(routes) == 0 {
			return store.Route{Channel: conv.Channel}, nil
		}
		return routes[0], nil
	}
	if i := slices.IndexFunc(routes, func(r store.Route) bool {
		return r.ChannelID == want || string(r.Channel) == want || want == "web" && r.Visitor == ""
	}); i >= 0 {
		return routes[i], nil
	}
	var names []string
	for _, r := range routes {
		if r.ChannelID != "" {
			names = append(names, r.ChannelID+" ("+string(r.Channel)+")")
		} else {
			names = append(names, string(r.Channel))
		}
	}
	return store.Route{}, errors.Join(errNoSuchReplyChannel, errors.New("choose one of: "+strings.Join(names, ", ")))
}
