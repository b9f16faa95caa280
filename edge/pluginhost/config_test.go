package pluginhost

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	good := `
plugin_dir = "plugins/dist"
cache_dir = "data/wazero"
poll_interval = "5s"

[defaults]
timeout = "50ms"
max_memory_pages = 256

[quota]
cpu_per_minute = "2s"
http_calls_per_minute = 60

[tenant_quotas.bigshop]
cpu_per_minute = "20s"

[regions.eu]
http_allow = ["orders.shop.example"]
alert_webhook = "https://sms.example/hook"
pipelines.inbound = ["pii-redact", "gdpr-residency", "sensitive-alert", "order-status"]
pipelines.outbound = ["geo-campaign"]

[regions.eu.plugins.pii-redact]
fail = "closed"

[regions.eu.plugins.order-status]
grants = ["http", "kv"]
config = { api = "https://orders.shop.example/v1" }
limits = { timeout = "800ms" }
`
	c, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	eu := c.Regions["eu"]
	if got := eu.Pipelines[HookInbound]; len(got) != 4 || got[3] != "order-status" {
		t.Fatalf("pipeline %v", got)
	}
	if l := c.limitsFor(eu, "order-status"); time.Duration(l.Timeout) != 800*time.Millisecond || l.MaxMemoryPages != 256 || l.PoolSize != 4 {
		t.Fatalf("order-status limits %+v", l)
	}
	if l := c.limitsFor(eu, "pii-redact"); time.Duration(l.Timeout) != 50*time.Millisecond {
		t.Fatalf("pii limits %+v", l)
	}
	if c.TenantQuotas["bigshop"].CPUPerMinute != Duration(20*time.Second) || c.Quota.HTTPCallsPerMinute != 60 {
		t.Fatalf("quotas %+v %+v", c.Quota, c.TenantQuotas)
	}

	bad := []struct{ name, toml, want string }{
		{"unknown key", `plugin_folder = "x"`, "plugin_folder"},
		{"bad duration", "[defaults]\ntimeout = \"soon\"", "duration"},
		{"bad hook", "[regions.eu]\npipelines.sideways = [\"a\"]", "unknown hook"},
		{"bad name", "[regions.eu]\npipelines.inbound = [\"../etc\"]", "bad plugin name"},
		{"twice", "[regions.eu]\npipelines.inbound = [\"a\", \"a\"]", "listed twice"},
		{"bad fail", "[regions.eu.plugins.a]\nfail = \"maybe\"", "open or closed"},
		{"bad grant", "[regions.eu.plugins.a]\ngrants = [\"root\"]", "unknown grant"},
		{"fs no dir", "[regions.eu.plugins.a]\ngrants = [\"fs\"]", "fs_dir"},
		{"bad key", `trusted_keys = ["abc"]`, "ed25519"},
		{"not toml", `[[[`, "config"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.toml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if strings.Contains(tc.want, "duration") || tc.name == "unknown key" || tc.name == "not toml" {
				return
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("not ErrConfig: %v", err)
			}
		})
	}
}
