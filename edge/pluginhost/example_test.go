package pluginhost_test

import (
	"fmt"

	"github.com/kefu-io/kefu/edge/pluginhost"
)

// A region's pipelines, grants and limits come from the edge's TOML config.
func ExampleParseConfig() {
	cfg, err := pluginhost.ParseConfig([]byte(`
[defaults]
max_loop_iterations = 50_000_000

[regions.eu]
http_allow = ["orders.shop.example"]
pipelines.inbound = ["pii-redact", "gdpr-residency", "sensitive-alert", "order-status"]

[regions.eu.plugins.pii-redact]
fail = "closed"

[regions.eu.plugins.order-status]
grants = ["http"]
config = { api = "https://orders.shop.example/v1" }
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	eu := cfg.Regions["eu"]
	fmt.Println(eu.Pipelines[pluginhost.HookInbound])
	fmt.Println(eu.Plugins["pii-redact"].Fail, eu.Plugins["order-status"].Grants)

	_, err = pluginhost.ParseConfig([]byte("[regions.eu.plugins.x]\ngrants = [\"root\"]"))
	fmt.Println(err)
	// Output:
	// [pii-redact gdpr-residency sensitive-alert order-status]
	// closed [http]
	// pluginhost: bad config: region "eu" plugin "x": unknown grant "root" ([kv http alert env fs vault])
}
