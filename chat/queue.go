package chat

// The human queue, as the shopper sees it (docs/PROTOCOL.md §2.5):
//
//   - queue.position: central sends it when a conversation enters the
//     queue and whenever its position or its wait estimate changes. The
//     edge turns it into an event frame with "position" (1 = next) and
//     "wait_s" (estimated seconds) and, when nobody can answer now,
//     "reason": QueueNoAgent or QueueClosed.
//   - conversation.typing: sent only while an agent types (the console
//     reports keystrokes, at most every 2 s); the widget shows "agent is
//     typing" for a few seconds after each.
//   - csat.request at close, answered by the client with a csat frame;
//     central stores the rating and emits csat.submitted.

// Reasons of a queue.position event in which no agent can answer now.
const (
	// QueueNoAgent: within business hours, but no agent is online.
	QueueNoAgent = "no_agent"
	// QueueClosed: outside the business hours (or a holiday) of the
	// tenant or the conversation's team.
	QueueClosed = "after_hours"
)

// QueueInfo is the shopper's place in the human queue.
type QueueInfo struct {
	// Position is 1 for the next conversation an agent takes.
	Position int `json:"position"`
	// WaitS is the estimated wait in seconds (central's queue.go says how).
	WaitS int `json:"wait_s"`
	// Agents is the number of agents online who could take it.
	Agents int `json:"agents"`
	// Reason is "" while agents answer, else QueueNoAgent or QueueClosed.
	Reason string `json:"reason,omitempty"`
	// OpensAt is when business hours start again (unix ms), with QueueClosed.
	OpensAt int64 `json:"opens_at,omitempty"`
}

// Text is a text in one language: a translation, or the original of one.
type Text struct {
	Text string `json:"text"`
	Lang string `json:"lang"`
	// Error is set instead of Text when translating failed: the message
	// went through untranslated.
	Error string `json:"error,omitempty"`
}

// CSAT is a shopper's satisfaction rating of a closed conversation.
type CSAT struct {
	// Rating is 1 (very unhappy) to 5 (very happy).
	Rating int `json:"rating"`
	// Comment is optional free text (untrusted; it passed the region's plugins).
	Comment string `json:"comment,omitempty"`
}

// LocalAnswer is an answer the widget gave in the browser, reported with
// the question (a message frame's "answer") so the agent reads what the
// shopper read.
type LocalAnswer struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	FAQID string `json:"faq_id,omitempty"`
}

// Labels of the human-queue features. Only the edge sets them (a client's
// context keys with these names are dropped).
const (
	// LabelLocalAnswerID, LabelLocalAnswerText and LabelLocalAnswerFAQ
	// carry a widget's local answer with the question it answered: central
	// stores both and neither routes nor answers the question.
	LabelLocalAnswerID   = "local_answer_id"
	LabelLocalAnswerText = "local_answer_text"
	LabelLocalAnswerFAQ  = "local_answer_faq"
	// LabelLocalAnswerScore is the widget's score of its local answer
	// ("0.42"), from its hits report: central records a question answered
	// below its LocalLowScore as a knowledge miss (reason local_low).
	LabelLocalAnswerScore = "local_answer_score"
	// LabelCallback marks a shopper message that leaves a callback contact
	// ("email" or "phone"); its text holds the contact, masked by the
	// region's PII plugin like any text.
	LabelCallback = "callback"
	// LabelCSAT marks a shopper's rating: the value is 1–5, the message
	// text the comment (or "-").
	LabelCSAT = "csat"
)

// SubjectTypingPrefix + tenant carries typing notices from edges to central
// (core NATS, chat.Event with Type EventTyping): they may be lost.
const SubjectTypingPrefix = "kefu.typing."

// TypingSubject is the subject of a tenant's shopper typing notices.
func TypingSubject(tenant string) string { return SubjectTypingPrefix + SubjectToken(tenant) }

// SubjectShownPrefix + tenant carries, from an edge to central, the text a
// shopper was shown when the edge's outbound plugins changed a reply (a
// promotion line appended, a phrase replaced): core NATS, a chat.Event of
// Type EventShown whose Message holds the reply's ID, ConversationID and
// the shown Text. Central keeps it beside the reply (Message.Shown) so the
// agent reads what the shopper read.
const SubjectShownPrefix = "kefu.shown."

// ShownSubject is the subject of a tenant's shown-text reports.
func ShownSubject(tenant string) string { return SubjectShownPrefix + SubjectToken(tenant) }
