package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// WhatsApp is the WhatsApp Cloud API adapter (Meta webhooks):
//
//   - GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C → C when
//     T is the channel's verify token, else 403.
//   - POST with X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret,
//     body)>, checked before the body is parsed (else 401), JSON
//     {"object":"whatsapp_business_account","entry":[{"changes":[{"value":
//     {"messages":[{"from","id","timestamp","type","text":{"body"}}]}}]}]}.
//     Message ids (wamid…) identify retries.
//   - Replies: POST <api>/<phone-number-id>/messages with the access token.
type WhatsApp struct {
	Client *http.Client
}

// HeaderHubSignature is Meta's webhook signature header.
const HeaderHubSignature = "X-Hub-Signature-256"

type waPayload struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Messages []struct {
					From      string `json:"from"`
					ID        string `json:"id"`
					Timestamp string `json:"timestamp"`
					Type      string `json:"type"`
					Text      struct {
						Body string `json:"body"`
					} `json:"text"`
					Image struct {
						Caption string `json:"caption"`
					} `json:"image"`
				} `json:"messages"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

// Handle implements Adapter.
func (w *WhatsApp) Handle(cfg Config, r Request) (Result, error) {
	if r.Method == http.MethodGet {
		q := r.Query
		if q.Get("hub.mode") != "subscribe" || !equalString(q.Get("hub.verify_token"), cfg.VerifyToken) || q.Get("hub.challenge") == "" {
			return Result{}, refuse(http.StatusForbidden, "bad_signature", "hub.mode=subscribe with the channel's hub.verify_token and a hub.challenge are required")
		}
		return Result{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(q.Get("hub.challenge"))}, nil
	}
	if r.Method != http.MethodPost {
		return Result{}, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "GET or POST")
	}
	if !equalString("sha256="+hmacHex(cfg.AppSecret, r.Body), r.Header.Get(HeaderHubSignature)) {
		return Result{}, refuse(http.StatusUnauthorized, "bad_signature", "%s does not match the body and the app secret", HeaderHubSignature)
	}
	if mt := mediaType(r.Header); mt != "application/json" {
		return Result{}, refuse(http.StatusUnsupportedMediaType, "bad_content_type", "content type %q; Meta sends application/json", clip(mt))
	}
	msgs, err := parseWhatsApp(r.Body)
	if err != nil {
		return Result{}, err
	}
	if len(msgs) == 0 { // statuses (sent, delivered, read) and other fields
		return Result{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("ok")}, nil
	}
	return Result{Messages: msgs}, nil
}

// maxWhatsAppBatch bounds the messages taken from one webhook call.
const maxWhatsAppBatch = 100

func parseWhatsApp(b []byte) ([]Inbound, error) {
	if !utf8.Valid(b) {
		return nil, refuse(http.StatusBadRequest, "bad_encoding", "body is not valid UTF-8")
	}
	var p waPayload
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&p); err != nil {
		return nil, refuse(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if p.Object != "whatsapp_business_account" {
		return nil, refuse(http.StatusBadRequest, "bad_message", "object %q is not whatsapp_business_account", clip(p.Object))
	}
	var out []Inbound
	for _, e := range p.Entry {
		for _, c := range e.Changes {
			for _, m := range c.Value.Messages {
				if m.ID == "" || m.From == "" {
					return nil, refuse(http.StatusBadRequest, "bad_message", "a message without id or from")
				}
				text := m.Text.Body
				switch m.Type {
				case "text":
				case "image":
					text = "[image] " + m.Image.Caption
				default:
					text = "[" + m.Type + "]"
				}
				in := Inbound{PlatformID: m.ID, User: m.From, Text: text, Type: m.Type}
				if sec, err := strconv.ParseInt(m.Timestamp, 10, 64); err == nil && sec > 0 {
					in.At = time.Unix(sec, 0).UTC()
				}
				if len(out) == maxWhatsAppBatch {
					return nil, refuse(http.StatusRequestEntityTooLarge, "too_many_messages", "more than %d messages in one call", maxWhatsAppBatch)
				}
				out = append(out, in)
			}
		}
	}
	return out, nil
}

// Ack implements Adapter.
func (w *WhatsApp) Ack(Config, []Inbound) (int, string, []byte) {
	return http.StatusOK, "text/plain; charset=utf-8", []byte("ok")
}

// Send implements Adapter through the Cloud API messages endpoint.
func (w *WhatsApp) Send(ctx context.Context, cfg Config, out Outbound) error {
	body, _ := json.Marshal(map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual",
		"to": out.User, "type": "text", "text": map[string]any{"preview_url": false, "body": out.Text}})
	h := http.Header{}
	h.Set("Authorization", "Bearer "+cfg.AccessToken)
	return postJSON(ctx, w.Client, cfg.apiBase(WhatsAppAPIBase)+"/"+cfg.PhoneNumberID+"/messages", body, h, nil)
}
