// Command order-status is the built-in Kefu plugin that answers order-status
// questions at the edge from the merchant's order API (see README.md for the
// recognised questions, the config and the API's JSON format).
//
// Grants: http (required), with the API host on the region's http_allow.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o order-status.wasm .
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result { return inbound(env, pdk.Config, pdk.HTTP) })
}

func main() {}
