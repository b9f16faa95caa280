package edge

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics live on the default Prometheus registry (cmd/kefu serves it at
// /metrics). Label values are bounded: frame types and error codes come from
// fixed sets, tenants from the configured sites.
var (
	metricChannelRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_channel_requests_total",
		Help: "Platform channel requests by kind and outcome (accepted, handshake, or the refusal code).",
	}, []string{"kind", "outcome"})
	metricChannelOut = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_channel_replies_total",
		Help: "Channel outbox deliveries by kind and outcome (sent, retry, already_sent).",
	}, []string{"kind", "outcome"})
	metricChannelPassive = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "kefu_edge_channel_passive_reply_seconds",
		Help:    "Time from a WeChat message's arrival to its passive reply.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 4, 5},
	})
	metricChannelPassiveMiss = promauto.NewCounter(prometheus.CounterOpts{
		Name: "kefu_edge_channel_passive_misses_total",
		Help: "WeChat messages whose answer did not come within the passive window (sent later through the API).",
	})
	metricConnections = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "kefu_edge_connections",
		Help: "Open WebSocket connections.",
	})
	metricConnectionsTotal = promauto.NewCounter(prometheus.CounterOpts{
		Name: "kefu_edge_connections_total",
		Help: "WebSocket connections accepted since start.",
	})
	metricFramesIn = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_frames_in_total",
		Help: "Frames received from clients by type (invalid: could not be decoded).",
	}, []string{"type"})
	metricFramesOut = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_frames_out_total",
		Help: "Frames queued to clients by type.",
	}, []string{"type"})
	metricErasures = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_erasures_total",
		Help: "GDPR erasure events handled for served tenants, by stage (requested, completed) or plugin_failed.",
	}, []string{"stage"})
	metricErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_errors_total",
		Help: "Error frames sent and connection-level failures by code.",
	}, []string{"code"})
	metricPluginOutcomes = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_plugin_outcomes_total",
		Help: "Plugin pipeline results by hook and verdict (error: fail-closed failure, panic: recovered panic).",
	}, []string{"hook", "verdict"})
	metricPublishSeconds = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "kefu_edge_publish_seconds",
		Help:    "Time from JetStream publish to PubAck for inbound envelopes.",
		Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
	})
	metricPublishFailures = promauto.NewCounter(prometheus.CounterOpts{
		Name: "kefu_edge_publish_failures_total",
		Help: "Inbound envelopes JetStream did not acknowledge (the client was told unavailable).",
	})
	metricDelivered = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_outbound_total",
		Help: "Outbound envelopes from central by result (delivered, no_socket, dropped, failed, invalid).",
	}, []string{"result"})
	metricLocalHits = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "kefu_edge_local_hits_total",
		Help: "Questions the widget answered in the browser, reported through POST /w/hits.",
	}, []string{"tenant"})
	metricAcks = promauto.NewCounter(prometheus.CounterOpts{
		Name: "kefu_edge_acks_total",
		Help: "Message ids clients acknowledged as rendered.",
	})
)
