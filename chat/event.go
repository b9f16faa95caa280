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
	// The human queue and the workspace (chat/queue.go documents them).
	EventQueuePosition EventType = "queue.position"           // the shopper's place in the queue (Position, WaitS)
	EventTyping        EventType = "conversation.typing"      // an agent (Agent) or the shopper (Reason "shopper") is typing
	EventCSAT          EventType = "csat.submitted"           // the shopper rated the conversation (CSAT)
	EventCSATRequest   EventType = "csat.request"             // central asks the shopper for a rating (at close)
	EventSLABreach     EventType = "sla.breached"             // a first-response or resolution target passed (Reason)
	EventTransferred   EventType = "conversation.transferred" // moved to another agent or team (Agent, Team)
	EventNote          EventType = "conversation.note"        // an internal note (never reaches the shopper)
	EventTags          EventType = "conversation.tags"        // tags changed
	EventPresence      EventType = "agent.presence"           // an agent's presence changed (Agent, Reason = status)
	EventShown         EventType = "message.shown"            // the shopper was shown another text than the stored reply (Message: id, shown)
)

// ShopperEvent reports whether a shopper's sockets get events of type t
// (the edge forwards them as event frames); the workspace's (notes, tags,
// transfers, presence, SLA, shown texts) stay with agents.
func ShopperEvent(t EventType) bool {
	switch t {
	case EventOpened, EventHandoff, EventAssigned, EventClosed, EventErasure,
		EventQueuePosition, EventTyping, EventCSATRequest:
		return true
	}
	return false
}

// EdgeEvent reports whether an edge acts on ev: the ShopperEvent types and
// a shopper's message (echoed to the visitor's other connections). Central
// publishes every other event on ConsoleEventsSubject, which edges do not
// receive: a bot's or an agent's message reaches the shopper as a reply,
// not as an event.
func EdgeEvent(ev *Event) bool {
	if ev.Type == EventMessage {
		return ev.Message != nil && ev.Message.Role == RoleShopper
	}
	return ShopperEvent(ev.Type)
}

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
	// Queue: the queue.position facts (chat/queue.go).
	Queue *QueueInfo `json:"queue,omitempty"`
	// CSAT is the rating of csat.submitted.
	CSAT *CSAT `json:"csat,omitempty"`
	// Team is the team of a transfer or assignment.
	Team string `json:"team,omitempty"`
	// Tags are the conversation's tags (conversation.tags).
	Tags []string `json:"tags,omitempty"`
}
