// Command passthrough is the smallest Kefu plugin: it passes every message
// unchanged. It is the baseline of `kefu bench plugins` and a template.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o passthrough.wasm .
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnInbound(func(*pdk.Envelope) pdk.Result { return pdk.Pass() })
	pdk.OnOutbound(func(*pdk.Envelope) pdk.Result { return pdk.Pass() })
}

func main() {}
