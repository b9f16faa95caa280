// Command geo-campaign is the built-in Kefu plugin that appends a
// region-targeted promotion to outbound replies (bot and agent messages),
// once per conversation and campaign, following the merchant's campaign
// config.
//
// Config key "campaigns" holds a JSON array:
//
//	[{"id":"eu-winter","regions":["eu"],"countries":["DE","AT"],
//	  "start":"2025-01-01T00:00:00Z","end":"2025-02-01T00:00:00Z",
//	  "text":{"en":"Winter sale: -20% with code WINTER20","de":"Winterschlussverkauf: -20 % mit WINTER20"},
//	  "tenants":["shop1"]}]
//
// A campaign applies when the envelope's region is in regions (empty: all),
// its "country" label (set by the edge from the shopper's location) is in
// countries (empty: all), the tenant is in tenants (empty: all) and now is
// within [start, end). The text is chosen by the reply's lang, else "en",
// else any. The first matching campaign wins. A proactive promotion
// notice from central (label promotion=1) gets the matching campaign's
// text instead of its own, and is dropped where no campaign applies, so
// the offer is decided in the shopper's region. "Once per conversation" is
// kept in the host KV with the kv grant, else per instance.
//
// Grants: kv (recommended).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o geo-campaign.wasm .
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnOutbound(func(env *pdk.Envelope) pdk.Result { return outbound(env, pdk.Config, pdk.Now()) })
}

func main() {}
