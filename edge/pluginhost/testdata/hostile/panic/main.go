// Command panic panics on "attack".
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			panic("hostile plugin panics on purpose")
		}
		return pdk.Answer("ok:panic")
	})
}

func main() {}
