package stack

import (
	"context"
	"log/slog"
	"time"

	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/plugins/builtin"
	"github.com/kefu-io/kefu/plugins/order-status/testserver"
)

// demoCampaigns is the geo-campaign config of the demo store: one promotion
// for shoppers of every region, in six languages.
const demoCampaigns = `[{"id":"winter-sale","text":{
 "en":"🎁 Winter sale: 15% off outerwear with code WINTER15 until Sunday.",
 "zh":"🎁 冬季特惠:外套满减,结账输入 WINTER15 立享 85 折,截至本周日。",
 "de":"🎁 Winter-Sale: 15 % auf Jacken mit dem Code WINTER15 bis Sonntag.",
 "fr":"🎁 Soldes d'hiver : -15 % sur les vestes avec le code WINTER15 jusqu'à dimanche.",
 "es":"🎁 Rebajas de invierno: 15 % en chaquetas con el código WINTER15 hasta el domingo.",
 "ja":"🎁 冬のセール:コード WINTER15 でアウター15%オフ(日曜日まで)。"}}]`

// DefaultPluginConfig runs the built-in plugins on the "local" region:
// inbound pii-redact → gdpr-residency → sensitive-alert → order-status,
// outbound geo-campaign. orderAPI is the merchant order API order-status
// asks ("http://127.0.0.1:PORT/v1/orders"), allowHost its host:port.
// Masking plugins fail closed: if they cannot run, the message is refused
// rather than forwarded in clear text. pii-redact keeps the masked values in
// the region's vault for agents to reveal at the edge (POST /v1/reveal);
// Start keeps the vault under the data folder (Config.VaultDir). Plugins
// missing from the build are left out.
func DefaultPluginConfig(cacheDir, orderAPI, allowHost string, log *slog.Logger) pluginhost.Config {
	settings := map[string]pluginhost.Plugin{
		"pii-redact":      {Fail: pluginhost.FailClosed, Grants: []string{pluginhost.CapVault}},
		"gdpr-residency":  {Fail: pluginhost.FailClosed, Grants: []string{pluginhost.CapKV}},
		"sensitive-alert": {Grants: []string{pluginhost.CapAlert, pluginhost.CapKV}, Config: map[string]string{"console_url": "/console/#c="}},
		"order-status":    {Grants: []string{pluginhost.CapHTTP}, Config: map[string]string{"api": orderAPI}},
		"geo-campaign":    {Grants: []string{pluginhost.CapKV}, Config: map[string]string{"campaigns": demoCampaigns}},
	}
	region := pluginhost.Region{
		Pipelines: map[pluginhost.Hook][]string{},
		Plugins:   map[string]pluginhost.Plugin{},
		HTTPAllow: []string{allowHost},
		// A shared 2-core machine must not time out a cold instance.
		Limits: pluginhost.Limits{Timeout: pluginhost.Duration(time.Second)},
	}
	add := func(hook pluginhost.Hook, names ...string) {
		for _, n := range names {
			if builtin.Has(n) {
				region.Pipelines[hook] = append(region.Pipelines[hook], n)
				region.Plugins[n] = settings[n]
			}
		}
	}
	add(pluginhost.HookInbound, "pii-redact", "gdpr-residency", "sensitive-alert", "order-status")
	add(pluginhost.HookOutbound, "geo-campaign")
	return pluginhost.Config{
		CacheDir:     cacheDir,
		PollInterval: pluginhost.Duration(-1),
		Builtin:      builtin.Lookup,
		Regions:      map[string]pluginhost.Region{"local": region},
		Logger:       log,
		AlertSink: func(_ context.Context, a pluginhost.Alert) {
			log.Warn("sensitive-word alert", "tenant", a.Tenant, "conversation", a.ConversationID, "text", a.Text, "link", a.Link)
		},
	}
}

// startOrderAPI starts the demo store's order API (the documented format of
// plugins/order-status) on a loopback port, with a few orders to ask about.
func startOrderAPI() *testserver.Server {
	day := func(d int) string { return time.Now().AddDate(0, 0, d).Format("2006-01-02") }
	return testserver.New(
		testserver.Order{ID: "12345", Status: "in_transit", Carrier: "DHL", Tracking: "00340434161094042557", ETA: day(2), LastEvent: "Arrived at the sorting centre", Total: 129.90, Currency: "EUR", Postcode: "10115", Email: "demo@shop.example"},
		testserver.Order{ID: "20241125", Status: "processing", ETA: day(4), Total: 59, Currency: "EUR", Postcode: "75001"},
		testserver.Order{ID: "88888", Status: "delivered", Carrier: "SF Express", Total: 899, Currency: "CNY", Postcode: "518000"},
	)
}
