package stack

import (
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/natsembed"
)

// TestSlowConsumerCounted overflows a subscription's pending limit: the
// slow-consumer error is counted, not dropped silently.
func TestSlowConsumerCounted(t *testing.T) {
	t.Parallel()
	ns, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	nc, err := ns.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	reg := metric.NewRegistry()
	WatchNATSErrors(nc, "edge", reg, slog.New(slog.DiscardHandler))
	block := make(chan struct{})
	sub, err := nc.Subscribe("slow", func(*nats.Msg) { <-block })
	if err != nil {
		t.Fatal(err)
	}
	defer close(block)
	_ = sub.SetPendingLimits(2, 1<<20)
	for range 50 {
		_ = nc.Publish("slow", []byte("x"))
	}
	_ = nc.Flush()
	deadline := time.Now().Add(10 * time.Second)
	for slowConsumers(reg) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("slow consumer not counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// slowConsumers sums kefu_nats_slow_consumer_total over its labels.
func slowConsumers(reg *metric.Registry) float64 {
	n := 0.0
	for _, f := range reg.Gather() {
		if f.Name == "kefu_nats_slow_consumer_total" {
			for _, m := range f.Metrics {
				n += m.Value
			}
		}
	}
	return n
}
