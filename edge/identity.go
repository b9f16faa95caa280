package edge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kefu-io/kefu/chat"
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

// maxIdentityID bounds the id a page may present.
const maxIdentityID = 256

// verifyIdentity reports whether id's hash verifies with secret.
func verifyIdentity(secret string, id *chat.Identity) (bool, string) {
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
	m.Write([]byte(id.ID))
	if !hmac.Equal(m.Sum(nil), want) {
		return false, "identity hash does not match: compute HMAC-SHA256(identity_secret, id) on your server"
	}
	return true, ""
}
