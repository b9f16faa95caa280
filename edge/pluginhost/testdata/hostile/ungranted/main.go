// Command ungranted calls host functions it was not granted on "attack"
// and reports the errors it got back as its answer.
package main

import (
	"strings"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			var errs []string
			if _, err := pdk.HTTP(pdk.Request{Method: "GET", URL: "http://127.0.0.1:1/"}); err != nil {
				errs = append(errs, err.Error())
			}
			if err := pdk.KVSet("k", []byte("v"), 0); err != nil {
				errs = append(errs, err.Error())
			}
			if err := pdk.Alert(pdk.AlertMsg{Level: "high", Text: "x"}); err != nil {
				errs = append(errs, err.Error())
			}
			return pdk.Answer(strings.Join(errs, "; "))
		}
		return pdk.Answer("ok:ungranted")
	})
}

func main() {}
