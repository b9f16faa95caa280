package anger

// Shipped holds the weights used by Score. Initial values set by hand
// (negative probability dominates, each cue adds); replaced by fitted ones
// with `kefu model train anger --data models/data/anger --out models/anger/weights.go`.
var Shipped = Weights{
	Bias: -2.2,
	W:    [NumInputs]float64{3.0, 0.35, 0.45, 0.5, 0.9, 1.5, 0.9},
}
