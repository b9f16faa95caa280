package stack

import (
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kefu-io/kefu/internal/natsembed"
)

// TestSlowConsumerCounted overflows a subscription's pending limit: the
// slow-consumer error is counted, not dropped silently.
func TestSlowConsumerCounted(t *testing.T) {
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
	reg := prometheus.NewRegistry()
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
	for testutil.ToFloat64(counterOf(t, reg)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("slow consumer not counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func counterOf(t *testing.T, reg *prometheus.Registry) prometheus.Collector {
	t.Helper()
	mfs, _ := reg.Gather()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	for _, mf := range mfs {
		if mf.GetName() == "kefu_nats_slow_consumer_total" {
			for _, m := range mf.GetMetric() {
				c.Add(m.GetCounter().GetValue())
			}
		}
	}
	return c
}
