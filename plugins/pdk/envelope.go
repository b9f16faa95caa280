package pdk

import "time"

// Envelope is the message a hook receives: the JSON encoding of the edge's
// chat.Envelope (plugins/ABI.md section 4). Field meanings are those of
// package chat.
type Envelope struct {
	V         int               `json:"v"`
	Tenant    string            `json:"tenant"`
	Region    string            `json:"region"`
	Channel   string            `json:"channel"`
	Visitor   string            `json:"visitor"`
	Direction string            `json:"direction"`
	Message   Message           `json:"message"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// Message is the utterance inside an Envelope.
type Message struct {
	ID             string  `json:"id"`
	ConversationID string  `json:"conversation_id,omitempty"`
	Role           string  `json:"role"`
	Text           string  `json:"text"`
	Source         string  `json:"source,omitempty"`
	ReplyTo        string  `json:"reply_to,omitempty"`
	Author         string  `json:"author,omitempty"`
	Lang           string  `json:"lang,omitempty"`
	Intent         string  `json:"intent,omitempty"`
	Anger          float64 `json:"anger,omitempty"`
	// IntentConfidence is the edge model's probability of Intent in [0,1]
	// (0 = unknown: an older host, or an edge without an intent model).
	IntentConfidence float64   `json:"intent_confidence,omitempty"`
	At               time.Time `json:"at"`
}

// Label returns label k or "".
func (e *Envelope) Label(k string) string { return e.Labels[k] }

// Event returns the conversation event type of an event-hook envelope
// (labels["event"]), or "".
func (e *Envelope) Event() string { return e.Labels["event"] }
