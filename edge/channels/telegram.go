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

// Telegram is the Telegram Bot API adapter. The bot's webhook is set with
// setWebhook(url=<edge>/channels/telegram/<ID>, secret_token=<Secret>);
// Telegram then sends every Update as JSON with the header
// X-Telegram-Bot-Api-Secret-Token, checked before the body is read. A
// wrong or missing token gets 401 (Telegram retries non-2xx answers).
// Updates are identified by update_id. Replies go through sendMessage.
type Telegram struct {
	Client *http.Client
}

// HeaderTelegramSecret is the header Telegram sends the secret_token in.
const HeaderTelegramSecret = "X-Telegram-Bot-Api-Secret-Token"

func telegramSecretOK(s string) bool {
	if len(s) == 0 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

type telegramUpdate struct {
	UpdateID int64            `json:"update_id"`
	Message  *telegramMessage `json:"message"`
}

type telegramMessage struct {
	MessageID int64  `json:"message_id"`
	Date      int64  `json:"date"`
	Text      string `json:"text"`
	Caption   string `json:"caption"`
	Chat      struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	} `json:"chat"`
	Photo []json.RawMessage `json:"photo"`
}

// Handle implements Adapter.
func (t *Telegram) Handle(cfg Config, r Request) (Result, error) {
	if !equalString(r.Header.Get(HeaderTelegramSecret), cfg.Secret) {
		return Result{}, refuse(http.StatusUnauthorized, "bad_signature", "%s does not match", HeaderTelegramSecret)
	}
	if r.Method != http.MethodPost {
		return Result{}, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "POST")
	}
	if mt := mediaType(r.Header); mt != "application/json" {
		return Result{}, refuse(http.StatusUnsupportedMediaType, "bad_content_type", "content type %q; Telegram sends application/json", clip(mt))
	}
	in, ok, err := parseTelegram(r.Body)
	if err != nil {
		return Result{}, err
	}
	if !ok { // an update Kefu does not handle (edited message, channel post…)
		return Result{Status: http.StatusOK, ContentType: "application/json", Body: []byte(`{}`)}, nil
	}
	return Result{Messages: []Inbound{in}}, nil
}

func parseTelegram(b []byte) (Inbound, bool, error) {
	if !utf8.Valid(b) {
		return Inbound{}, false, refuse(http.StatusBadRequest, "bad_encoding", "body is not valid UTF-8")
	}
	var u telegramUpdate
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&u); err != nil {
		return Inbound{}, false, refuse(http.StatusBadRequest, "bad_json", "%v", err)
	}
	if u.UpdateID == 0 {
		return Inbound{}, false, refuse(http.StatusBadRequest, "bad_message", "update_id is required")
	}
	m := u.Message
	if m == nil || m.Chat.ID == 0 {
		return Inbound{}, false, nil
	}
	text := m.Text
	if text == "" && len(m.Photo) > 0 {
		text = "[image] " + m.Caption
	}
	if text == "" {
		text = "[unsupported message]"
	}
	in := Inbound{PlatformID: "u" + strconv.FormatInt(u.UpdateID, 10), User: strconv.FormatInt(m.Chat.ID, 10), Text: text, Type: "text"}
	if m.Date > 0 {
		in.At = time.Unix(m.Date, 0).UTC()
	}
	return in, true, nil
}

// Ack implements Adapter.
func (t *Telegram) Ack(Config, []Inbound) (int, string, []byte) {
	return http.StatusOK, "application/json", []byte(`{}`)
}

// Send implements Adapter through sendMessage.
func (t *Telegram) Send(ctx context.Context, cfg Config, out Outbound) error {
	chatID, err := strconv.ParseInt(out.User, 10, 64)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"chat_id": chatID, "text": out.Text})
	var rep struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
	}
	if err := postJSON(ctx, t.Client, cfg.apiBase(TelegramAPIBase)+"/bot"+cfg.BotToken+"/sendMessage", body, nil, &rep); err != nil {
		return err
	}
	if !rep.OK {
		return &sendError{"telegram: " + clip(rep.Description)}
	}
	return nil
}

type sendError struct{ s string }

func (e *sendError) Error() string { return ErrSend.Error() + ": " + e.s }
func (e *sendError) Unwrap() error { return ErrSend }
