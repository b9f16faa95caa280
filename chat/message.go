package chat

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// ProtocolVersion is the version of the Envelope and of the WebSocket frames.
// A peer that receives a higher major version refuses it with ErrVersion.
const ProtocolVersion = 1

// MaxTextBytes is the default limit on a message's text (4 KiB of UTF-8).
const MaxTextBytes = 4 << 10

// Role says who wrote a message.
type Role string

// Roles of a message's author.
const (
	RoleShopper Role = "shopper"
	RoleBot     Role = "bot"
	RoleAgent   Role = "agent"
	RoleSystem  Role = "system"
)

// Source says where an answer was produced: in the browser (local), at the
// edge (a plugin answered) or at central (bot or agent).
type Source string

// Sources of a message.
const (
	SourceLocal   Source = "local"
	SourceEdge    Source = "edge"
	SourceCentral Source = "central"
)

// Channel names the way a shopper reached the merchant.
type Channel string

// Channels Kefu speaks.
const (
	ChannelWeb    Channel = "web"
	ChannelApp    Channel = "app"
	ChannelWeChat Channel = "wechat"
	ChannelWeCom  Channel = "wecom"
	ChannelDouyin Channel = "douyin"
	ChannelEmail  Channel = "email"
	ChannelAPI    Channel = "api"
)

// Sentinel errors callers branch on.
var (
	ErrEmptyText   = errors.New("chat: empty text")
	ErrTooLarge    = errors.New("chat: text over the size limit")
	ErrInvalidUTF8 = errors.New("chat: text is not valid UTF-8")
	ErrMissingID   = errors.New("chat: missing id")
	ErrBadID       = errors.New("chat: malformed id")
	ErrVersion     = errors.New("chat: unsupported protocol version")
	ErrNoTenant    = errors.New("chat: missing tenant")
)

// Message is one utterance in a conversation. It is a plain value: copy it
// freely.
type Message struct {
	// ID is the idempotency key, born with the message (see NewID).
	ID string `json:"id"`
	// ConversationID groups messages; one conversation spans channels.
	ConversationID string `json:"conversation_id,omitempty"`
	// Role is who wrote it.
	Role Role `json:"role"`
	// Text is the content, UTF-8, at most MaxTextBytes unless a limit says otherwise.
	Text string `json:"text"`
	// Source is where a reply was produced; empty for shopper messages.
	Source Source `json:"source,omitempty"`
	// ReplyTo is the id of the message this one answers, if any.
	ReplyTo string `json:"reply_to,omitempty"`
	// Author names an agent (login) or a plugin for non-shopper messages.
	Author string `json:"author,omitempty"`
	// Lang is the BCP-47 language detected or declared (zh, en, de…).
	Lang string `json:"lang,omitempty"`
	// Intent is the intent label predicted for shopper messages.
	Intent string `json:"intent,omitempty"`
	// IntentConfidence is the edge model's probability of Intent, in
	// [0,1], set by the edge when it checked the widget's hint with its
	// own model (edge/intentcheck); 0 when unknown. Plugins compare it
	// with their own threshold (plugins/ABI.md section 4).
	IntentConfidence float64 `json:"intent_confidence,omitempty"`
	// Anger is the anger score in [0,1] for shopper messages.
	Anger float64 `json:"anger,omitempty"`
	// At is when the message was born.
	At time.Time `json:"at"`
	// PII lists the values masked in Text ([PHONE], [EMAIL]…) that the edge
	// kept in its region's vault, in order of appearance. Central fills it
	// from the envelope label LabelPIITokens (whatever a client sent is
	// replaced) for the agents' REST API and console; shoppers never get it.
	PII []PIIToken `json:"pii,omitempty"`
	// QuickReplies are options a bot's clarifying question offers; the
	// widget shows them as buttons that send their text.
	QuickReplies []string `json:"quick_replies,omitempty"`
	// Card is a product card of a product-linked bot answer.
	Card *Card `json:"card,omitempty"`
	// Sources are the knowledge passages a bot answer cites.
	Sources []Citation `json:"sources,omitempty"`
	// Translation is the text in the reader's language when a translation
	// provider is set: a shopper message in the agent's language (REST and
	// console only).
	Translation *Text `json:"translation,omitempty"`
	// Original is what an agent wrote, in the agent's language, when Text
	// was translated into the shopper's language.
	Original *Text `json:"original,omitempty"`
	// Shown is what the shopper was shown instead of Text when the edge's
	// outbound plugins changed the reply (REST and console only).
	Shown string `json:"shown,omitempty"`
	// Channel is the channel the message came in by (shopper messages) or
	// was sent through (replies): web, app, wechat, email… (REST and
	// console; central sets it, whatever a client sent).
	Channel Channel `json:"channel,omitempty"`
	// ChannelID is the platform channel's id (kefu admin channel add) when
	// Channel is a platform's.
	ChannelID string `json:"channel_id,omitempty"`
	// Attachments are the files of the message (a shopper's photo). Data
	// is set only on the inbound stream; everywhere else they describe.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Validate checks a message against the limit maxBytes (MaxTextBytes when
// maxBytes <= 0). The error wraps one of the sentinels above.
func (m *Message) Validate(maxBytes int) error {
	if maxBytes <= 0 {
		maxBytes = MaxTextBytes
	}
	if m.ID == "" {
		return ErrMissingID
	}
	if !ValidID(m.ID) {
		return fmt.Errorf("%w: %q", ErrBadID, m.ID)
	}
	return ValidateText(m.Text, maxBytes)
}

// ValidateText checks one text against maxBytes.
func ValidateText(text string, maxBytes int) error {
	switch {
	case len(text) == 0:
		return ErrEmptyText
	case len(text) > maxBytes:
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(text), maxBytes)
	case !utf8.ValidString(text):
		return ErrInvalidUTF8
	}
	return nil
}
