//go:build !wasm

package textmodel

import "math"

// expf32 is float32(math.Exp(float64(x))); see exp_wasm.go for why
// WebAssembly has its own.
func expf32(x float32) float32 { return float32(math.Exp(float64(x))) }
