package cli

import (
	"math"
	"testing"

	"github.com/kefu-io/kefu/models/anger"
)

func TestCalibrateAnger(t *testing.T) {
	// One input (the anger model probability) with weight 10 and bias -5:
	// score = σ(10p - 5).
	var w anger.Weights
	w.Bias = -5
	w.W[anger.NumInputs-1] = 10
	row := func(p float64) [anger.NumInputs]float64 {
		var x [anger.NumInputs]float64
		x[anger.NumInputs-1] = p
		return x
	}
	tests := []struct {
		name          string
		ps            []float64
		ys            []bool
		minPrecision  float64
		wantPrecision float64
		wantRecall    float64
		wantAngry     float64 // p of the lowest row that must score ≥ Threshold after calibration
	}{
		{"separable: the lowest angry row becomes the threshold",
			[]float64{0.1, 0.2, 0.35, 0.6, 0.9}, []bool{false, false, true, true, true}, 0.95, 1, 1, 0.35},
		{"precision floor: a calm row among the angry ones stays under",
			[]float64{0.1, 0.3, 0.4, 0.6, 0.9}, []bool{false, true, false, true, true}, 0.9, 1, 2.0 / 3, 0.6},
		{"no threshold reaches the floor: the most precise one",
			[]float64{0.3, 0.5, 0.8}, []bool{true, false, false}, 0.9, 1.0 / 3, 1, 0.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs := make([][anger.NumInputs]float64, len(tt.ps))
			for i, p := range tt.ps {
				xs[i] = row(p)
			}
			cw, c := calibrateAnger(w, xs, tt.ys, tt.minPrecision, 1)
			if math.Abs(c.precision-tt.wantPrecision) > 1e-9 || math.Abs(c.recall-tt.wantRecall) > 1e-9 {
				t.Fatalf("cut %+v, want precision %.3f recall %.3f", c, tt.wantPrecision, tt.wantRecall)
			}
			if got := cw.Apply(row(tt.wantAngry)); math.Abs(got-anger.Threshold) > 1e-9 {
				t.Errorf("calibrated score at the chosen row %.4f, want anger.Threshold %.2f", got, anger.Threshold)
			}
			for _, p := range tt.ps {
				if (cw.Apply(row(p)) >= anger.Threshold-1e-12) != (p >= tt.wantAngry) {
					t.Errorf("row p=%.2f: calibrated score %.3f on the wrong side", p, cw.Apply(row(p)))
				}
			}
			if cw.W != w.W {
				t.Error("calibration changed the input weights, not only the bias")
			}
		})
	}
}
