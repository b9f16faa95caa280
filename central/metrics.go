package central

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are one Service's Prometheus collectors (kefu_central_*,
// kefu_alert_*), registered on Config.Registerer (cmd/kefu serves its
// registry at /metrics). A new metric is a field here, made in newMetrics.
type metrics struct {
	messagesStored  *prometheus.CounterVec
	handoffs        *prometheus.CounterVec
	queueDepth      prometheus.Gauge
	botAnswers      *prometheus.CounterVec
	inboundRejected *prometheus.CounterVec
	erasureRequests *prometheus.CounterVec
	slaBreaches     *prometheus.CounterVec
	translations    *prometheus.CounterVec
	replyLatency    prometheus.Histogram
	inboundBatch    prometheus.Histogram
	alertLatency    prometheus.Histogram
	alertDeliveries *prometheus.CounterVec
	webhookAttempts *prometheus.CounterVec
	webhookLatency  prometheus.Histogram
	webhookEnqueue  prometheus.Counter
}

// newMetrics makes a Service's collectors and registers them on reg (nil:
// counted, not exported). A collector reg has already (a second replica in
// the same process on the same registry) is shared.
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		messagesStored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "messages_stored_total",
			Help: "Messages stored, by author role (redeliveries are not counted).",
		}, []string{"role"}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "handoffs_total",
			Help: "Conversations moved to the human queue, by reason.",
		}, []string{"reason"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "kefu", Subsystem: "central", Name: "queue_depth",
			Help: "Conversations waiting for an agent (all tenants).",
		}),
		botAnswers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "bot_answers_total",
			Help: "Bot replies by outcome: answered (knowledge hit), fallback, or edge (a plugin answered at the edge; central records it).",
		}, []string{"outcome"}),
		inboundRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "inbound_rejected_total",
			Help: "Inbound envelopes refused (terminated, not redelivered), by reason.",
		}, []string{"reason"}),
		erasureRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "erasures_total",
			Help: "GDPR erasure requests by stage: requested (recorded), completed (data erased), stream_failed (not put on KEFU_ERASURE).",
		}, []string{"stage"}),
		slaBreaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "sla_breaches_total",
			Help: "SLA targets passed, by target (first_response, resolution).",
		}, []string{"target"}),
		translations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "translations_total",
			Help: "Machine translations by outcome (ok, failed: the message went untranslated).",
		}, []string{"outcome"}),
		replyLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kefu", Subsystem: "central", Name: "reply_seconds",
			Help:    "Time from receiving an inbound message to acking it (stored, routed, answered).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		inboundBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kefu", Subsystem: "central", Name: "inbound_batch_messages",
			Help:    "Shopper messages central took from JetStream in one batch (consume.go).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		alertLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kefu_alert_latency_seconds",
			Help:    "Shopper message birth to the alert adapter's answer.",
			Buckets: []float64{.05, .1, .2, .3, .5, .75, 1, 2, 5, 10, 30}}),
		alertDeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kefu_alert_deliveries_total",
			Help: "Alert delivery attempts by adapter and outcome."}, []string{"adapter", "outcome"}),
		webhookAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome: delivered, retry, failed (gave up).",
		}, []string{"outcome"}),
		webhookLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "kefu", Subsystem: "central", Name: "webhook_delivery_seconds",
			Help:    "From the event to the receiver's 2xx answer.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16),
		}),
		webhookEnqueue: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "webhook_enqueue_errors_total",
			Help: "Events that could not be written to the webhook outbox.",
		}),
	}
	if reg == nil {
		return m
	}
	m.messagesStored = register(reg, m.messagesStored)
	m.handoffs = register(reg, m.handoffs)
	m.queueDepth = register(reg, m.queueDepth)
	m.botAnswers = register(reg, m.botAnswers)
	m.inboundRejected = register(reg, m.inboundRejected)
	m.erasureRequests = register(reg, m.erasureRequests)
	m.slaBreaches = register(reg, m.slaBreaches)
	m.translations = register(reg, m.translations)
	m.replyLatency = register(reg, m.replyLatency)
	m.inboundBatch = register(reg, m.inboundBatch)
	m.alertLatency = register(reg, m.alertLatency)
	m.alertDeliveries = register(reg, m.alertDeliveries)
	m.webhookAttempts = register(reg, m.webhookAttempts)
	m.webhookLatency = register(reg, m.webhookLatency)
	m.webhookEnqueue = register(reg, m.webhookEnqueue)
	return m
}

// register registers c on reg, or returns the collector reg already has
// under c's descriptor.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if prev, ok := are.ExistingCollector.(C); ok {
				return prev
			}
		}
		panic("central: register metric: " + err.Error())
	}
	return c
}

// updateQueueDepth sets the queue-depth gauge from the store.
func (s *Service) updateQueueDepth(ctx context.Context) {
	if n, err := s.st.QueueDepth(ctx, ""); err == nil {
		s.m.queueDepth.Set(float64(n))
	}
}
