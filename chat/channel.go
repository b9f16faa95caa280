package chat

import (
	"strings"
	"time"
)

// Channels spoken by the edge's channel adapters (edge/channels) besides
// the ones declared in message.go.
const (
	ChannelTelegram Channel = "telegram"
	ChannelWhatsApp Channel = "whatsapp"
	// ChannelWebhook is a merchant's own channel: signed JSON in, signed
	// JSON out (edge/channels, kind "webhook").
	ChannelWebhook Channel = "webhook"
)

// Channel outbox: replies to shoppers who wrote through a platform channel
// (WeChat, Telegram, a merchant webhook…) must reach the platform even if an
// edge restarts, so central publishes them to a JetStream stream as well as
// to the core NATS outbound subject, and the edges of the region deliver
// them through the platform's API from a durable consumer.
const (
	// StreamChannelOut holds outbound envelopes for platform channels.
	// Nats-Msg-Id is the reply's message id, so a reply is queued once.
	StreamChannelOut = "KEFU_CHANNEL_OUT"
	// SubjectChannelOutPrefix + region + "." + tenant is where central
	// publishes them.
	SubjectChannelOutPrefix = "kefu.chout."
	// SubjectChannelLookup is the request-reply subject an edge asks central
	// for a channel's configuration: request ChannelLookup, reply
	// ChannelLookupReply.
	SubjectChannelLookup = "kefu.channels.lookup"
	// LabelChannelID is the envelope label carrying the id of the channel
	// (as made by `kefu admin channel add`) a message came through.
	LabelChannelID = "channel_id"
)

// ChannelOutSubject is the channel-outbox subject of one region and tenant.
func ChannelOutSubject(region, tenant string) string {
	return SubjectChannelOutPrefix + SubjectToken(region) + "." + SubjectToken(tenant)
}

// ChannelLookup asks for the configuration of one channel.
type ChannelLookup struct {
	ID string `json:"id,omitempty"`
	// Kind and Address ask for the channel of an address instead (e-mail).
	Kind    string `json:"kind,omitempty"`
	Address string `json:"address,omitempty"`
}

// ChannelLookupReply answers a ChannelLookup. Config is the channel's
// configuration as JSON (edge/channels.Config); Error is set instead when
// the channel is unknown ("not_found") or the store failed.
type ChannelLookupReply struct {
	Config []byte `json:"config,omitempty"`
	Error  string `json:"error,omitempty"`
}

// ChannelVisitor is the visitor id of a shopper who writes through a
// platform channel: the channel id, a colon, and the shopper's id on the
// platform (an openid, a Telegram chat id, a phone number…). Replies find
// their way back from it alone, whoever writes them (bot or agent).
func ChannelVisitor(channelID, user string) string { return channelID + ":" + user }

// SplitChannelVisitor undoes ChannelVisitor; ok is false for a visitor that
// is not a channel's (a widget visitor has no colon).
func SplitChannelVisitor(v string) (channelID, user string, ok bool) {
	channelID, user, ok = strings.Cut(v, ":")
	if !ok || channelID == "" || user == "" || !ValidID(channelID) {
		return "", "", false
	}
	return channelID, user, true
}

// PlatformChannel reports whether an envelope for visitor v belongs to a
// platform channel (its visitor is a ChannelVisitor): its replies leave
// through the channel outbox, not the widget's WebSocket. The envelope's
// Channel label does not decide it: a widget client may label its socket
// ?channel=wechat, but its visitor id (chat.ValidID, no colon) can never be
// a channel's.
func PlatformChannel(v string) bool {
	_, _, ok := SplitChannelVisitor(v)
	return ok
}

// ChannelOutMaxAge is how long the channel outbox keeps an undelivered reply.
const ChannelOutMaxAge = 7 * 24 * time.Hour

// BucketChannelSent is the JetStream key-value bucket in which the edges
// record the replies they delivered to a platform (key: reply id), so a
// reply is sent once: passively in the HTTP response or by the outbox.
const BucketChannelSent = "KEFU_CHANNEL_SENT"

// BucketChannelCursors is the JetStream key-value bucket (no expiry) in
// which the edges keep, per channel and account, the cursor of platforms
// whose messages are pulled after a notice (WeCom's kf/sync_msg), e-mail
// threads, and the mapping of pseudonyms to personal platform user ids.
// Every key begins with the edge's region token ("eu.u.CHANNEL.PSEUDONYM"):
// an edge's NATS rights cover its region's keys only.
const BucketChannelCursors = "KEFU_CHANNEL_CURSORS"

// ConsumerChannels is the prefix of the durable consumer of
// StreamChannelOut that the edges of one region share: ConsumerChannels +
// region.
const ConsumerChannels = "channels-"

// ChannelOutStream is StreamChannelOut: subjects SubjectChannelOutPrefix +
// ">", file storage, DuplicateWindow on the reply id, kept ChannelOutMaxAge.
// Central creates or updates it; edges create it when missing.
func ChannelOutStream() StreamSpec {
	return StreamSpec{Name: StreamChannelOut, Subjects: []string{SubjectChannelOutPrefix + ">"}, Duplicates: DuplicateWindow,
		MaxAge: ChannelOutMaxAge}
}

// BucketChannels is the JetStream key-value bucket where central keeps
// every platform channel's configuration (key: the channel id, value: the
// edge/channels.Config JSON, secrets included: edges are trusted parts of
// the deployment). Edges watch it like BucketSites: a channel added or
// changed with `kefu admin channel add` is served within seconds, without
// a restart, and an edge that starts while central is down serves the
// channels it last saw.
const BucketChannels = "KEFU_CHANNELS"
