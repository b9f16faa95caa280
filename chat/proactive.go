package chat

import "strings"

// Proactive notices (central/proactive): the widget reports a shopper
// idle on a page (frame "page"), the edge forwards it to central, whose
// rules may answer with an offer through the ordinary outbound path; the
// edge reports a client's acknowledgement of a notice's message (its id
// starts with NoticeMessagePrefix) as "opened".

// FramePage (client → edge): the shopper has been idle on the page for
// idle_s seconds; context holds url and sku. It may be lost; no answer.
const FramePage FrameType = "page"

// SubjectPagePrefix + tenant carries PageReport JSON (core NATS, may be lost).
const SubjectPagePrefix = "kefu.page."

// SubjectNoticeOpenedPrefix + tenant carries NoticeOpened JSON (core NATS).
const SubjectNoticeOpenedPrefix = "kefu.opened."

// NoticeMessagePrefix starts the id of every proactive notice message.
const NoticeMessagePrefix = "pn-"

// PageSubject is where an edge publishes a tenant's page reports.
func PageSubject(tenant string) string { return SubjectPagePrefix + SubjectToken(tenant) }

// NoticeOpenedSubject is where an edge publishes a tenant's opened notices.
func NoticeOpenedSubject(tenant string) string {
	return SubjectNoticeOpenedPrefix + SubjectToken(tenant)
}

// IsNoticeMessage reports whether a message id is a proactive notice's.
func IsNoticeMessage(id string) bool { return strings.HasPrefix(id, NoticeMessagePrefix) }

// PageReport is a shopper idle on a page, as the edge forwards it: the
// URL without query or fragment, after the region's inbound plugins.
type PageReport struct {
	Tenant         string  `json:"tenant"`
	Region         string  `json:"region"`
	Channel        Channel `json:"channel"`
	Visitor        string  `json:"visitor"`
	ConversationID string  `json:"conversation_id"`
	URL            string  `json:"url,omitempty"`
	SKU            string  `json:"sku,omitempty"`
	Lang           string  `json:"lang,omitempty"`
	IdleS          int     `json:"idle_s"`
}

// NoticeOpened is a client's acknowledgement of a notice message.
type NoticeOpened struct {
	Tenant    string `json:"tenant"`
	Visitor   string `json:"visitor"`
	MessageID string `json:"message_id"`
	At        int64  `json:"at"` // unix milliseconds
}
