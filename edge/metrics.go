package edge

import (
	"github.com/kefu-io/kefu/internal/metric"
)

// metrics are one Node's Prometheus collectors, registered on
// Config.Registerer (cmd/kefu serves its registry at /metrics). Label
// values are bounded: frame types and error codes come from fixed sets,
// tenants from the configured sites.
type metrics struct {
	maxConns           *metric.Gauge
	channelRequests    *metric.CounterVec
	channelOut         *metric.CounterVec
	channelPassive     *metric.Histogram
	channelPassiveMiss *metric.Counter
	connections        *metric.Gauge
	connectionsTotal   *metric.Counter
	framesIn           *metric.CounterVec
	framesOut          *metric.CounterVec
	erasures           *metric.CounterVec
	errors             *metric.CounterVec
	pluginOutcomes     *metric.CounterVec
	inboundBusy        *metric.Counter
	intentHints        *metric.CounterVec // result: kept, replaced
	publishSeconds     *metric.Histogram
	publishFailures    *metric.Counter
	delivered          *metric.CounterVec
	localHits          *metric.CounterVec
	acks               *metric.Counter
	siteUpdates        *metric.Counter
}

// newMetrics makes a Node's collectors and registers them on reg (nil:
// counted, not exported). A collector reg has already (a second Node on
// the same registry) is shared.
func newMetrics(reg metric.Registerer) *metrics {
	m := &metrics{
		maxConns: metric.NewGauge(metric.GaugeOpts{
			Name: "kefu_edge_max_connections",
			Help: "The WebSocket connection cap in force (Config.MaxConns after the RLIMIT_NOFILE bound; 0: none).",
		}),
		channelRequests: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_channel_requests_total",
			Help: "Platform channel requests by kind and outcome (accepted, handshake, or the refusal code).",
		}, []string{"kind", "outcome"}),
		channelOut: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_channel_replies_total",
			Help: "Channel outbox deliveries by kind and outcome (sent, retry, already_sent).",
		}, []string{"kind", "outcome"}),
		channelPassive: metric.NewHistogram(metric.HistogramOpts{
			Name:    "kefu_edge_channel_passive_reply_seconds",
			Help:    "Time from a WeChat message's arrival to its passive reply.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 4, 5},
		}),
		channelPassiveMiss: metric.NewCounter(metric.CounterOpts{
			Name: "kefu_edge_channel_passive_misses_total",
			Help: "WeChat messages whose answer did not come within the passive window (sent later through the API).",
		}),
		connections: metric.NewGauge(metric.GaugeOpts{
			Name: "kefu_edge_connections",
			Help: "Open WebSocket connections.",
		}),
		connectionsTotal: metric.NewCounter(metric.CounterOpts{
			Name: "kefu_edge_connections_total",
			Help: "WebSocket connections accepted since start.",
		}),
		framesIn: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_frames_in_total",
			Help: "Frames received from clients by type (invalid: could not be decoded).",
		}, []string{"type"}),
		framesOut: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_frames_out_total",
			Help: "Frames queued to clients by type.",
		}, []string{"type"}),
		erasures: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_erasures_total",
			Help: "GDPR erasure events handled for served tenants, by stage (requested, completed; durable: applied from KEFU_ERASURE) or plugin_failed.",
		}, []string{"stage"}),
		errors: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_errors_total",
			Help: "Error frames sent and connection-level failures by code.",
		}, []string{"code"}),
		pluginOutcomes: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_plugin_outcomes_total",
			Help: "Plugin pipeline results by hook and verdict (error: fail-closed failure, panic: recovered panic).",
		}, []string{"hook", "verdict"}),
		inboundBusy: metric.NewCounter(metric.CounterOpts{
			Name: "kefu_edge_inbound_busy_total",
			Help: "Shopper messages refused with unavailable because the inbound plugin queue was full (Config.InboundQueue).",
		}),
		intentHints: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_intent_hints_total",
			Help: "Widget intent hints compared with the edge model's label, which plugins get: kept (the same label) or replaced (another).",
		}, []string{"result"}),
		publishSeconds: metric.NewHistogram(metric.HistogramOpts{
			Name:    "kefu_edge_publish_seconds",
			Help:    "Time from JetStream publish to PubAck for inbound envelopes.",
			Buckets: metric.ExponentialBuckets(0.0002, 2, 14),
		}),
		publishFailures: metric.NewCounter(metric.CounterOpts{
			Name: "kefu_edge_publish_failures_total",
			Help: "Inbound envelopes JetStream did not acknowledge (the client was told unavailable).",
		}),
		delivered: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_outbound_total",
			Help: "Outbound envelopes from central by result (delivered, no_socket, dropped, failed, invalid, closing).",
		}, []string{"result"}),
		localHits: metric.NewCounterVec(metric.CounterOpts{
			Name: "kefu_edge_local_hits_total",
			Help: "Questions the widget answered in the browser, reported through POST /w/hits.",
		}, []string{"tenant"}),
		acks: metric.NewCounter(metric.CounterOpts{
			Name: "kefu_edge_acks_total",
			Help: "Message ids clients acknowledged as rendered.",
		}),
		siteUpdates: metric.NewCounter(metric.CounterOpts{
			Name: "kefu_edge_site_updates_total",
			Help: "Site configuration changes applied from central's bucket (sites.go).",
		}),
	}
	if reg == nil {
		return m
	}
	m.maxConns = metric.MustShare(reg, m.maxConns)
	m.channelRequests = metric.MustShare(reg, m.channelRequests)
	m.channelOut = metric.MustShare(reg, m.channelOut)
	m.channelPassive = metric.MustShare(reg, m.channelPassive)
	m.channelPassiveMiss = metric.MustShare(reg, m.channelPassiveMiss)
	m.connections = metric.MustShare(reg, m.connections)
	m.connectionsTotal = metric.MustShare(reg, m.connectionsTotal)
	m.framesIn = metric.MustShare(reg, m.framesIn)
	m.framesOut = metric.MustShare(reg, m.framesOut)
	m.erasures = metric.MustShare(reg, m.erasures)
	m.errors = metric.MustShare(reg, m.errors)
	m.pluginOutcomes = metric.MustShare(reg, m.pluginOutcomes)
	m.inboundBusy = metric.MustShare(reg, m.inboundBusy)
	m.intentHints = metric.MustShare(reg, m.intentHints)
	m.publishSeconds = metric.MustShare(reg, m.publishSeconds)
	m.publishFailures = metric.MustShare(reg, m.publishFailures)
	m.delivered = metric.MustShare(reg, m.delivered)
	m.localHits = metric.MustShare(reg, m.localHits)
	m.acks = metric.MustShare(reg, m.acks)
	m.siteUpdates = metric.MustShare(reg, m.siteUpdates)
	return m
}
