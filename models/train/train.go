// Package train fits the text classifiers of package models/textmodel with
// spago (github.com/nlpodyssey/spago): its automatic differentiation (with a
// fused softmax cross-entropy operator) and its Adam/AdaGrad optimizers.
// The result is exported as textmodel.Weights, so inference never needs
// spago.
//
// The network is fastText's: mean of the embedding rows selected by the
// hashed features (package models/features), then an affine layer and a
// softmax. spago builds the graph of the dense part, back-propagates the
// loss and runs Adam on it; the gradient it returns for the bag vector
// updates the used embedding rows sparsely (row-wise AdaGrad).
//
// Training is seeded and byte-for-byte reproducible (`kefu model train` also
// runs it with GOMAXPROCS=1: it is single-threaded arithmetic, and polite on
// a shared machine).
package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/nlpodyssey/spago/ag"
	"github.com/nlpodyssey/spago/mat"
	"github.com/nlpodyssey/spago/nn"
	"github.com/nlpodyssey/spago/optimizers"
	"github.com/nlpodyssey/spago/optimizers/adagrad"
	"github.com/nlpodyssey/spago/optimizers/adam"

	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/features"
	"github.com/kefu-io/kefu/models/textmodel"
)

// ErrNoData reports an empty training set or a single class.
var ErrNoData = errors.New("train: need examples of at least two labels")

// Config holds the hyper-parameters of one training run.
type Config struct {
	Task      string
	Features  features.Config
	Dim       int     // embedding width
	Epochs    int     // passes over the data
	LR        float64 // initial step size of the output layer, decayed linearly
	EmbLR     float64 // initial step size of the embedding rows (row-wise AdaGrad); 0 = 0.1
	Batch     int     // examples per optimizer step
	Optimizer string  // "adam" (default) or "adagrad"
	Seed      uint64
	// Dropout is the probability of dropping each feature of a message in
	// a training step (0 = none); it fights memorizing templated data.
	Dropout float64
	// SqrtPool makes the bag sum/√n instead of the mean.
	SqrtPool bool
	// Fallback, when set, is the label predicted below the out-of-scope
	// threshold; the threshold is chosen on the tuning set by Fit.
	Fallback string
	// Linear trains a wide linear model (textmodel format version 2) instead
	// of an embedding bag: one weight per hashed feature and label (one per
	// feature for two labels), stepped with per-weight AdaGrad at EmbLR
	// (0 = 0.2); Dim is ignored.
	Linear bool
	// Unique counts each distinct feature of a text once (linear models).
	Unique bool
	// Hidden, when positive, puts a hidden layer of that width between the
	// bag and the output layer (textmodel format version 3): logits =
	// W·act(W1·h + B1) + B, act ReLU (or tanh with Tanh). spago builds and
	// back-propagates both layers.
	Hidden int
	// Tanh makes the hidden layer's activation tanh instead of ReLU.
	Tanh bool
	// Smoothing is the label-smoothing mass spread over all labels in the
	// loss (0 = plain cross-entropy).
	Smoothing float64
	// KeepRows, when positive, prunes the embedding after the Epochs: the
	// KeepRows rows of largest L2 norm stay, the others become zero, and
	// RetrainEpochs more epochs (step sizes decayed anew) train the network
	// with the pruned rows held at zero, as fastText's quantize -retrain
	// does. The widget's compact models (textmodel format 4) store only the
	// kept rows.
	KeepRows      int
	RetrainEpochs int
	// QuantBits, when 2..7 with RetrainEpochs, makes the retraining epochs
	// see each kept row as the compact file of that many bits will store
	// it (textmodel.QuantizeRow), the gradient passing straight through to
	// the unquantized row: the network learns to live with the low-bit
	// weights it will ship with.
	QuantBits int
	// Teacher, when set, gives a trained model's probabilities over the
	// labels (in label order) for a text: knowledge distillation. Each
	// example's target becomes (1 − DistillAlpha) × its gold label +
	// DistillAlpha × the teacher's probabilities, softened by DistillTemp
	// (p^(1/T) renormalized; 0 or 1: as the teacher gives them). The
	// teacher is asked once per example, before the first epoch.
	Teacher      func(text string) []float32
	DistillAlpha float64
	DistillTemp  float64
	// Unlabelled are texts without a gold label, learnt from the Teacher
	// alone (their target is the teacher's probabilities); ignored
	// without a teacher.
	Unlabelled []string
	// Second, when set, trains a second task jointly (multi-task): its
	// examples are shuffled in with the first task's, every example
	// steps the shared embedding and its own task's output layer, and the
	// result has a second head (textmodel.Weights.Second). Embedding bags
	// without a hidden layer only.
	Second *Second
}

// Second is the second task of a joint training run.
type Second struct {
	Task     string
	Examples []dataset.Example
	Labels   []string // label order; nil: sorted labels of Examples
	// Dropout is the feature dropout of this task's examples (the first
	// task's is Config.Dropout).
	Dropout float64
	// Repeat is how many times each example is seen per epoch (0 or 1:
	// once): it weights this task against the first.
	Repeat int
}

// Progress is called after every optimizer step with the number of examples
// seen so far, the total to see and the mean loss of the last step.
type Progress func(done, total int, loss float64)

// Result is what a run produced.
type Result struct {
	Weights *textmodel.Weights
	// Losses holds the mean training loss of each epoch.
	Losses []float64
}

// head is the dense part of the network, trained by spago's autodiff and
// optimizer: logits = W·h + B.
type head struct {
	nn.Module
	W  *nn.Param
	B  *nn.Param
	W1 *nn.Param // hidden layer (Config.Hidden > 0), else nil
	B1 *nn.Param
}

// forward returns the logits of bag vector h.
func (m *head) forward(h mat.Tensor, tanh bool) mat.Tensor {
	if m.W1 == nil {
		return ag.Affine(m.B, m.W, h)
	}
	z := ag.Affine(m.B1, m.W1, h)
	if tanh {
		z = ag.Tanh(z)
	} else {
		z = ag.ReLU(z)
	}
	return ag.Affine(m.B, m.W, z)
}

// Fit trains a model on examples. labels fixes the label order (nil: sorted
// labels of the examples). tune, if not empty, is used to choose the
// out-of-scope threshold when cfg.Fallback is set.
func Fit(ctx context.Context, examples []dataset.Example, labels []string, tune []dataset.Example, cfg Config, progress Progress) (*Result, error) {
	if err := cfg.Features.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if cfg.Linear {
		cfg.Dim = 1 // unused
		if cfg.Hidden > 0 {
			return nil, fmt.Errorf("train: a hidden layer is for embedding bags, not linear models")
		}
	} else if cfg.Unique {
		return nil, fmt.Errorf("train: unique features are for linear models")
	}
	if cfg.KeepRows < 0 || cfg.RetrainEpochs < 0 || (cfg.RetrainEpochs > 0 && cfg.KeepRows == 0) {
		return nil, fmt.Errorf("train: keep rows and retrain epochs must be ≥ 0, retraining needs kept rows (got %d, %d)", cfg.KeepRows, cfg.RetrainEpochs)
	}
	if cfg.QuantBits != 0 && (cfg.QuantBits < 2 || cfg.QuantBits > 7 || cfg.RetrainEpochs == 0) {
		return nil, fmt.Errorf("train: quantized retraining takes 2..7 bits and retraining epochs (got %d bits, %d epochs)", cfg.QuantBits, cfg.RetrainEpochs)
	}
	if cfg.KeepRows > 0 && cfg.Linear {
		return nil, fmt.Errorf("train: pruning rows is for embedding bags, not linear models")
	}
	if cfg.Second != nil && (cfg.Linear || cfg.Hidden > 0 || cfg.Teacher != nil) {
		return nil, fmt.Errorf("train: a second task needs an embedding bag without a hidden layer or teacher")
	}
	if cfg.Hidden < 0 || cfg.Smoothing < 0 || cfg.Smoothing >= 1 {
		return nil, fmt.Errorf("train: hidden must be ≥ 0 and smoothing in [0, 1) (got %d, %g)", cfg.Hidden, cfg.Smoothing)
	}
	if cfg.Dim < 1 || cfg.Epochs < 1 || cfg.Batch < 1 || cfg.LR <= 0 {
		return nil, fmt.Errorf("train: dim, epochs, batch and lr must be positive (got %d, %d, %d, %g)", cfg.Dim, cfg.Epochs, cfg.Batch, cfg.LR)
	}
	if labels == nil {
		labels = LabelsOf(examples)
	}
	index := make(map[string]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	if len(labels) < 2 || len(examples) == 0 {
		return nil, ErrNoData
	}
	if cfg.Teacher != nil && (cfg.DistillAlpha < 0 || cfg.DistillAlpha > 1 || cfg.DistillTemp < 0) {
		return nil, fmt.Errorf("train: distillation weight must be in [0, 1] and temperature ≥ 0 (got %g, %g)", cfg.DistillAlpha, cfg.DistillTemp)
	}
	type item struct {
		ids   []int
		y     int
		soft  []float32 // the teacher's probabilities (distillation), else nil
		alpha float64   // the weight of soft in the target
		head  int       // 0: the first task, 1: Config.Second
	}
	items := make([]item, 0, len(examples)+len(cfg.Unlabelled))
	var buf []uint32
	texts := examples
	if cfg.Teacher != nil {
		texts = append(examples[:len(examples):len(examples)], make([]dataset.Example, len(cfg.Unlabelled))...)
		for i, t := range cfg.Unlabelled {
			texts[len(examples)+i].Text = t
		}
	}
	for k, ex := range texts {
		var soft []float32
		alpha := cfg.DistillAlpha
		if cfg.Teacher != nil {
			if soft = teacherProbs(cfg.Teacher, ex.Text, cfg.DistillTemp, len(labels)); soft == nil {
				return nil, fmt.Errorf("train: the teacher gives %d probabilities, want one per label (%d)", len(cfg.Teacher(ex.Text)), len(labels))
			}
			if k >= len(examples) {
				ex.Label, alpha = labels[argmax(soft)], 1
			}
		}
		y, ok := index[ex.Label]
		if !ok {
			return nil, fmt.Errorf("train: label %q is not in the label table", ex.Label)
		}
		buf = cfg.Features.Append(buf[:0], ex.Text)
		if cfg.Unique {
			slices.Sort(buf)
			buf = slices.Compact(buf)
		}
		ids := make([]int, len(buf))
		for i, id := range buf {
			ids[i] = int(id)
		}
		items = append(items, item{ids, y, soft, alpha, 0})
	}
	var labels2 []string
	if sc := cfg.Second; sc != nil {
		if labels2 = sc.Labels; labels2 == nil {
			labels2 = LabelsOf(sc.Examples)
		}
		if len(labels2) < 2 || len(sc.Examples) == 0 {
			return nil, fmt.Errorf("train: second task %q: %w", sc.Task, ErrNoData)
		}
		index2 := make(map[string]int, len(labels2))
		for i, l := range labels2 {
			index2[l] = i
		}
		for r := 0; r < max(sc.Repeat, 1); r++ {
			for _, ex := range sc.Examples {
				y, ok := index2[ex.Label]
				if !ok {
					return nil, fmt.Errorf("train: second task: label %q is not in the label table", ex.Label)
				}
				buf = cfg.Features.Append(buf[:0], ex.Text)
				ids := make([]int, len(buf))
				for i, id := range buf {
					ids[i] = int(id)
				}
				items = append(items, item{ids: ids, y: y, head: 1})
			}
		}
	}

	ag.SetForceSyncExecution(true)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6b656675))
	if cfg.Linear {
		lin := make([]linItem, len(items))
		for i, it := range items {
			lin[i] = linItem{it.ids, it.y}
		}
		res, err := fitLinear(ctx, lin, labels, cfg, rng, progress)
		if err != nil {
			return nil, err
		}
		if err := setThreshold(res.Weights, index, tune, cfg.Fallback); err != nil {
			return nil, err
		}
		return res, nil
	}
	buckets, dim, nl := int(cfg.Features.Buckets), cfg.Dim, len(labels)
	// The embedding table is updated sparsely (only the rows a message
	// uses) with row-wise AdaGrad, from the gradient spago computes for the
	// bag vector h. A spago Param per row (nn/embedding) costs ~4 ms per
	// message in allocations and goroutines; this costs microseconds.
	emb := make([]float32, buckets*dim)
	acc := make([]float32, buckets) // AdaGrad accumulator per row
	bound := 1 / float64(dim)
	for j := range emb {
		emb[j] = float32((rng.Float64()*2 - 1) * bound)
	}
	m := &head{
		W: nn.NewParam(mat.NewDense[float32](mat.WithShape(nl, dim))),
		B: nn.NewParam(mat.NewDense[float32](mat.WithShape(nl))),
	}
	params := []*nn.Param{m.W, m.B}
	var m2 *head // the second task's output layer
	if labels2 != nil {
		m2 = &head{
			W: nn.NewParam(mat.NewDense[float32](mat.WithShape(len(labels2), dim))),
			B: nn.NewParam(mat.NewDense[float32](mat.WithShape(len(labels2)))),
		}
		params = append(params, m2.W, m2.B)
	}
	if hid := cfg.Hidden; hid > 0 {
		// Glorot-uniform for both layers: with a zero output layer the
		// hidden layer would get no gradient at first.
		w1 := make([]float32, hid*dim)
		b1 := math.Sqrt(6 / float64(hid+dim))
		for j := range w1 {
			w1[j] = float32((rng.Float64()*2 - 1) * b1)
		}
		w2 := make([]float32, nl*hid)
		b2 := math.Sqrt(6 / float64(hid+nl))
		for j := range w2 {
			w2[j] = float32((rng.Float64()*2 - 1) * b2)
		}
		m.W1 = nn.NewParam(mat.NewDense[float32](mat.WithShape(hid, dim), mat.WithBacking(w1)))
		m.B1 = nn.NewParam(mat.NewDense[float32](mat.WithShape(hid)))
		m.W = nn.NewParam(mat.NewDense[float32](mat.WithShape(nl, hid), mat.WithBacking(w2)))
		params = []*nn.Param{m.W1, m.B1, m.W, m.B}
	}
	var strategy optimizers.OptimizationStrategy
	var adamOpt *adam.Adam
	switch cfg.Optimizer {
	case "", "adam":
		adamOpt = adam.New(adam.NewConfig(cfg.LR, 0.9, 0.999, 1e-8))
		strategy = adamOpt
	case "adagrad":
		strategy = adagrad.New[float32](adagrad.NewConfig(cfg.LR, 1e-8))
	default:
		return nil, fmt.Errorf("train: unknown optimizer %q (adam, adagrad)", cfg.Optimizer)
	}
	// The parameters are stepped one after another with the strategy
	// itself: spago's optimizers.Optimizer.Optimize (v1.1.0) starts a
	// goroutine per parameter and returns without waiting for them, so the
	// next forward pass could read half-updated weights (a data race that
	// made runs irreproducible and once crashed).
	embLR := cfg.EmbLR
	if embLR <= 0 {
		embLR = 0.1
	}

	total := (cfg.Epochs + cfg.RetrainEpochs) * len(items)
	phase := cfg.Epochs * len(items) // examples of the current phase (training, then retraining)
	done, phaseStart := 0, 0
	var pruned []bool // rows held at zero after pruning
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	hv := make([]float32, dim)
	qrow := make([]float32, dim)
	var scratchIDs []int
	res := &Result{}
	for epoch := 0; epoch < cfg.Epochs+cfg.RetrainEpochs; epoch++ {
		if epoch == cfg.Epochs && cfg.KeepRows > 0 {
			pruned = pruneRows(emb, dim, cfg.KeepRows)
			phase, phaseStart = cfg.RetrainEpochs*len(items), done
		}
		var top float32 // the largest weight, which sets the quantization's scales
		if pruned != nil && cfg.QuantBits > 0 {
			for _, v := range emb {
				top = max(top, float32(math.Abs(float64(v))))
			}
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var epochLoss float64
		for start := 0; start < len(order); start += cfg.Batch {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
			end := min(start+cfg.Batch, len(order))
			// linear decay of the step sizes, as in fastText
			frac := math.Max(1-float64(done-phaseStart)/float64(phase), 0.01)
			var stepLoss float64
			for _, k := range order[start:end] {
				it := items[k]
				dropout := cfg.Dropout
				if it.head == 1 {
					dropout = cfg.Second.Dropout
				}
				if dropout > 0 && len(it.ids) > 1 {
					kept := scratchIDs[:0]
					for _, id := range it.ids {
						if rng.Float64() >= dropout {
							kept = append(kept, id)
						}
					}
					if len(kept) == 0 {
						kept = append(kept, it.ids[rng.IntN(len(it.ids))])
					}
					scratchIDs = kept
					it.ids = kept
				}
				for j := range hv {
					hv[j] = 0
				}
				for _, id := range it.ids {
					row := emb[id*dim : id*dim+dim]
					if top > 0 {
						textmodel.QuantizeRow(qrow, row, top, cfg.QuantBits)
						row = qrow
					}
					for j, v := range row {
						hv[j] += v
					}
				}
				inv := float32(1)
				if n := len(it.ids); n > 0 {
					inv = 1 / float32(n)
					if cfg.SqrtPool {
						inv = 1 / float32(math.Sqrt(float64(n)))
					}
					for j := range hv {
						hv[j] *= inv
					}
				}
				h := mat.NewDense[float32](mat.WithShape(dim), mat.WithBacking(append([]float32(nil), hv...)), mat.WithGrad(true))
				var logits mat.Tensor
				if it.head == 1 {
					logits = m2.forward(h, false)
				} else {
					logits = m.forward(h, cfg.Tanh)
				}
				loss := ag.NewOperator(&softmaxCE{x: logits, gold: it.y, smoothing: cfg.Smoothing, soft: it.soft, alpha: it.alpha}).Run()
				if err := ag.Backward(loss); err != nil {
					return nil, fmt.Errorf("train: backward: %w", err)
				}
				stepLoss += float64(loss.Value().Item().F64())
				if len(it.ids) == 0 || h.Grad() == nil {
					continue
				}
				g := mat.Data[float32](h.Grad())
				var g2 float32
				for _, v := range g {
					g2 += v * v * inv * inv
				}
				g2 /= float32(dim)
				lr := float32(embLR * frac)
				for _, id := range it.ids {
					if pruned != nil && pruned[id] {
						continue
					}
					acc[id] += g2
					step := lr * inv / (float32(math.Sqrt(float64(acc[id]))) + 1e-6)
					row := emb[id*dim : id*dim+dim]
					for j := range row {
						row[j] -= step * g[j]
					}
				}
			}
			if adamOpt != nil {
				adamOpt.StepSize = cfg.LR * frac
				adamOpt.IncExample()
			}
			for _, p := range params {
				if !p.HasGrad() {
					continue
				}
				if err := strategy.OptimizeParams(p); err != nil {
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

	if cfg.KeepRows > 0 && pruned == nil {
		pruneRows(emb, dim, cfg.KeepRows) // no retraining epochs
	}
	w := &textmodel.Weights{
		Task:     cfg.Task,
		Features: cfg.Features,
		Dim:      dim,
		Labels:   append([]string(nil), labels...),
		Emb:      emb,
		SqrtPool: cfg.SqrtPool,
		Out:      append([]float32(nil), mat.Data[float32](m.W)...),
		Bias:     append([]float32(nil), mat.Data[float32](m.B)...),
		// the threshold below is chosen on the model as it will be stored
		Bits:     cfg.QuantBits,
		KeepRows: cfg.KeepRows,
	}
	if m2 != nil {
		w.Second = &textmodel.Head{
			Task:   cfg.Second.Task,
			Labels: append([]string(nil), labels2...),
			Out:    append([]float32(nil), mat.Data[float32](m2.W)...),
			Bias:   append([]float32(nil), mat.Data[float32](m2.B)...),
		}
	}
	if m.W1 != nil {
		w.Hidden = append([]float32(nil), mat.Data[float32](m.W1)...)
		w.HiddenBias = append([]float32(nil), mat.Data[float32](m.B1)...)
		w.Tanh = cfg.Tanh
	}
	if err := setThreshold(w, index, tune, cfg.Fallback); err != nil {
		return nil, err
	}
	res.Weights = w
	return res, nil
}

// teacherProbs returns the teacher's probabilities of text softened by
// temperature temp (p^(1/temp) renormalized), or nil when it does not give
// n of them.
func teacherProbs(teacher func(string) []float32, text string, temp float64, n int) []float32 {
	p := append([]float32(nil), teacher(text)...)
	if len(p) != n {
		return nil
	}
	if temp > 0 && temp != 1 {
		var sum float64
		q := make([]float64, n)
		for i, v := range p {
			q[i] = math.Pow(float64(v), 1/temp)
			sum += q[i]
		}
		for i := range p {
			p[i] = float32(q[i] / sum)
		}
	}
	return p
}

func argmax(p []float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// pruneRows zeroes every row of emb (rows of dim) but the keep of largest
// L2 norm and returns which rows it zeroed.
func pruneRows(emb []float32, dim, keep int) []bool {
	rows := len(emb) / dim
	norms := make([]float64, rows)
	order := make([]int, rows)
	for r := range norms {
		for _, v := range emb[r*dim : r*dim+dim] {
			norms[r] += float64(v) * float64(v)
		}
		order[r] = r
	}
	sort.SliceStable(order, func(i, j int) bool { return norms[order[i]] > norms[order[j]] })
	pruned := make([]bool, rows)
	for _, r := range order[min(keep, rows):] {
		pruned[r] = true
		clear(emb[r*dim : r*dim+dim])
	}
	return pruned
}

// setThreshold records the fallback label and chooses its threshold on tune.
func setThreshold(w *textmodel.Weights, index map[string]int, tune []dataset.Example, fallback string) error {
	if fallback == "" {
		return nil
	}
	if _, ok := index[fallback]; !ok {
		return fmt.Errorf("train: fallback label %q is not a label", fallback)
	}
	w.Fallback = fallback
	if len(tune) > 0 {
		th, err := ChooseThreshold(w, tune)
		if err != nil {
			return err
		}
		w.Threshold = th
	}
	return nil
}

// LabelsOf returns the sorted distinct labels of examples.
func LabelsOf(examples []dataset.Example) []string {
	seen := map[string]bool{}
	var out []string
	for _, ex := range examples {
		if !seen[ex.Label] {
			seen[ex.Label] = true
			out = append(out, ex.Label)
		}
	}
	sort.Strings(out)
	return out
}

// MinOOSRecall is the out-of-scope recall the threshold must reach on the
// tuning set; among thresholds that reach it, the one with the best
// in-scope accuracy wins. (A message wrongly sent out of scope goes to a
// person; a wrong in-scope answer misleads the shopper, so recall matters
// but in-scope accuracy is what is maximized.)
const MinOOSRecall = 0.75

// ChooseThreshold picks the out-of-scope threshold on tune (never on test):
// the value with the best in-scope accuracy among those whose fallback
// recall is at least MinOOSRecall (if none reaches it, the best mean of the
// two), computed with the quantized model exactly as it will ship.
func ChooseThreshold(w *textmodel.Weights, tune []dataset.Example) (float32, error) {
	w.Threshold = 0
	one := *w
	one.Second = nil // the threshold is the first head's
	data, err := textmodel.Marshal(&one)
	if err != nil {
		return 0, fmt.Errorf("train: choosing threshold: %w", err)
	}
	m, err := textmodel.Load(data)
	if err != nil {
		return 0, fmt.Errorf("train: choosing threshold: %w", err)
	}
	type scored struct {
		p       float32
		correct bool // argmax equals gold (in-scope rows)
		oos     bool // gold is the fallback
		predOOS bool // argmax is the fallback
	}
	rows := make([]scored, 0, len(tune))
	var nIn, nOOS int
	for _, ex := range tune {
		p := m.PredictTopK(ex.Text, 1)[0]
		s := scored{p: p.Score, correct: p.Label == ex.Label, oos: ex.Label == w.Fallback, predOOS: p.Label == w.Fallback}
		if s.oos {
			nOOS++
		} else {
			nIn++
		}
		rows = append(rows, s)
	}
	if nIn == 0 || nOOS == 0 {
		return 0, nil
	}
	best, bestScore := float32(0), -1.0
	bestIn, haveIn := float32(0), -1.0
	for t := float32(0); t < 1; t += 0.01 {
		var inOK, oosOK int
		for _, s := range rows {
			predOOS := s.predOOS || s.p < t
			if s.oos && predOOS {
				oosOK++
			}
			if !s.oos && !predOOS && s.correct {
				inOK++
			}
		}
		in, rec := float64(inOK)/float64(nIn), float64(oosOK)/float64(nOOS)
		if score := (in + rec) / 2; score > bestScore {
			best, bestScore = t, score
		}
		if rec >= MinOOSRecall && in > haveIn {
			bestIn, haveIn = t, in
		}
	}
	if haveIn >= 0 {
		return bestIn, nil
	}
	return best, nil
}
