package pluginhost

import (
	"context"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/internal/proccpu"
)

// BenchmarkPassthrough: one Run through a one-plugin pipeline (the
// pass-through example, which decodes the envelope with the Go PDK) with a
// 1 KiB message text. Compare with Extism: ./hostbench.
func BenchmarkPassthrough(b *testing.B) {
	h, _ := testHost(b, region("passthrough"), map[string][]byte{"passthrough": passthrough(b)})
	env := envelope(strings.Repeat("where is my order 12345? ", 41)[:1024])
	ctx := context.Background()
	b.ReportAllocs()
	c0 := proccpu.Used()
	for b.Loop() {
		if _, err := h.Run(ctx, "t", HookInbound, env); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(proccpu.Used()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkGuests compares guests on a short message: the PDK pass-through
// (decodes the envelope), a hand-written Go guest that does not decode
// (hostile/bigoutput's normal path), and the kitchen plugin's pass.
func BenchmarkGuests(b *testing.B) {
	for _, g := range []struct {
		name string
		wasm func(testing.TB) []byte
		text string
	}{
		{"pdk-passthrough", passthrough, "hello"},
		{"raw-go", func(t testing.TB) []byte { return hostile(t, "bigoutput") }, "hello"},
	} {
		b.Run(g.name, func(b *testing.B) {
			h, _ := testHost(b, region("p"), map[string][]byte{"p": g.wasm(b)})
			env := envelope(g.text)
			ctx := context.Background()
			c0 := proccpu.Used()
			for b.Loop() {
				if _, err := h.Run(ctx, "t", HookInbound, env); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(proccpu.Used()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}
