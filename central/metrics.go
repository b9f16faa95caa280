package central

import (
	"context"

	"github.com/kefu-io/kefu/internal/metric"
)

// metrics are one Service's Prometheus collectors (kefu_central_*,
// kefu_alert_*), registered on Config.Registerer (cmd/kefu serves its
// registry at /metrics). A new metric is a field here, made in newMetrics.
type metrics struct {
	messagesStored  *metric.CounterVec
	handoffs        *metric.CounterVec
	queueDepth      *metric.Gauge
	botAnswers      *metric.CounterVec
	inboundRejected *metric.CounterVec
	erasureRequests *metric.CounterVec
	slaBreaches     *metric.CounterVec
	translations    *metric.CounterVec
	replyLatency    *metric.Histogram
	inboundBatch    *metric.Histogram
	alertLatency    *metric.Histogram
	alertDeliveries *metric.CounterVec
	webhookAttempts *metric.CounterVec
	webhookLatency  *metric.Histogram
	webhookEnqueue  *metric.Counter
	erasedFallbacks *metric.Counter
}

// newMetrics makes a Service's collectors and registers them on reg (nil:
// counted, not exported). A collector reg has already (a second replica in
// the same process on the same registry) is shared.
func newMetrics(reg metric.Registerer) *metrics {
	m := &metrics{
		messagesStored: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "messages_stored_total",
			Help: "Messages stored, by author role (redeliveries are not counted).",
		}, []string{"role"}),
		handoffs: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "handoffs_total",
			Help: "Conversations moved to the human queue, by reason.",
		}, []string{"reason"}),
		queueDepth: metric.NewGauge(metric.GaugeOpts{
			Namespace: "kefu", Subsystem: "central", Name: "queue_depth",
			Help: "Conversations waiting for an agent (all tenants).",
		}),
		botAnswers: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "bot_answers_total",
			Help: "Bot replies by outcome: answered (knowledge hit), fallback, or edge (a plugin answered at the edge; central records it).",
		}, []string{"outcome"}),
		inboundRejected: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "inbound_rejected_total",
			Help: "Inbound envelopes refused (terminated, not redelivered), by reason.",
		}, []string{"reason"}),
		erasureRequests: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "erasures_total",
			Help: "GDPR erasure requests by stage: requested (recorded), completed (data erased), stream_failed (not put on KEFU_ERASURE).",
		}, []string{"stage"}),
		slaBreaches: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "sla_breaches_total",
			Help: "SLA targets passed, by target (first_response, resolution).",
		}, []string{"target"}),
		translations: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "translations_total",
			Help: "Machine translations by outcome (ok, failed: the message went untranslated).",
		}, []string{"outcome"}),
		replyLatency: metric.NewHistogram(metric.HistogramOpts{
			Namespace: "kefu", Subsystem: "central", Name: "reply_seconds",
			Help:    "Time from receiving an inbound message to acking it (stored, routed, answered).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		inboundBatch: metric.NewHistogram(metric.HistogramOpts{
			Namespace: "kefu", Subsystem: "central", Name: "inbound_batch_messages",
			Help:    "Shopper messages central took from JetStream in one batch (consume.go).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		alertLatency: metric.NewHistogram(metric.HistogramOpts{Name: "kefu_alert_latency_seconds",
			Help:    "Shopper message birth to the alert adapter's answer.",
			Buckets: []float64{.05, .1, .2, .3, .5, .75, 1, 2, 5, 10, 30}}),
		alertDeliveries: metric.NewCounterVec(metric.CounterOpts{Name: "kefu_alert_deliveries_total",
			Help: "Alert delivery attempts by adapter and outcome."}, []string{"adapter", "outcome"}),
		webhookAttempts: metric.NewCounterVec(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome: delivered, retry, failed (gave up).",
		}, []string{"outcome"}),
		webhookLatency: metric.NewHistogram(metric.HistogramOpts{
			Namespace: "kefu", Subsystem: "central", Name: "webhook_delivery_seconds",
			Help:    "From the event to the receiver's 2xx answer.",
			Buckets: metric.ExponentialBuckets(0.005, 2, 16),
		}),
		webhookEnqueue: metric.NewCounter(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "webhook_enqueue_errors_total",
			Help: "Events that could not be written to the webhook outbox.",
		}),
		erasedFallbacks: metric.NewCounter(metric.CounterOpts{
			Namespace: "kefu", Subsystem: "central", Name: "erased_bucket_gets_total",
			Help: "Inbound messages whose erasure check asked the bucket KEFU_ERASED because the local view was not current (erasedview.go).",
		}),
	}
	if reg == nil {
		return m
	}
	m.messagesStored = metric.MustShare(reg, m.messagesStored)
	m.handoffs = metric.MustShare(reg, m.handoffs)
	m.queueDepth = metric.MustShare(reg, m.queueDepth)
	m.botAnswers = metric.MustShare(reg, m.botAnswers)
	m.inboundRejected = metric.MustShare(reg, m.inboundRejected)
	m.erasureRequests = metric.MustShare(reg, m.erasureRequests)
	m.slaBreaches = metric.MustShare(reg, m.slaBreaches)
	m.translations = metric.MustShare(reg, m.translations)
	m.replyLatency = metric.MustShare(reg, m.replyLatency)
	m.inboundBatch = metric.MustShare(reg, m.inboundBatch)
	m.alertLatency = metric.MustShare(reg, m.alertLatency)
	m.alertDeliveries = metric.MustShare(reg, m.alertDeliveries)
	m.webhookAttempts = metric.MustShare(reg, m.webhookAttempts)
	m.webhookLatency = metric.MustShare(reg, m.webhookLatency)
	m.webhookEnqueue = metric.MustShare(reg, m.webhookEnqueue)
	m.erasedFallbacks = metric.MustShare(reg, m.erasedFallbacks)
	return m
}

// updateQueueDepth sets the queue-depth gauge from the store.
func (s *Service) updateQueueDepth(ctx context.Context) {
	if n, err := s.st.QueueDepth(ctx, ""); err == nil {
		s.m.queueDepth.Set(float64(n))
	}
}
