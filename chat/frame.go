package chat

// FrameType names a WebSocket frame between a client (widget, app, load
// generator) and an edge. docs/PROTOCOL.md is the normative description.
type FrameType string

// Frame types. Client → edge: hello, message, ack, ping. Edge → client:
// welcome, accepted, message, event, error, pong.
const (
	FrameHello    FrameType = "hello"
	FrameMessage  FrameType = "message"
	FrameAck      FrameType = "ack"
	FramePing     FrameType = "ping"
	FrameTyping   FrameType = "typing" // client → edge: the shopper is typing (may be lost)
	FrameCSAT     FrameType = "csat"   // client → edge: the shopper's rating (chat/queue.go)
	FrameWelcome  FrameType = "welcome"
	FrameAccepted FrameType = "accepted"
	FrameEvent    FrameType = "event"
	FrameError    FrameType = "error"
	FramePong     FrameType = "pong"
)

// Error codes carried in error frames.
const (
	CodeBadFrame    = "bad_frame"    // not JSON, unknown type, missing field
	CodeTooLarge    = "too_large"    // text or frame over the limit
	CodeBadVersion  = "bad_version"  // unsupported protocol version
	CodeNeedHello   = "need_hello"   // a frame before hello
	CodeRateLimited = "rate_limited" // too many messages
	CodeUnavailable = "unavailable"  // could not accept now; retry with the same id
	CodeDropped     = "dropped"      // a plugin refused the message
)

// Frame is one JSON text frame on the WebSocket. Unused fields are omitted.
type Frame struct {
	V    int       `json:"v,omitempty"`
	Type FrameType `json:"type"`
	// hello
	Site    string `json:"site,omitempty"`
	Visitor string `json:"visitor,omitempty"`
	// hello: a signed-in shopper (verified by the edge, see Identity).
	Identity *Identity `json:"identity,omitempty"`
	// hello (to resume), welcome
	ConversationID string `json:"conversation_id,omitempty"`
	// hello: last message id the client rendered; the edge replays what came after.
	ResumeAfter string `json:"resume_after,omitempty"`
	// message, ack, accepted, error (the id refused)
	ID     string `json:"id,omitempty"`
	Text   string `json:"text,omitempty"`
	Role   Role   `json:"role,omitempty"`
	Source Source `json:"source,omitempty"`
	// message: language, intent and anger the widget's core already computed.
	Lang    string  `json:"lang,omitempty"`
	Intent  string  `json:"intent,omitempty"`
	Anger   float64 `json:"anger,omitempty"`
	ReplyTo string  `json:"reply_to,omitempty"`
	Author  string  `json:"author,omitempty"`
	At      int64   `json:"at,omitempty"` // unix milliseconds
	// message from client: page context (url, sku).
	Context map[string]string `json:"context,omitempty"`
	// event
	Event string `json:"event,omitempty"`
	// error
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// welcome: limits the edge enforces.
	MaxText int `json:"max_text,omitempty"`
	// event queue.position: the place in the queue (1 = next) and the
	// estimated wait in seconds; both are always present in that event.
	Position *int `json:"position,omitempty"`
	WaitS    *int `json:"wait_s,omitempty"`
	// message (edge → client): an agent's reply translated into the
	// shopper's language keeps what the agent wrote here.
	Original *Text `json:"original,omitempty"`
	// csat (client → edge): the rating 1–5; the comment travels in text.
	Rating int `json:"rating,omitempty"`
	// csat: "score" is accepted as another name of rating.
	Score int `json:"score,omitempty"`
	// message (client → edge): the widget answered this question locally;
	// the edge records both at central (chat/queue.go, LocalAnswer).
	Answer *LocalAnswer `json:"answer,omitempty"`
	// message (edge → client): product cards of a product-linked bot
	// answer, options of a clarifying question (buttons that send their
	// text), and the knowledge passages the answer cites.
	Products     []Card     `json:"products,omitempty"`
	QuickReplies []string   `json:"quick_replies,omitempty"`
	Sources      []Citation `json:"sources,omitempty"`
	// page (client → edge): seconds the shopper has been idle on the
	// page (chat/proactive.go).
	IdleS int `json:"idle_s,omitempty"`
	// message (client → edge): the token POST /w/upload returned for a
	// photo; the edge attaches the photo to this message.
	Upload string `json:"upload,omitempty"`
	// message (edge → client): the photos a message carries (description
	// only, never the bytes).
	Attachments []Attachment `json:"attachments,omitempty"`
}
