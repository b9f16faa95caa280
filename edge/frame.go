package edge

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kefu-io/kefu/chat"
)

// Limits on the small fields of a client frame.
const (
	maxContextEntries = 16
	maxContextKey     = 32
	maxContextValue   = 512
	maxShortField     = 64
)

// FrameError is why a client frame was refused. It becomes an error frame
// with the same Code, Reason, ID and MaxText; the connection stays up.
type FrameError struct {
	// Code is one of chat.CodeBadFrame, chat.CodeTooLarge, chat.CodeBadVersion.
	Code string
	// Reason says what is wrong, in words a developer can act on.
	Reason string
	// ID is the refused message's id when the frame had a usable one.
	ID string
	// MaxText is the text limit, set with chat.CodeTooLarge.
	MaxText int
}

// Error implements error.
func (e *FrameError) Error() string { return "edge: " + e.Code + ": " + e.Reason }

func badFrame(id, format string, args ...any) *FrameError {
	return &FrameError{Code: chat.CodeBadFrame, ID: id, Reason: fmt.Sprintf(format, args...)}
}

// DecodeFrame parses one client→edge text frame (hello, message, ack, ping)
// and checks the fields its type requires. maxText <= 0 means
// chat.MaxTextBytes. A refused frame returns a *FrameError. Unknown JSON
// fields are ignored (a newer client may send more); v above
// chat.ProtocolVersion is refused. The returned Frame does not alias data.
func DecodeFrame(data []byte, maxText int) (chat.Frame, error) {
	if maxText <= 0 {
		maxText = chat.MaxTextBytes
	}
	var f chat.Frame
	if len(data) == 0 {
		return f, badFrame("", "empty frame")
	}
	if !utf8.Valid(data) { // encoding/json would silently turn bad bytes into U+FFFD
		return f, badFrame("", "frame is not valid UTF-8")
	}
	if err := chat.DecodeFrame(data, &f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return chat.Frame{}, badFrame("", "field %q has the wrong JSON type (%s)", te.Field, te.Value)
		}
		return chat.Frame{}, badFrame("", "not a JSON object: %v", err)
	}
	if f.V < 0 || f.V > chat.ProtocolVersion {
		return f, &FrameError{Code: chat.CodeBadVersion, Reason: fmt.Sprintf("protocol version %d not supported (this edge speaks 1..%d)", f.V, chat.ProtocolVersion)}
	}
	switch f.Type {
	case "":
		return f, badFrame("", "missing type")
	case chat.FrameHello:
		return f, checkHello(&f)
	case chat.FrameMessage:
		return f, checkMessage(&f, maxText)
	case chat.FrameAck:
		if f.ID == "" {
			return f, badFrame("", "ack needs id")
		}
		if !chat.ValidID(f.ID) {
			return f, badFrame("", "ack id %q is not 1-64 characters of [0-9A-Za-z_-]", clip(f.ID))
		}
		return f, nil
	case chat.FramePing, chat.FrameTyping, chat.FramePage:
		return f, nil
	case chat.FrameCSAT:
		return f, checkCSAT(&f)
	case chat.FrameWelcome, chat.FrameAccepted, chat.FrameEvent, chat.FrameError, chat.FramePong:
		return f, badFrame(okID(f.ID), "frame type %q is sent by the edge, not by clients", clip(string(f.Type)))
	default:
		return f, badFrame(okID(f.ID), "unknown frame type %q", clip(string(f.Type)))
	}
}

func checkHello(f *chat.Frame) error {
	if len(f.Site) > maxShortField {
		return badFrame("", "site longer than %d bytes", maxShortField)
	}
	if f.Visitor != "" && !chat.ValidID(f.Visitor) {
		return badFrame("", "visitor %q is not 1-64 characters of [0-9A-Za-z_-]", clip(f.Visitor))
	}
	if f.ConversationID != "" && !chat.ValidID(f.ConversationID) {
		return badFrame("", "conversation_id %q is not 1-64 characters of [0-9A-Za-z_-]", clip(f.ConversationID))
	}
	if f.ResumeAfter != "" {
		if f.ConversationID == "" {
			return badFrame("", "resume_after needs conversation_id")
		}
		if !chat.ValidID(f.ResumeAfter) {
			return badFrame("", "resume_after %q is not 1-64 characters of [0-9A-Za-z_-]", clip(f.ResumeAfter))
		}
	}
	return nil
}

func checkMessage(f *chat.Frame, maxText int) error {
	if f.ID == "" {
		return badFrame("", "message needs id")
	}
	if !chat.ValidID(f.ID) {
		return badFrame("", "message id %q is not 1-64 characters of [0-9A-Za-z_-]", clip(f.ID))
	}
	switch err := chat.ValidateText(f.Text, maxText); {
	case err == nil:
	case errors.Is(err, chat.ErrTooLarge):
		return &FrameError{Code: chat.CodeTooLarge, ID: f.ID, MaxText: maxText,
			Reason: fmt.Sprintf("text is %d bytes, the limit is %d", len(f.Text), maxText)}
	case errors.Is(err, chat.ErrEmptyText):
		return badFrame(f.ID, "message needs text")
	default:
		return badFrame(f.ID, "text is not valid UTF-8")
	}
	if f.ConversationID != "" && !chat.ValidID(f.ConversationID) {
		return badFrame(f.ID, "conversation_id %q is not 1-64 characters of [0-9A-Za-z_-]", clip(f.ConversationID))
	}
	if f.ReplyTo != "" && !chat.ValidID(f.ReplyTo) {
		return badFrame(f.ID, "reply_to %q is not 1-64 characters of [0-9A-Za-z_-]", clip(f.ReplyTo))
	}
	if f.Anger < 0 || f.Anger > 1 {
		return badFrame(f.ID, "anger %v is outside [0,1]", f.Anger)
	}
	if len(f.Lang) > 16 || len(f.Intent) > maxShortField {
		return badFrame(f.ID, "lang or intent too long")
	}
	if f.Upload != "" && (!chat.ValidID(f.Upload) || f.Answer != nil) {
		return badFrame(f.ID, "upload %q is not a token of POST /w/upload, or comes with a local answer", clip(f.Upload))
	}
	if a := f.Answer; a != nil {
		if !chat.ValidID(a.ID) || a.ID == f.ID {
			return badFrame(f.ID, "answer id %q is not 1-64 characters of [0-9A-Za-z_-] or is the message's own id", clip(a.ID))
		}
		if chat.ValidateText(a.Text, chat.MaxTextBytes) != nil || len(a.FAQID) > maxShortField {
			return badFrame(f.ID, "answer needs a text of 1-%d bytes of UTF-8 and a faq_id of at most %d bytes", chat.MaxTextBytes, maxShortField)
		}
	}
	if len(f.Context) > maxContextEntries {
		return badFrame(f.ID, "context has %d entries, the limit is %d", len(f.Context), maxContextEntries)
	}
	for k, v := range f.Context {
		if !contextKey(k) {
			return badFrame(f.ID, "context key %q is not 1-%d characters of [a-z0-9_.-]", clip(k), maxContextKey)
		}
		if len(v) > maxContextValue || !utf8.ValidString(v) {
			return badFrame(f.ID, "context %q value is over %d bytes or not UTF-8", k, maxContextValue)
		}
	}
	return nil
}

func contextKey(k string) bool {
	if len(k) == 0 || len(k) > maxContextKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// okID returns id when it is a valid id, else "" (so error frames never echo
// garbage).
func okID(id string) string {
	if chat.ValidID(id) {
		return id
	}
	return ""
}

// clip shortens s for an error reason.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	for i := n; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// maxHintDigits is the most digits a widget hint (lang, intent, FAQ id) may
// hold: fewer than any phone, card or id number, so that a hint cannot
// carry one past the region's pipeline (hints are not masked).
const maxHintDigits = 6

// hintLang returns lang when it has the shape of a BCP-47 tag ("en",
// "zh-Hant", "es-419"), else "": the widget's language hint travels to
// central without passing the plugins, so it may not hold free text.
func hintLang(lang string) string {
	if lang == "" || len(lang) > 16 {
		return ""
	}
	digits := 0
	for i, part := range strings.Split(lang, "-") {
		if len(part) == 0 || len(part) > 8 || i == 0 && (len(part) < 2 || len(part) > 3) {
			return ""
		}
		for j := 0; j < len(part); j++ {
			c := part[j]
			switch {
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			case c >= '0' && c <= '9' && i > 0:
				digits++
			default:
				return ""
			}
		}
	}
	if digits > maxHintDigits {
		return ""
	}
	return lang
}

// hintTag returns s when it has the shape of an intent or FAQ id (a letter,
// then up to 63 of [A-Za-z0-9_.:-], at most maxHintDigits digits), else "".
// Like hintLang it keeps free text out of fields the plugins do not mask.
func hintTag(s string) string {
	if !validHintTag(s) {
		return ""
	}
	return s
}

func validHintTag(s string) bool {
	if len(s) == 0 || len(s) > maxShortField {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i == 0:
			return false
		case c >= '0' && c <= '9':
			digits++
		case c == '_' || c == '.' || c == ':' || c == '-':
		default:
			return false
		}
	}
	return digits <= maxHintDigits
}
