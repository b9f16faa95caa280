package edge

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/channels"
)

// Identity verification (docs/PROTOCOL.md, "Identity"): a hello frame may
// carry chat.Identity{id, hash} where hash is the hex HMAC-SHA256 of id
// keyed with the tenant's identity secret (from central's site
// configuration). A verified shopper's visitor id is
// chat.ContactVisitor(tenant, id), the same on every device, so every
// browser and app of the shopper shares one history; the id itself never
// leaves the edge (only its hash), nor do the name and e-mail. A hash that
// does not verify is refused with error identity_refused and the
// connection goes on anonymously. The anonymous visitor id of the same
// hello is merged into the contact by central (chat.LabelMergeVisitor).

// A hash may also sign the identity's e-mail address and its user ids on
// the tenant's platform channels (chat.IdentityClaims): those are then
// linked to the contact at central (chat.LabelContactLinks, the hello's
// history request), so that the shopper's WeChat or e-mail conversations
// are the contact's. Claims a hash does not sign are never linked. A
// visitor id that is a contact's, presented without a verified identity,
// is not taken: the connection gets a fresh anonymous visitor.

// maxIdentityID bounds the id a page may present.
const maxIdentityID = 256

// verifyIdentity reports whether id's hash verifies with secret; claims
// is true when the hash signs the e-mail address and channel user ids too
// (chat.IdentityClaims), which may then be linked to the contact.
func verifyIdentity(secret string, id *chat.Identity) (ok, claims bool, why string) {
	ok, why = verifyHash(secret, id, id.ID)
	if ok || why != errHashMismatch || (id.Email == "" && len(id.Channels) == 0) {
		return ok, false, why
	}
	if len(id.Channels) > chat.MaxIdentityChannels {
		return false, false, fmt.Sprintf("at most %d channel identities", chat.MaxIdentityChannels)
	}
	if ok, _ = verifyHash(secret, id, chat.IdentityClaims(*id)); ok {
		return true, true, ""
	}
	return false, false, errHashMismatch + " (or, to link the e-mail address and channel ids, of the claims: see PROTOCOL.md 2.1b)"
}

const errHashMismatch = "identity hash does not match: compute HMAC-SHA256(identity_secret, id) on your server"

// verifyHash reports whether id's hash is the HMAC of signed with secret.
func verifyHash(secret string, id *chat.Identity, signed string) (bool, string) {
	switch {
	case secret == "":
		return false, "this site does not verify identities (no identity secret in its configuration)"
	case id.ID == "" || len(id.ID) > maxIdentityID:
		return false, "identity id must be 1 to 256 bytes"
	}
	want, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(id.Hash)))
	if err != nil || len(want) != sha256.Size {
		return false, "identity hash must be the hex HMAC-SHA256 of the id (64 hex characters)"
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signed))
	if !hmac.Equal(m.Sum(nil), want) {
		return false, errHashMismatch
	}
	return true, ""
}

// identityLinks turns the verified claims of an identity into the link
// keys central keeps (chat.LabelContactLinks): the e-mail identity, and
// the channel visitor of each claimed channel user (pseudonymised, and
// recorded, for the kinds whose user ids are personal). Claims of unknown
// channels or of another tenant's are left out.
func (n *Node) identityLinks(ctx context.Context, tenant string, id *chat.Identity) []string {
	var links []string
	if e := strings.TrimSpace(id.Email); e != "" && len(e) <= 254 && strings.Contains(e, "@") {
		links = append(links, chat.EmailIdentity(tenant, e))
	}
	for _, chID := range slices.Sorted(maps.Keys(id.Channels)) {
		user := id.Channels[chID]
		if !chat.ValidID(chID) || user == "" || len(user) > 256 || !utf8.ValidString(user) || strings.ContainsAny(user, " \t\r\n") {
			continue
		}
		cfg, err := n.lookupChannel(ctx, chID)
		if err != nil || cfg.Tenant != tenant {
			n.log.Info("edge: identity names a channel this tenant lacks; not linked", "channel", clip(chID))
			continue
		}
		if channels.Pseudonymous(cfg.Kind) {
			if user, err = n.pseudonym(ctx, cfg.ID, user); err != nil {
				n.log.Warn("edge: identity channel not linked", "channel", cfg.ID, "err", err)
				continue
			}
		}
		links = append(links, chat.ChannelVisitor(cfg.ID, user))
	}
	return links
}
