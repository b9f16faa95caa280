// Package chat is Kefu's shared domain: the versioned types that travel between
// the widget, the edge, the plugins and central (Message, Envelope, Event, wire
// Frames), the id scheme and the names of the NATS subjects. It does no I/O.
//
// Every other package imports these types instead of keeping its own copy, so
// a field added here is visible on every hop of a message:
//
//	browser ─ widget ─(Frame over WebSocket)→ edge ─(Envelope over NATS)→ central
//	browser ←(Frame)─ edge ←(Envelope on the outbound subject)─ central
//
// # Ids
//
// A message gets its id where it is born (the widget, a channel adapter, the
// bot or an agent) and keeps it end to end. Ids are idempotency keys: the
// edge publishes with the id as Nats-Msg-Id and central stores it as a unique
// key, so a retry never doubles a message. NewID makes sortable ids
// (time-ordered, 26 characters of Crockford base32, like ULIDs).
package chat
