package chat

import "time"

// EventType names a conversation event.
type EventType string

// Conversation events. Central emits them; the console and the edge consume them.
const (
	EventOpened   EventType = "conversation.opened"   // first message of a conversation stored
	EventMessage  EventType = "conversation.message"  // a message was stored (Message is set)
	EventHandoff  EventType = "conversation.handoff"  // moved to the human queue (Reason says why)
	EventAssigned EventType = "conversation.assigned" // an agent took it (Agent is set)
	EventClosed   EventType = "conversation.closed"
	EventErasure  EventType = "conversation.erasure" // the shopper asked to delete their data
	// EventAlert: a staff alert was raised (Reason is "sensitive:word,…"
	// or "anger:0.91"); published on StaffSubject only (central/alerts.go).
	EventAlert EventType = "conversation.alert"
)

// Event is something that happened to a conversation.
type Event struct {
	V              int       `json:"v"`
	Type           EventType `json:"type"`
	Tenant         string    `json:"tenant"`
	ConversationID string    `json:"conversation_id"`
	Visitor        string    `json:"visitor,omitempty"`
	Agent          string    `json:"agent,omitempty"`
	Reason         string    `json:"reason,omitempty"`
	// Priority is the queue priority after the event (higher first).
	Priority int       `json:"priority,omitempty"`
	Message  *Message  `json:"message,omitempty"`
	At       time.Time `json:"at"`
}
