// Package webhook is the wire format of Kefu's outbound webhooks: the event
// names, the JSON body, the headers and the signature. Central uses it to
// send (central/webhooks.go); a receiver written in Go may use Verify.
//
// Every delivery is an HTTP POST of a JSON Payload with the headers
//
//	Content-Type: application/json
//	X-Kefu-Event: message.created
//	X-Kefu-Delivery: dlv_…            (unique; the same on every retry of this delivery)
//	X-Kefu-Timestamp: 1764763200      (Unix seconds of this attempt)
//	X-Kefu-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>
//
// A receiver recomputes the signature over the raw body, compares it in
// constant time, refuses timestamps older than a few minutes (replay
// protection) and deduplicates by X-Kefu-Delivery: a delivery is retried
// until a 2xx answer, so the same delivery may arrive again after a
// timeout.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// Header names.
const (
	HeaderEvent     = "X-Kefu-Event"
	HeaderDelivery  = "X-Kefu-Delivery"
	HeaderTimestamp = "X-Kefu-Timestamp"
	HeaderSignature = "X-Kefu-Signature"
)

// Event names a webhook can subscribe to ("*" subscribes to all).
const (
	ConversationCreated     = "conversation.created"
	MessageCreated          = "message.created"
	ConversationHandoff     = "conversation.handoff"
	ConversationAssigned    = "conversation.assigned"
	ConversationClosed      = "conversation.closed"
	ConversationTransferred = "conversation.transferred"
	CSATSubmitted           = "csat.submitted"
	SLABreached             = "sla.breached"
	All                     = "*"
)

// Events lists every event name.
var Events = []string{ConversationCreated, MessageCreated, ConversationHandoff, ConversationAssigned, ConversationClosed,
	ConversationTransferred, CSATSubmitted, SLABreached}

// FromChat maps a conversation event to its webhook event ("" when it has none).
func FromChat(t chat.EventType) string {
	switch t {
	case chat.EventOpened:
		return ConversationCreated
	case chat.EventMessage:
		return MessageCreated
	case chat.EventHandoff:
		return ConversationHandoff
	case chat.EventAssigned:
		return ConversationAssigned
	case chat.EventClosed:
		return ConversationClosed
	case chat.EventTransferred:
		return ConversationTransferred
	case chat.EventCSAT:
		return CSATSubmitted
	case chat.EventSLABreach:
		return SLABreached
	}
	return ""
}

// ErrUnknownEvent is an event name outside Events.
var ErrUnknownEvent = errors.New("webhook: unknown event")

// CheckEvents validates a subscription list.
func CheckEvents(list []string) error {
	if len(list) == 0 {
		return fmt.Errorf("%w: no events (want some of %s, or *)", ErrUnknownEvent, strings.Join(Events, ", "))
	}
	for _, e := range list {
		if e != All && !slices.Contains(Events, e) {
			return fmt.Errorf("%w %q (want some of %s, or *)", ErrUnknownEvent, e, strings.Join(Events, ", "))
		}
	}
	return nil
}

// Payload is the JSON body of a delivery.
type Payload struct {
	// ID is the delivery id (X-Kefu-Delivery).
	ID        string    `json:"id"`
	Event     string    `json:"event"`
	Tenant    string    `json:"tenant"`
	CreatedAt time.Time `json:"created_at"`
	// Data is the event: Conversation for the conversation events.
	Data json.RawMessage `json:"data"`
}

// Conversation is the data of the conversation events.
type Conversation struct {
	ConversationID string `json:"conversation_id"`
	Visitor        string `json:"visitor,omitempty"`
	// Contact is the verified shopper's id (identify()), when known.
	Contact  string        `json:"contact,omitempty"`
	Agent    string        `json:"agent,omitempty"`
	Reason   string        `json:"reason,omitempty"`
	Priority int           `json:"priority,omitempty"`
	Team     string        `json:"team,omitempty"`
	Tags     []string      `json:"tags,omitempty"`
	Message  *chat.Message `json:"message,omitempty"`
	CSAT     *chat.CSAT    `json:"csat,omitempty"`
	At       time.Time     `json:"at"`
}

// Sign returns the X-Kefu-Signature value of body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrBadSignature = errors.New("webhook: bad signature")
	ErrStale        = errors.New("webhook: timestamp outside the accepted window")
)

// Verify checks a received delivery: the signature over the raw body and a
// timestamp within maxAge of now (either way).
func Verify(secret string, h http.Header, body []byte, maxAge time.Duration, now time.Time) error {
	ts, err := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no %s", ErrStale, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxAge || d < -maxAge {
		return fmt.Errorf("%w: %s off by %s", ErrStale, HeaderTimestamp, d.Round(time.Second))
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(h.Get(HeaderSignature))) {
		return ErrBadSignature
	}
	return nil
}
