// Command loop spins forever on "attack".
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			n := 0
			for {
				n++
			}
		}
		return pdk.Answer("ok:loop")
	})
}

func main() {}
