package stack

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/internal/metric"
)

// WatchNATSErrors installs nc's asynchronous error handler: a slow
// consumer (a subscription whose pending messages overflowed, so NATS
// dropped some) is counted in kefu_nats_slow_consumer_total{conn,subject}
// on reg and logged at most once a second per connection, instead of
// being dropped silently; other asynchronous errors are logged.
func WatchNATSErrors(nc *nats.Conn, name string, reg metric.Registerer, log *slog.Logger) {
	counter := metric.NewCounterVec(metric.CounterOpts{Name: "kefu_nats_slow_consumer_total",
		Help: "NATS slow-consumer events (messages dropped for a subscription that fell behind), by connection and subject."},
		[]string{"conn", "subject"})
	counter = metric.MustShare(reg, counter)
	var mu sync.Mutex
	var last time.Time
	nc.SetErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
		subject := ""
		if sub != nil {
			subject = sub.Subject
		}
		slow := errors.Is(err, nats.ErrSlowConsumer)
		if slow {
			counter.WithLabelValues(name, subject).Inc()
		}
		mu.Lock()
		quiet := slow && time.Since(last) < time.Second
		if !quiet {
			last = time.Now()
		}
		mu.Unlock()
		if !quiet {
			log.Warn("nats: asynchronous error", "conn", name, "subject", subject, "slow_consumer", slow, "err", err)
		}
	})
}
