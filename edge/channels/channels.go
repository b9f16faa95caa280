// Package channels turns the webhooks of messaging platforms into Kefu
// messages and Kefu replies into the platforms' outbound calls.
//
// Each kind of channel (wechat, wecom, douyin, webhook, telegram, whatsapp, email) is an Adapter:
// Handle verifies a platform request (signature or token first, before
// anything of the body is parsed), answers the platform's handshakes
// (WeChat's echostr, WhatsApp's hub.challenge) and extracts the shopper
// messages; Send delivers one reply through the platform's API. Adapters
// do no I/O on the inbound side and keep no state: the edge (package edge,
// channel.go) looks the channel's Config up, rate-limits, builds the
// Envelope, runs the region's plugins and publishes it, and delivers the
// replies from the channel outbox stream (chat.StreamChannelOut).
//
// A platform's message id becomes the envelope's idempotency key through
// MessageID, so a platform retry is stored once and answered once.
//
// Every parser here reads untrusted input; each has a FuzzX test with its
// seed corpus in testdata/fuzz.
package channels

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Kinds of channel.
const (
	KindWeChat   = "wechat"
	KindWebhook  = "webhook"
	KindTelegram = "telegram"
	KindWhatsApp = "whatsapp"
	KindWeCom    = "wecom"
)

// Config is one channel of a tenant, as stored by central and made by
// `kefu admin channel add`. Which fields matter depends on Kind; Validate
// says which are required.
type Config struct {
	// ID is the channel's id; its endpoint is /channels/<Kind>/<ID>.
	ID     string `json:"channel"`
	Tenant string `json:"tenant"`
	Kind   string `json:"kind"`

	// Token is WeChat's server token (signature check).
	Token string `json:"token,omitempty"`
	// AppID is the WeChat Official Account's AppID.
	AppID string `json:"app_id,omitempty"`
	// AppSecret is the WeChat AppSecret (customer-service message API) or
	// the Meta app secret (WhatsApp X-Hub-Signature-256).
	AppSecret string `json:"app_secret,omitempty"`
	// AESKey is WeChat's EncodingAESKey (43 characters) for safe mode.
	AESKey string `json:"aes_key,omitempty"`
	// Secret signs the webhook channel both ways (HMAC-SHA256), and is
	// Telegram's secret_token header value.
	Secret string `json:"secret,omitempty"`
	// OutboundURL receives the webhook channel's replies.
	OutboundURL string `json:"outbound_url,omitempty"`
	// BotToken is the Telegram bot token.
	BotToken string `json:"bot_token,omitempty"`
	// VerifyToken is WhatsApp's hub.verify_token.
	VerifyToken string `json:"verify_token,omitempty"`
	// AccessToken is the WhatsApp Cloud API access token.
	AccessToken string `json:"access_token,omitempty"`
	// PhoneNumberID is the WhatsApp business phone number id replies are sent from.
	PhoneNumberID string `json:"phone_number_id,omitempty"`
	// CorpID is the WeCom corp id (the receiver id of its encryption).
	CorpID string `json:"corp_id,omitempty"`
	// CorpSecret is the secret of WeCom's 微信客服 application (access token).
	CorpSecret string `json:"corp_secret,omitempty"`
	// ClientSecret is the Douyin open-platform client secret (webhook signature).
	ClientSecret string `json:"client_secret,omitempty"`
	// OpenID is the Douyin enterprise account's open_id replies are sent as.
	OpenID string `json:"open_id,omitempty"`
	// Address is the e-mail channel's address (support@shop.example).
	Address string `json:"address,omitempty"`
	// APIBase overrides the platform's API base URL (tests use a local
	// stand-in). Default: the platform's public API.
	APIBase string `json:"api_base,omitempty"`
}

// Public API bases of the platforms.
const (
	WeChatAPIBase   = "https://api.weixin.qq.com"
	TelegramAPIBase = "https://api.telegram.org"
	WhatsAppAPIBase = "https://graph.facebook.com/v21.0"
)

// Validate checks that c has what its kind needs.
func (c Config) Validate() error {
	if c.Tenant == "" {
		return fmt.Errorf("%w: tenant is required", ErrConfig)
	}
	need := func(pairs ...string) error {
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i+1] == "" {
				return fmt.Errorf("%w: %s channel needs --%s", ErrConfig, c.Kind, pairs[i])
			}
		}
		return nil
	}
	switch c.Kind {
	case KindWeChat:
		if err := need("token", c.Token, "app-id", c.AppID); err != nil {
			return err
		}
		if c.AESKey != "" {
			if _, err := aesKey(c.AESKey); err != nil {
				return fmt.Errorf("%w: %w", ErrConfig, err)
			}
		}
	case KindWebhook:
		if err := need("outbound-url", c.OutboundURL, "secret", c.Secret); err != nil {
			return err
		}
		if u, err := url.Parse(c.OutboundURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: --outbound-url %q is not an http(s) URL", ErrConfig, c.OutboundURL)
		}
	case KindTelegram:
		if err := need("bot-token", c.BotToken, "secret", c.Secret); err != nil {
			return err
		}
		if !telegramSecretOK(c.Secret) {
			return fmt.Errorf("%w: --secret must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's secret_token)", ErrConfig)
		}
	case KindWhatsApp:
		if err := need("verify-token", c.VerifyToken, "app-secret", c.AppSecret, "access-token", c.AccessToken, "phone-number-id", c.PhoneNumberID); err != nil {
			return err
		}
	case KindDouyin:
		if err := need("client-secret", c.ClientSecret, "access-token", c.AccessToken, "open-id", c.OpenID); err != nil {
			return err
		}
	case KindEmail:
		if a, err := mail.ParseAddress(c.Address); err != nil || a.Address != c.Address {
			return fmt.Errorf("%w: email channel needs --address like support@shop.example", ErrConfig)
		}
	case KindWeCom:
		if err := need("token", c.Token, "aes-key", c.AESKey, "corp-id", c.CorpID, "corp-secret", c.CorpSecret); err != nil {
			return err
		}
		if _, err := aesKey(c.AESKey); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	default:
		return fmt.Errorf("%w: %q", ErrUnknownKind, c.Kind)
	}
	if c.APIBase != "" {
		if u, err := url.Parse(c.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: --api-base %q is not an http(s) URL", ErrConfig, c.APIBase)
		}
	}
	return nil
}

func (c Config) apiBase(def string) string {
	if c.APIBase != "" {
		return strings.TrimRight(c.APIBase, "/")
	}
	return def
}

// Sentinel errors.
var (
	ErrConfig      = errors.New("channels: bad channel configuration")
	ErrUnknownKind = errors.New("channels: unknown channel kind")
	ErrSend        = errors.New("channels: platform refused the message")
)

// Error is a refusal of an inbound request, with the HTTP status the
// platform expects for it and a reason for the log and the response body.
type Error struct {
	Status int
	Code   string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("channels: %s (%d): %s", e.Code, e.Status, e.Reason)
}

func refuse(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Request is one inbound platform request. Body is at most MaxBody bytes
// (the edge refuses longer ones before calling Handle).
type Request struct {
	Method string
	Query  url.Values
	Header http.Header
	Body   []byte
	// Now is the time of arrival (timestamp checks).
	Now time.Time
}

// MaxBody is the largest inbound request body any adapter accepts.
const MaxBody = 256 << 10

// Inbound is one shopper message taken from a platform request.
type Inbound struct {
	// PlatformID identifies the message on the platform (WeChat MsgId,
	// Telegram update_id…); MessageID derives the envelope id from it.
	PlatformID string
	// User is the shopper's id on the platform (openid, chat id, phone).
	User string
	// Text is what the shopper wrote, or a short description of what they
	// sent ("[image] URL", "[menu] KEY").
	Text string
	// Type is the platform's message type (text, image, event:subscribe…).
	Type string
	// At is when the platform says the message was sent; zero if unknown.
	At time.Time
	// Passive carries what a passive reply needs (WeChat: the account id).
	Passive PassiveInfo
	// Thread is what a later reply to this shopper needs to stay in their
	// thread (e-mail: Message-ID, References, Subject); the edge keeps the
	// last one per shopper and passes it back in Outbound.Thread.
	Thread []byte
}

// PassiveInfo is what an adapter needs to answer inside the HTTP response.
type PassiveInfo struct {
	// Account is the platform account the shopper wrote to (WeChat ToUserName).
	Account string
	// Encrypted asks for an encrypted passive reply (WeChat safe mode).
	Encrypted bool
}

// Result is what Handle made of a request: either a direct response (a
// handshake) or messages to accept, after which Ack is the response.
type Result struct {
	// Status, ContentType and Body are the response when Messages is empty.
	Status      int
	ContentType string
	Body        []byte
	// Messages are the shopper messages in the request.
	Messages []Inbound
	// Pull, when set, says the request was a notice: the messages are to
	// be read through the adapter's Puller.
	Pull *PullRequest
	// PassiveOK says the platform takes a reply in the HTTP response
	// (WeChat); the edge then waits briefly for the answer.
	PassiveOK bool
}

// Adapter speaks one platform's protocol. Implementations are stateless
// apart from caches and safe for concurrent use.
type Adapter interface {
	// Handle verifies and parses one inbound request.
	Handle(cfg Config, r Request) (Result, error)
	// Ack is the response to a request whose messages were accepted
	// (published), when no passive reply is sent.
	Ack(cfg Config, in []Inbound) (status int, contentType string, body []byte)
	// Send delivers one reply to user through the platform's API.
	Send(ctx context.Context, cfg Config, out Outbound) error
}

// Outbound is one reply to deliver.
type Outbound struct {
	// ID is the reply's message id (idempotency key for the platform where it takes one).
	ID string
	// User is the shopper's platform id (from the visitor id).
	User string
	Text string
	// ReplyTo is the id of the shopper message it answers, if any.
	ReplyTo string
	// ConversationID is the conversation at central.
	ConversationID string
	At             time.Time
	// Thread is the shopper's last Inbound.Thread, if any.
	Thread []byte
}

// Passive is implemented by adapters that can put a reply in the HTTP
// response of the shopper's message (WeChat).
type Passive interface {
	PassiveReply(cfg Config, in Inbound, text string, now time.Time) (contentType string, body []byte, err error)
}

// For returns the adapter of kind, or nil.
func For(kind string, client *http.Client) Adapter {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	switch kind {
	case KindWeChat:
		return &WeChat{Client: client, tokens: newTokenCache()}
	case KindWebhook:
		return &Webhook{Client: client}
	case KindTelegram:
		return &Telegram{Client: client}
	case KindWhatsApp:
		return &WhatsApp{Client: client}
	case KindEmail:
		return &Email{}
	case KindDouyin:
		return &Douyin{Client: client}
	case KindWeCom:
		return &WeCom{Client: client, tokens: newTokenCache()}
	}
	return nil
}

// Kinds lists the kinds For knows.
func Kinds() []string {
	return []string{KindWeChat, KindWeCom, KindWebhook, KindTelegram, KindWhatsApp, KindDouyin, KindEmail}
}

// MessageID makes the envelope message id of a platform message: the same
// channel and platform id always give the same id (a retry is a duplicate),
// different channels never collide.
func MessageID(channelID, platformID string) string {
	sum := sha256.Sum256([]byte(channelID + "\x00" + platformID))
	return "c" + strings.ToUpper(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

// hmacHex is hex(HMAC-SHA256(key, parts...)).
func hmacHex(key string, parts ...[]byte) string {
	m := hmac.New(sha256.New, []byte(key))
	for _, p := range parts {
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// equalString compares secrets in constant time.
func equalString(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// mediaType is the lower-case media type of a Content-Type header.
func mediaType(h http.Header) string {
	ct := h.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// clip shortens untrusted text for a log line or an error body.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Pseudonymous reports whether the platform user ids of kind are personal
// data (an e-mail address, a phone number) that must not leave the region:
// their envelopes carry Pseudonym instead, and the edge keeps the mapping.
func Pseudonymous(kind string) bool { return kind == KindEmail || kind == KindWhatsApp }

// Pseudonym is the stand-in for a personal platform user id in visitor ids:
// "p" and 32 hex characters of SHA-256 over the channel id and the user.
func Pseudonym(channelID, user string) string {
	sum := sha256.Sum256([]byte(channelID + "\x00" + user))
	return "p" + hex.EncodeToString(sum[:16])
}
