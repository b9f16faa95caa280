package chat

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
)

// One customer across channels (docs/PROTOCOL.md 2.1b). A contact (the
// visitor id ContactVisitor) gathers channel identities: the ChannelVisitor
// of a WeChat openid, a Telegram chat, an e-mail address… Central keeps the
// links; a message from a linked identity is the contact's, in the
// contact's conversation, and replies go back through the channel the
// shopper last used (or one the agent picks).
//
// Links are made only from verified claims: the identity in hello, signed
// over its claims (IdentityClaims), names the e-mail address and the
// channel user ids of the shopper; an e-mail that arrives from a verified
// address joins its contact.

const (
	// LabelContactLinks, set by the edge on the messages of a verified
	// contact, lists the identities (ChannelVisitor values and EmailIdentity
	// keys) the signed hello claimed, separated by spaces.
	LabelContactLinks = "contact_links"
	// LabelEmailIdentity, set by the edge on a message that arrived by
	// e-mail, is EmailIdentity of the sender's address: central joins the
	// message to the contact that verified that address.
	LabelEmailIdentity = "email_identity"
	// LabelReplyRoute is set by central (never trusted from an edge) on an
	// envelope whose visitor it rewrote to the contact: the ChannelVisitor
	// its replies go back to.
	LabelReplyRoute = "reply_route"
)

// MaxIdentityChannels bounds the channel claims of one identity.
const MaxIdentityChannels = 16

// EmailIdentity is the link key of an e-mail address for a tenant: a hash,
// so that the address itself does not leave the edge.
func EmailIdentity(tenant, address string) string {
	sum := sha256.Sum256([]byte(tenant + "\x00" + strings.ToLower(strings.TrimSpace(address))))
	return "email:" + hex.EncodeToString(sum[:16])
}

// IsEmailIdentity reports whether key was made by EmailIdentity.
func IsEmailIdentity(key string) bool {
	return strings.HasPrefix(key, "email:") && len(key) == len("email:")+32
}

// IdentityClaims is the text whose HMAC-SHA256 (keyed with the tenant's
// identity secret) verifies an identity together with its e-mail address
// and channel user ids:
//
//	id "\n" "email:" lower(email) "\n" "channel:" <channel id> "=" <user> "\n"…
//
// with the channels sorted by id. A hash of the id alone still verifies
// the id (and nothing else is linked).
func IdentityClaims(id Identity) string {
	var b strings.Builder
	b.WriteString(id.ID)
	b.WriteString("\nemail:")
	b.WriteString(strings.ToLower(strings.TrimSpace(id.Email)))
	for _, k := range slices.Sorted(maps.Keys(id.Channels)) {
		b.WriteString("\nchannel:")
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(id.Channels[k])
	}
	return b.String()
}

// ValidLink reports whether key is an identity central may link to a
// contact: a channel's visitor or an e-mail identity.
func ValidLink(key string) bool {
	return IsEmailIdentity(key) || PlatformChannel(key) && len(key) <= 512
}
