package chat

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// NATS subjects and streams between edge and central. Tokens that come from
// users (tenant, region) pass through SubjectToken first.
const (
	// StreamInbound is the JetStream stream holding shopper→central envelopes.
	// Edge publishes with Nats-Msg-Id = Message.ID (duplicate window 2 min);
	// central's durable consumer acks only after its store commits.
	StreamInbound = "KEFU_INBOUND"
	// SubjectInboundPrefix + tenant is where edges publish inbound envelopes.
	SubjectInboundPrefix = "kefu.inbound."
	// StreamRegion is the stream of an edge that is a NATS leaf node of
	// central (kefu edge --leaf): it lives in the edge's own JetStream
	// domain, holds the region's inbound envelopes (Nats-Msg-Id = Message.ID,
	// duplicate window 2 min) while the link to central is down, and
	// KEFU_INBOUND sources it across domains (docs/CONTRACTS.md).
	StreamRegion = "KEFU_REGION"
	// SubjectRegionPrefix + domain + "." + tenant + "." + visitor token is
	// where a leaf edge publishes inbound envelopes into its StreamRegion
	// (RegionSubject); central's source maps them to
	// InboundVisitorSubject(tenant, visitor).
	SubjectRegionPrefix = "kefu.region."
	// SubjectSourcingPrefix + domain is the deliver subject of the durable
	// consumer through which central's KEFU_INBOUND sources a leaf edge's
	// StreamRegion.
	SubjectSourcingPrefix = "kefu.sourcing."
	// SubjectLeafSourcePrefix + region is the request-reply subject on which
	// a leaf edge of region asks central to source its regional stream
	// (LeafSourceSubject): central declares the source of domain
	// LeafDomain(region) in KEFU_INBOUND, so that a leaf link needs no
	// right to change a stream and names only its own region's domain.
	SubjectLeafSourcePrefix = "kefu.leafsource."
	// SubjectOutboundPrefix + region + "." + tenant carries replies
	// (Envelope, Direction Outbound) to the edges of one region (core NATS;
	// a missed reply is recovered by the history request on resume).
	SubjectOutboundPrefix = "kefu.outbound."
	// SubjectHistory is the request-reply subject edges use on resume:
	// request HistoryRequest, reply HistoryReply.
	SubjectHistory = "kefu.history"
	// SubjectEventsPrefix + tenant carries conversation Events for edges
	// and consoles; SubjectEventsPrefix + tenant + SubjectConsoleSuffix
	// those for consoles only (EdgeEvent false). Edges subscribe to
	// SubjectEventsPrefix + "*" (one token), central to
	// SubjectEventsPrefix + ">" (both, in the order published).
	SubjectEventsPrefix = "kefu.events."
	// SubjectConsoleSuffix ends ConsoleEventsSubject.
	SubjectConsoleSuffix = ".console"
	// SubjectStaffPrefix + tenant carries Events for the agents' consoles
	// only (staff alerts): edges never subscribe, so shoppers never see them.
	SubjectStaffPrefix = "kefu.staff."
)

// InboundSubject is the subject for a tenant's inbound envelopes.
func InboundSubject(tenant string) string { return SubjectInboundPrefix + SubjectToken(tenant) }

// VisitorToken is the subject token of visitor of tenant: the first 16 hex
// digits of SHA-256(tenant NUL visitor). Subjects carry it rather than the
// visitor id (a shopper's credential), so that erasure can purge a
// visitor's messages from a stream by subject (SECURITY.md).
func VisitorToken(tenant, visitor string) string {
	h := sha256.Sum256([]byte(tenant + "\x00" + visitor))
	return hex.EncodeToString(h[:8])
}

// InboundVisitorSubject is the subject of one visitor's inbound envelopes,
// InboundSubject(tenant) + "." + VisitorToken(tenant, visitor); edges on
// central's NATS publish there, and a leaf edge's RegionSubject is mapped
// there when central's stream sources it.
func InboundVisitorSubject(tenant, visitor string) string {
	return InboundSubject(tenant) + "." + VisitorToken(tenant, visitor)
}

// ChannelOutVisitorSubject is the channel-outbox subject of one visitor's
// replies: ChannelOutSubject(region, tenant) + "." + VisitorToken.
func ChannelOutVisitorSubject(region, tenant, visitor string) string {
	return ChannelOutSubject(region, tenant) + "." + VisitorToken(tenant, visitor)
}

// RegionSubject is the subject a leaf edge of JetStream domain domain
// publishes the inbound envelopes of visitor of tenant to:
// SubjectRegionPrefix + domain + "." + tenant + "." + VisitorToken, so that
// an erasure can purge the visitor from the regional stream by subject.
func RegionSubject(domain, tenant, visitor string) string {
	return SubjectRegionPrefix + SubjectToken(domain) + "." + SubjectToken(tenant) + "." + VisitorToken(tenant, visitor)
}

// OutboundSubject is the subject for replies to one region's edges.
func OutboundSubject(region, tenant string) string {
	return SubjectOutboundPrefix + SubjectToken(region) + "." + SubjectToken(tenant)
}

// StaffSubject is the subject for a tenant's staff-only events.
func StaffSubject(tenant string) string { return SubjectStaffPrefix + SubjectToken(tenant) }

// EventsSubject is the subject for a tenant's conversation events that
// edges act on (EdgeEvent).
func EventsSubject(tenant string) string { return SubjectEventsPrefix + SubjectToken(tenant) }

// ConsoleEventsSubject is the subject for a tenant's conversation events
// that no edge acts on (EdgeEvent false: a bot's or an agent's message, the
// workspace's events): EventsSubject(tenant) + SubjectConsoleSuffix, a
// token more than the edges' subscription matches.
func ConsoleEventsSubject(tenant string) string { return EventsSubject(tenant) + SubjectConsoleSuffix }

// EventSubject is the subject central publishes ev on: EventsSubject, or
// ConsoleEventsSubject when no edge acts on it.
func EventSubject(ev *Event) string {
	if EdgeEvent(ev) {
		return EventsSubject(ev.Tenant)
	}
	return ConsoleEventsSubject(ev.Tenant)
}

// SubjectToken makes s safe as one NATS subject token: characters other
// than [0-9A-Za-z_-] become '_'; an empty s becomes "_".
func SubjectToken(s string) string {
	if s == "" {
		return "_"
	}
	ok := true
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if tokenByte(s[i]) {
			b.WriteByte(s[i])
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func tokenByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// HistoryRequest asks central for a conversation's messages after an id.
type HistoryRequest struct {
	Tenant         string `json:"tenant"`
	Visitor        string `json:"visitor"`
	ConversationID string `json:"conversation_id"`
	// After is the last message id the client acknowledged; "" means from the start.
	After string `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
	// Links are the verified identities of a contact's hello
	// (LabelContactLinks): central links them before it looks up the
	// contact's latest conversation, so that a shopper who wrote on WeChat
	// continues that conversation in the widget.
	Links []string `json:"links,omitempty"`
}

// HistoryReply answers a HistoryRequest. Error is set instead of Messages
// when the request was refused (unknown conversation, visitor mismatch).
type HistoryReply struct {
	// ConversationID answers a request without one (a verified contact on
	// a new device): the visitor's latest conversation.
	ConversationID string    `json:"conversation_id,omitempty"`
	Messages       []Message `json:"messages,omitempty"`
	Error          string    `json:"error,omitempty"`
	// Code says why Error is set: HistoryRefused (the conversation is not
	// this visitor's, or unknown: start afresh) or HistoryUnavailable
	// (central could not check now: do not start afresh, retry). A reply
	// with Error and no Code is a refusal.
	Code string `json:"code,omitempty"`
}

// Codes of a HistoryReply that carries Error.
const (
	// HistoryRefused: unknown conversation, another visitor's, or a bad
	// request. The edge starts a new conversation.
	HistoryRefused = "refused"
	// HistoryUnavailable: central's store could not answer now. The edge
	// neither attaches nor starts afresh; the client retries.
	HistoryUnavailable = "unavailable"
)
