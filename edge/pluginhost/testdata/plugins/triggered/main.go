// Command triggered tests kefu_triggers (plugins/ABI.md section 2.1): its
// inbound handler labels every message it sees (seen=1), so a test can
// tell the calls the host skipped. Trigger phrases by tenant: shop1
// "refund" and "退款"; cfg the config's comma-separated "words"; none no
// phrase at all (never called, as any other tenant: nil); nofilter an empty phrase (no filter:
// always called); panic traps.
package main

import (
	"strings"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		return pdk.Pass().WithLabel("seen", "1")
	})
	pdk.Triggers(func(tenant string) []string {
		switch tenant {
		case "shop1":
			return []string{"Refund", "退款"}
		case "cfg":
			v, _ := pdk.Config("words")
			return strings.Split(v, ",")
		case "none":
			return []string{}
		case "nofilter":
			return []string{"refund", ""}
		case "panic":
			panic("triggers fail on purpose")
		}
		return nil
	})
}

func main() {}
