// Command guard stands for a data-protecting plugin (like pii-redact): its
// manifest declares pdk.PolicyFailClosed, it panics on "attack" and
// otherwise masks "secret" as "[X]".
package main

import (
	"strings"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func init() {
	pdk.Declare(pdk.PolicyFailClosed)
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text == "attack" {
			panic("guard fails on purpose")
		}
		return pdk.ModifyText(strings.ReplaceAll(env.Message.Text, "secret", "[X]"))
	})
}

func main() {}
