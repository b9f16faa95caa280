package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Webhook is a merchant's own channel, signed like Kefu's outbound
// webhooks:
//
//	POST /channels/webhook/<ID>
//	Content-Type: application/json
//	X-Kefu-Timestamp: 1767225600
//	X-Kefu-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
//	{"id": "order-42-msg-1", "user": "customer-17", "text": "Where is my parcel?"}
//
// id is the sender's message id (a retry with the same id is stored once);
// user is the sender's id for the shopper. A timestamp more than
// MaxSkew away from the edge's clock is refused (replays). The answer is
// 202 {"accepted": id, "message_id": <Kefu id>}.
//
// Replies are POSTed to the channel's outbound URL, signed the same way with
// the same secret:
//
//	{"id": <reply id>, "user": "customer-17", "text": "…", "reply_to": <Kefu id of the message>,
//	 "conversation_id": "…", "at": "2026-…Z"}
//
// A 2xx answer is a delivery; anything else is retried with backoff.
type Webhook struct {
	Client *http.Client
}

// Headers of the webhook channel.
const (
	HeaderTimestamp = "X-Kefu-Timestamp"
	HeaderSignature = "X-Kefu-Signature"
)

// MaxSkew is how far a webhook timestamp may be from the edge's clock.
const MaxSkew = 5 * time.Minute

// webhookIn is the inbound JSON.
type webhookIn struct {
	ID   string `json:"id"`
	User string `json:"user"`
	Text string `json:"text"`
}

// WebhookOut is the JSON the webhook channel POSTs for each reply.
type WebhookOut struct {
	ID             string    `json:"id"`
	User           string    `json:"user"`
	Text           string    `json:"text"`
	ReplyTo        string    `json:"reply_to,omitempty"`
	ConversationID string    `json:"conversation_id,omitempty"`
	At             time.Time `json:"at"`
}

// Sign returns the X-Kefu-Signature value of body sent at timestamp ts.
func Sign(secret, ts string, body []byte) string {
	return "sha256=" + hmacHex(secret, []byte(ts), []byte("."), body)
}

// VerifySignature checks a signed request the way the webhook channel does
// (the merchant's receiver of replies can use the same check).
func VerifySignature(secret, ts, sig string, body []byte, now time.Time) error {
	if ts == "" || sig == "" {
		return refuse(http.StatusUnauthorized, "bad_signature", "%s and %s are required", HeaderTimestamp, HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return refuse(http.StatusUnauthorized, "bad_signature", "%s is not Unix seconds", HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return refuse(http.StatusUnauthorized, "stale_timestamp", "%s is %s away from now (limit %s)", HeaderTimestamp, d.Round(time.Second), MaxSkew)
	}
	if !equalString(Sign(secret, ts, body), sig) {
		return refuse(http.StatusUnauthorized, "bad_signature", "signature does not match the body and the channel's secret")
	}
	return nil
}

// Handle implements Adapter.
func (w *Webhook) Handle(cfg Config, r Request) (Result, error) {
	if r.Method != http.MethodPost {
		return Result{}, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "POST a signed JSON message")
	}
	if err := VerifySignature(cfg.Secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), r.Body, r.Now); err != nil {
		return Result{}, err
	}
	if mt := mediaType(r.Header); mt != "application/json" {
		return Result{}, refuse(http.StatusUnsupportedMediaType, "bad_content_type", "content type %q; send application/json", clip(mt))
	}
	in, err := parseWebhook(r.Body)
	if err != nil {
		return Result{}, err
	}
	return Result{Messages: []Inbound{in}}, nil
}

func parseWebhook(b []byte) (Inbound, error) {
	if !utf8.Valid(b) {
		return Inbound{}, refuse(http.StatusBadRequest, "bad_encoding", "body is not valid UTF-8")
	}
	var m webhookIn
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return Inbound{}, refuse(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if d.More() {
		return Inbound{}, refuse(http.StatusBadRequest, "bad_json", "one JSON object per request")
	}
	switch {
	case m.ID == "" || len(m.ID) > 128:
		return Inbound{}, refuse(http.StatusBadRequest, "bad_message", "id is required (1-128 characters)")
	case m.User == "" || len(m.User) > 128 || strings.ContainsAny(m.User, "\x00\r\n"):
		return Inbound{}, refuse(http.StatusBadRequest, "bad_message", "user is required (1-128 characters, one line)")
	case strings.TrimSpace(m.Text) == "":
		return Inbound{}, refuse(http.StatusBadRequest, "bad_message", "text is required")
	}
	return Inbound{PlatformID: m.ID, User: m.User, Text: m.Text, Type: "text"}, nil
}

// Ack implements Adapter.
func (w *Webhook) Ack(cfg Config, in []Inbound) (int, string, []byte) {
	var b []byte
	if len(in) == 1 {
		b, _ = json.Marshal(map[string]string{"accepted": in[0].PlatformID, "message_id": MessageID(cfg.ID, in[0].PlatformID)})
	}
	return http.StatusAccepted, "application/json", b
}

// Send implements Adapter: a signed POST to the outbound URL.
func (w *Webhook) Send(ctx context.Context, cfg Config, out Outbound) error {
	body, _ := json.Marshal(WebhookOut{ID: out.ID, User: out.User, Text: out.Text, ReplyTo: out.ReplyTo,
		ConversationID: out.ConversationID, At: out.At})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(cfg.Secret, ts, body))
	return postJSON(ctx, w.Client, cfg.OutboundURL, body, h, nil)
}
