package channels

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Douyin is the Douyin (抖音) enterprise-account private-message adapter,
// on the open platform's webhooks:
//
//   - every POST carries X-Douyin-Signature = hex SHA-1 of the client
//     secret followed by the body, checked before the body is parsed (else
//     401), and a Msg-Id header that stays the same across Douyin's three
//     retries;
//   - {"event":"verify_webhook","content":{"challenge":N}} is answered with
//     {"challenge":N} (the URL check when the webhook is saved);
//   - {"event":"im_receive_msg","from_user_id","to_user_id","content":…}
//     is a private message to the enterprise account (content is a JSON
//     string or object with message_type, text, server_message_id,
//     conversation_short_id, create_time);
//   - replies: POST <api>/im/send/msg/?open_id=<the account's open_id> with
//     the access-token header and {"to_user_id","conversation_id",
//     "msg_id","content":{"msg_type":1,"text":{"text"}}}.
//
// The platform user is "<conversation_short_id>|<from_user_id>", so that a
// reply names both.
type Douyin struct {
	Client *http.Client
}

// KindDouyin is the Douyin channel's kind; DouyinAPIBase its public API.
const (
	KindDouyin    = "douyin"
	DouyinAPIBase = "https://open.douyin.com"
)

// HeaderDouyinSignature is Douyin's webhook signature header.
const HeaderDouyinSignature = "X-Douyin-Signature"

// DouyinSignature is the X-Douyin-Signature of body (for stand-ins and tests).
func DouyinSignature(clientSecret string, body []byte) string {
	h := sha1.New()
	h.Write([]byte(clientSecret))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

type douyinEvent struct {
	Event      string          `json:"event"`
	ClientKey  string          `json:"client_key"`
	FromUserID string          `json:"from_user_id"`
	ToUserID   string          `json:"to_user_id"`
	Content    json.RawMessage `json:"content"`
}

type douyinMsg struct {
	MessageType         string `json:"message_type"`
	Text                string `json:"text"`
	ServerMessageID     string `json:"server_message_id"`
	ConversationShortID string `json:"conversation_short_id"`
	CreateTime          int64  `json:"create_time"`
	Challenge           int64  `json:"challenge"`
}

// Handle implements Adapter.
func (d *Douyin) Handle(cfg Config, r Request) (Result, error) {
	if r.Method != http.MethodPost {
		return Result{}, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "POST")
	}
	if !equalString(DouyinSignature(cfg.ClientSecret, r.Body), strings.ToLower(r.Header.Get(HeaderDouyinSignature))) {
		return Result{}, refuse(http.StatusUnauthorized, "bad_signature", "%s does not match the body and the client secret", HeaderDouyinSignature)
	}
	if mt := mediaType(r.Header); mt != "application/json" {
		return Result{}, refuse(http.StatusUnsupportedMediaType, "bad_content_type", "content type %q; Douyin sends application/json", clip(mt))
	}
	ev, m, err := parseDouyin(r.Body)
	if err != nil {
		return Result{}, err
	}
	switch ev.Event {
	case "verify_webhook":
		b, _ := json.Marshal(map[string]int64{"challenge": m.Challenge})
		return Result{Status: http.StatusOK, ContentType: "application/json", Body: b}, nil
	case "im_receive_msg":
	default: // other subscribed events: acknowledged
		return Result{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{}`)}, nil
	}
	if ev.FromUserID == "" || m.ConversationShortID == "" {
		return Result{}, refuse(http.StatusBadRequest, "bad_message", "im_receive_msg without from_user_id or conversation_short_id")
	}
	id := m.ServerMessageID
	if id == "" {
		id = r.Header.Get("Msg-Id")
	}
	if id == "" {
		return Result{}, refuse(http.StatusBadRequest, "bad_message", "no server_message_id or Msg-Id")
	}
	text := m.Text
	if m.MessageType != "" && m.MessageType != "text" {
		text = "[" + m.MessageType + "]"
	}
	if strings.TrimSpace(text) == "" {
		return Result{}, refuse(http.StatusBadRequest, "bad_message", "empty message")
	}
	in := Inbound{PlatformID: id, User: m.ConversationShortID + "|" + ev.FromUserID, Text: text, Type: m.MessageType}
	if m.CreateTime > 0 {
		sec := m.CreateTime
		if sec > 1e12 { // milliseconds
			sec /= 1000
		}
		in.At = time.Unix(sec, 0).UTC()
	}
	return Result{Messages: []Inbound{in}}, nil
}

func parseDouyin(b []byte) (douyinEvent, douyinMsg, error) {
	var ev douyinEvent
	var m douyinMsg
	if !utf8.Valid(b) {
		return ev, m, refuse(http.StatusBadRequest, "bad_encoding", "body is not valid UTF-8")
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&ev); err != nil {
		return ev, m, refuse(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if ev.Event == "" {
		return ev, m, refuse(http.StatusBadRequest, "bad_message", "no event")
	}
	c := ev.Content
	var s string
	if len(c) > 0 && c[0] == '"' { // content is a JSON string holding JSON
		if err := json.Unmarshal(c, &s); err != nil {
			return ev, m, refuse(http.StatusBadRequest, "bad_json", "content: %v", err)
		}
		c = []byte(s)
	}
	if len(c) > 0 {
		if err := json.Unmarshal(c, &m); err != nil {
			return ev, m, refuse(http.StatusBadRequest, "bad_json", "content: %v", err)
		}
	}
	return ev, m, nil
}

// Ack implements Adapter.
func (d *Douyin) Ack(Config, []Inbound) (int, string, []byte) {
	return http.StatusOK, "application/json", []byte(`{}`)
}

// Send implements Adapter.
func (d *Douyin) Send(ctx context.Context, cfg Config, out Outbound) error {
	conv, user, ok := strings.Cut(out.User, "|")
	if !ok || conv == "" || user == "" {
		return &sendError{"douyin user is not conversation|user"}
	}
	body, _ := json.Marshal(map[string]any{"to_user_id": user, "conversation_id": conv, "msg_id": out.ID,
		"content": map[string]any{"msg_type": 1, "text": map[string]string{"text": out.Text}}})
	h := http.Header{}
	h.Set("access-token", cfg.AccessToken)
	var rep struct {
		ErrNo  int    `json:"err_no"`
		ErrMsg string `json:"err_msg"`
	}
	if err := postJSON(ctx, d.Client, cfg.apiBase(DouyinAPIBase)+"/im/send/msg/?open_id="+url.QueryEscape(cfg.OpenID), body, h, &rep); err != nil {
		return err
	}
	if rep.ErrNo != 0 {
		return &sendError{"douyin: " + clip(rep.ErrMsg)}
	}
	return nil
}
