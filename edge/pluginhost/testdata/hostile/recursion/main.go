// Command recursion recurses without bound on "attack".
package main

import "github.com/kefu-io/kefu/plugins/pdk"

//go:noinline
func deep(n int) int {
	var pad [64]byte
	pad[n%64] = byte(n)
	return deep(n+1) + int(pad[0])
}

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			_ = deep(0)
		}
		return pdk.Answer("ok:recursion")
	})
}

func main() {}
