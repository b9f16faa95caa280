package textmodel

import (
	"math"
	"testing"
)

// TestExpf32 compares expf32 with float32(math.Exp) bit for bit on a
// spread of float32 values below zero (every 211th bit pattern from -0 to
// -200, which passes through every binade), around the cut-offs, and on the
// special values. It is only informative on WebAssembly, where expf32 is a
// copy of math's algorithm: GOOS=js GOARCH=wasm go test -run Expf32
// ./models/textmodel (with go_js_wasm_exec on PATH).
func TestExpf32(t *testing.T) {
	xs := []float32{0, float32(math.Copysign(0, -1)), 1, 100, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		-110, -103.97, -103.28, -87.3, -1.0 / (1 << 28), -1.0 / (1 << 27), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32}
	for _, b := range []float32{-110, -1.0 / (1 << 28)} {
		lo, hi := b, b
		for i := 0; i < 50; i++ {
			xs = append(xs, lo, hi)
			lo, hi = math.Nextafter32(lo, -1000), math.Nextafter32(hi, 0)
		}
	}
	end := math.Float32bits(-200)
	for u := math.Float32bits(float32(math.Copysign(0, -1))); u <= end; u += 211 {
		xs = append(xs, math.Float32frombits(u))
	}
	for _, x := range xs {
		got, want := expf32(x), float32(math.Exp(float64(x)))
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("expf32(%v) = %v (%#x), want %v (%#x)", x, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	t.Logf("%d values", len(xs))
}
