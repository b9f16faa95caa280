package chat

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// BucketSites is the JetStream key-value bucket where central keeps every
// site's configuration (key: the site key, value: a SiteConfig). Edges
// watch it: a change made with `kefu admin` or the console applies at every
// edge within seconds, without a restart; a deleted key removes the site.
// An edge keeps a copy of what it last saw, so one that starts while
// central (or the link to it) is down serves the last configuration.
const BucketSites = "KEFU_SITES"

// SiteConfig is one site's configuration as central publishes it.
type SiteConfig struct {
	V      int    `json:"v"`
	Site   string `json:"site"`
	Tenant string `json:"tenant"`
	Name   string `json:"name,omitempty"`
	// Origins are the page origins allowed to open the widget
	// ("https://shop.example"); the edge answers any other Origin with 403
	// before the WebSocket upgrade.
	Origins []string `json:"origins"`
	// Settings are the tenant's public settings (widget.greeting,
	// widget.languages, …): what may reach shoppers' browsers.
	Settings map[string]string `json:"settings,omitempty"`
	// IdentitySecret keys the HMAC-SHA256 of identify() hashes, which the
	// edge verifies (docs/PROTOCOL.md, "Identity"). Edges are trusted parts
	// of the deployment; the bucket is not readable by shoppers.
	IdentitySecret string    `json:"identity_secret,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Identity is a signed-in shopper as the merchant's page (window.Kefu.identify)
// or a native app (the hello frame's "identity") presents them: Hash is the
// hex HMAC-SHA256 of ID keyed with the tenant's identity secret, computed by
// the merchant's backend. The edge verifies it; see docs/PROTOCOL.md.
type Identity struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Channels are the shopper's user ids on the tenant's platform
	// channels (channel id → openid, chat id, phone number…), as the
	// merchant knows them (WeChat OAuth, a linked Telegram account). With
	// Email they are linked to the contact only when Hash signs them too
	// (IdentityClaims); never on the page's word alone.
	Channels map[string]string `json:"channels,omitempty"`
	Hash     string            `json:"hash"`
}

// CodeIdentityRefused is the error code of an identity whose hash does not
// verify; the connection goes on anonymously.
const CodeIdentityRefused = "identity_refused"

// LabelMergeVisitor, set by the edge on the messages of a verified
// contact, names the anonymous visitor id the same browser used before
// identify(): central moves that visitor's conversations to the contact.
const LabelMergeVisitor = "merge_visitor"

// ContactVisitor is the visitor id of a verified shopper: the same on every
// device for the same tenant and id, and not the id itself (which may be
// an e-mail address).
func ContactVisitor(tenant, id string) string {
	sum := sha256.Sum256([]byte(tenant + "\x00" + id))
	return "u_" + hex.EncodeToString(sum[:16])
}

// IsContactVisitor reports whether visitor was made by ContactVisitor.
func IsContactVisitor(visitor string) bool {
	return strings.HasPrefix(visitor, "u_") && len(visitor) == 34
}
