// Command socket tries to open network connections on "attack" (the
// address comes from config "addr") and reports what happened.
package main

import (
	"net"
	"time"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			addr, _ := pdk.Config("addr")
			c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err != nil {
				return pdk.Answer("dial error: " + err.Error())
			}
			_, _ = c.Write([]byte("leak"))
			_ = c.Close()
			return pdk.Answer("connected")
		}
		return pdk.Answer("ok:socket")
	})
}

func main() {}
