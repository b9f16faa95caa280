// Command sensitive-alert is the built-in Kefu plugin that raises an alert
// when a shopper's message contains a word the merchant watches (投诉,
// 12315, 律师, 曝光, chargeback, lawyer…): the host posts it to the region's
// alert_webhook (the SMS/phone gateway adapter) asynchronously, so it leaves
// the edge within the hook call, well under a second.
//
// The message passes on (label alert=<word>); alerts are rate-limited per
// conversation (one per "cooldown", default 10m) so an angry thread pages
// the merchant once, not per message. The limit is kept in the host KV when
// the plugin has the kv grant (shared by all instances), else per instance.
//
// Config:
//
//	words            = "投诉,12315,律师,曝光,chargeback,lawyer"  # default list below
//	words.<tenant>   = "…"          # a tenant's own list replaces the default
//	console_url      = "https://kefu.example/console#c="  # link = console_url + conversation id
//	level            = "high"
//	cooldown         = "10m"
//
// Grants: alert (required), kv (recommended).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o sensitive-alert.wasm .
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result { return inbound(env, pdk.Config, pdk.Now()) })
	// A text without any watched word passes untouched (match finds
	// words only where they occur in the lower-cased text), so the host
	// need not call the plugin for it.
	pdk.Triggers(func(tenant string) []string { return wordsFor(pdk.Config, tenant) })
}

func main() {}
