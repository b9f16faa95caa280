// Command neverinit never returns from its start function (_initialize).
package main

import "github.com/kefu-io/kefu/plugins/pdk"

var n int

func init() {
	for {
		n++
	}
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result { return pdk.Answer("ok:neverinit") })
}

func main() {}
