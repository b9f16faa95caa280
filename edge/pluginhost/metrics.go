package pluginhost

import (
	"github.com/kefu-io/kefu/internal/metric"
)

// metrics are the Prometheus collectors of a Host.
type metrics struct {
	calls     *metric.CounterVec   // plugin, region, hook
	errors    *metric.CounterVec   // plugin, region, kind
	latency   *metric.HistogramVec // plugin, region
	instances *metric.GaugeVec     // plugin, region
	reloads   *metric.CounterVec   // plugin, result
	quota     *metric.CounterVec   // tenant, kind
	declines  *metric.CounterVec   // plugin, region
	skipped   *metric.CounterVec   // plugin, region
}

func newMetrics(reg metric.Registerer) *metrics {
	m := &metrics{
		calls: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_plugin_calls_total", Help: "Plugin hook calls.",
		}, []string{"plugin", "region", "hook"}),
		errors: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_plugin_errors_total", Help: "Plugin failures by kind (trap, exit, timeout, output, quota, unavailable).",
		}, []string{"plugin", "region", "kind"}),
		latency: metric.NewHistogramVec(metric.HistogramOpts{
			Name: "kefu_plugin_call_seconds", Help: "Plugin hook call latency, host side.",
			Buckets: []float64{5e-6, 2e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.02, 0.1, 0.5, 2},
		}, []string{"plugin", "region"}),
		instances: metric.NewGaugeVec(metric.GaugeOpts{
			Name: "kefu_plugin_instances", Help: "Live plugin instances.",
		}, []string{"plugin", "region"}),
		reloads: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_plugin_reloads_total", Help: "Plugin bundle installs by result (ok, refused).",
		}, []string{"plugin", "result"}),
		quota: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_plugin_quota_exceeded_total", Help: "Tenant quota refusals by kind (cpu, http).",
		}, []string{"tenant", "kind"}),
		declines: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_plugin_declines_total", Help: "Messages a plugin declined (verdict decline: not what it answers).",
		}, []string{"plugin", "region"}),
		skipped: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_plugin_skipped_total", Help: "Hook calls skipped: the text held none of the plugin's trigger phrases (kefu_triggers).",
		}, []string{"plugin", "region"}),
	}
	m.skipped = metric.MustShare(reg, m.skipped)
	m.calls = metric.MustShare(reg, m.calls)
	m.declines = metric.MustShare(reg, m.declines)
	m.errors = metric.MustShare(reg, m.errors)
	m.latency = metric.MustShare(reg, m.latency)
	m.instances = metric.MustShare(reg, m.instances)
	m.reloads = metric.MustShare(reg, m.reloads)
	m.quota = metric.MustShare(reg, m.quota)
	return m
}
