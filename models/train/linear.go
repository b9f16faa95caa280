package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
	"github.com/nlpodyssey/spago/nn"
	"github.com/nlpodyssey/spago/optimizers/adam"

	"github.com/kefu-io/kefu/models/textmodel"
)

// linItem is one featurized training example.
type linItem struct {
	ids []int
	y   int
}

// fitLinear trains the wide linear model: scores = B + (Σ W[feature]) / √n
// (or / n). spago computes the loss and its gradient with respect to the
// scores (the fused softmax cross-entropy operator) and steps the bias with
// Adam; the gradient of the scores then updates only the weights of the
// features a message has, with per-weight AdaGrad. For two labels there is
// one weight column: the second label's score minus the first's.
func fitLinear(ctx context.Context, items []linItem, labels []string, cfg Config, rng *rand.Rand, progress Progress) (*Result, error) {
	buckets, nl := int(cfg.Features.Buckets), len(labels)
	cols := nl
	if nl == 2 {
		cols = 1
	}
	w := make([]float32, buckets*cols)
	acc := make([]float32, buckets*cols) // AdaGrad accumulator per weight
	bias := nn.NewParam(mat.NewDense[float32](mat.WithShape(nl)))
	opt := adam.New(adam.NewConfig(cfg.LR, 0.9, 0.999, 1e-8))
	lr0 := cfg.EmbLR
	if lr0 <= 0 {
		lr0 = 0.2
	}
	total := cfg.Epochs * len(items)
	done := 0
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	scores := make([]float32, nl)
	var kept []int
	res := &Result{}
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var epochLoss float64
		for start := 0; start < len(order); start += cfg.Batch {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			end := min(start+cfg.Batch, len(order))
			frac := math.Max(1-float64(done)/float64(total), 0.01)
			lr := float32(lr0 * frac)
			var stepLoss float64
			for _, k := range order[start:end] {
				it := items[k]
				ids := it.ids
				if cfg.Dropout > 0 && len(ids) > 1 {
					kept = kept[:0]
					for _, id := range ids {
						if rng.Float64() >= cfg.Dropout {
							kept = append(kept, id)
						}
					}
					if len(kept) == 0 {
						kept = append(kept, ids[rng.IntN(len(ids))])
					}
					ids = kept
				}
				inv := float32(1)
				if n := len(ids); n > 0 {
					inv = 1 / float32(n)
					if cfg.SqrtPool {
						inv = 1 / float32(math.Sqrt(float64(n)))
					}
				}
				for c := range scores {
					scores[c] = 0
				}
				for _, id := range ids {
					if cols == 1 {
						scores[1] += w[id]
						continue
					}
					for c, v := range w[id*cols : id*cols+cols] {
						scores[c] += v
					}
				}
				for c := range scores {
					scores[c] *= inv
				}
				s := mat.NewDense[float32](mat.WithShape(nl), mat.WithBacking(append([]float32(nil), scores...)), mat.WithGrad(true))
				loss := ag.NewOperator(&softmaxCE{x: ag.Add(bias, s), gold: it.y}).Run()
				if err := ag.Backward(loss); err != nil {
					return nil, fmt.Errorf("train: backward: %w", err)
				}
				stepLoss += float64(loss.Value().Item().F64())
				if len(ids) == 0 || s.Grad() == nil {
					continue
				}
				g := mat.Data[float32](s.Grad())
				if cols == 1 {
					g = g[1:]
				}
				for _, id := range ids {
					row := w[id*cols : id*cols+cols]
					a := acc[id*cols : id*cols+cols]
					for c := range row {
						gi := g[c] * inv
						a[c] += gi * gi
						row[c] -= lr * gi / (float32(math.Sqrt(float64(a[c]))) + 1e-6)
					}
				}
			}
			opt.StepSize = cfg.LR * frac
			opt.IncExample()
			if bias.HasGrad() {
				if err := opt.OptimizeParams(bias); err != nil {
					return nil, fmt.Errorf("train: optimize: %w", err)
				}
			}
			n := end - start
			done += n
			epochLoss += stepLoss
			if progress != nil {
				progress(done, total, stepLoss/float64(n))
			}
		}
		res.Losses = append(res.Losses, epochLoss/float64(len(items)))
	}
	res.Weights = &textmodel.Weights{
		Task:     cfg.Task,
		Features: cfg.Features,
		Labels:   append([]string(nil), labels...),
		SqrtPool: cfg.SqrtPool,
		Unique:   cfg.Unique,
		Linear:   w,
		Bias:     append([]float32(nil), mat.Data[float32](bias)...),
	}
	return res, nil
}
