package chat

import "time"

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
