package central

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/kefu-io/kefu/central/store"
)

// Metrics on the default Prometheus registry (served by cmd/kefu at /metrics).
var (
	messagesStored = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "kefu", Subsystem: "central", Name: "messages_stored_total",
		Help: "Messages stored, by author role (redeliveries are not counted).",
	}, []string{"role"})
	handoffs = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "kefu", Subsystem: "central", Name: "handoffs_total",
		Help: "Conversations moved to the human queue, by reason.",
	}, []string{"reason"})
	queueDepth = promauto.NewGauge(prometheus.GaugeOpts{
		Namespace: "kefu", Subsystem: "central", Name: "queue_depth",
		Help: "Conversations waiting for an agent (all tenants).",
	})
	botAnswers = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "kefu", Subsystem: "central", Name: "bot_answers_total",
		Help: "Bot replies by outcome: answered (knowledge hit), fallback, or edge (a plugin answered at the edge; central records it).",
	}, []string{"outcome"})
	inboundRejected = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "kefu", Subsystem: "central", Name: "inbound_rejected_total",
		Help: "Inbound envelopes refused (terminated, not redelivered), by reason.",
	}, []string{"reason"})
	erasureRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "kefu", Subsystem: "central", Name: "erasures_total",
		Help: "GDPR erasure requests by stage: requested (recorded) and completed (data erased).",
	}, []string{"stage"})
	slaBreaches = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "kefu", Subsystem: "central", Name: "sla_breaches_total",
		Help: "SLA targets passed, by target (first_response, resolution).",
	}, []string{"target"})
	translations = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "kefu", Subsystem: "central", Name: "translations_total",
		Help: "Machine translations by outcome (ok, failed: the message went untranslated).",
	}, []string{"outcome"})
	replyLatency = promauto.NewHistogram(prometheus.HistogramOpts{
		Namespace: "kefu", Subsystem: "central", Name: "reply_seconds",
		Help:    "Time from receiving an inbound message to acking it (stored, routed, answered).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
)

func updateQueueDepth(ctx context.Context, st store.Store) {
	if n, err := st.QueueDepth(ctx, ""); err == nil {
		queueDepth.Set(float64(n))
	}
}
