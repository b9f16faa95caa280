package train

import (
	"math"

	"github.com/nlpodyssey/spago/mat"
)

// softmaxCE is the cross-entropy of softmax(logits) against a gold class,
// fused into one spago autograd function. spago's own losses.CrossEntropy
// fans the logits out to two operators, whose gradients spago's concurrent
// backward sums in varying order (irreproducible runs); losses.NLL over
// ag.Softmax panics once a probability underflows to 0. Fused, it is a
// single numerically stable node with gradient softmax − onehot.
type softmaxCE struct {
	x    mat.Tensor
	gold int
	// smoothing spreads this probability mass over all labels in the target
	// (label smoothing); 0 is plain cross-entropy.
	smoothing float64
	// soft, when not nil, is a teacher's probability over the labels
	// (knowledge distillation): the target becomes (1 − alpha) × the
	// smoothed one-hot gold label + alpha × soft.
	soft  []float32
	alpha float64
	p     []float64 // softmax, kept for Backward
}

// target is the probability the loss wants for label i.
func (f *softmaxCE) target(i int) float64 {
	t := f.smoothing / float64(len(f.p))
	if i == f.gold {
		t += 1 - f.smoothing
	}
	if f.soft != nil {
		t = (1-f.alpha)*t + f.alpha*float64(f.soft[i])
	}
	return t
}

// Operands returns the logits.
func (f *softmaxCE) Operands() []mat.Tensor { return []mat.Tensor{f.x} }

// Forward computes the loss and keeps the softmax for Backward.
func (f *softmaxCE) Forward() (mat.Tensor, error) {
	z := mat.Data[float32](f.x.Value())
	maxZ := math.Inf(-1)
	for _, v := range z {
		maxZ = math.Max(maxZ, float64(v))
	}
	f.p = make([]float64, len(z))
	var sum float64
	for i, v := range z {
		f.p[i] = math.Exp(float64(v) - maxZ)
		sum += f.p[i]
	}
	for i := range f.p {
		f.p[i] /= sum
	}
	logSum := maxZ + math.Log(sum)
	loss := -(float64(z[f.gold]) - logSum)
	if f.soft != nil {
		loss = 0
		for i, v := range z {
			if t := f.target(i); t > 0 {
				loss -= t * (float64(v) - logSum)
			}
		}
	} else if f.smoothing > 0 {
		var mean float64
		for _, v := range z {
			mean += float64(v) - logSum
		}
		mean /= float64(len(z))
		loss = (1-f.smoothing)*loss - f.smoothing*mean
	}
	return mat.Scalar(float32(loss)), nil
}

// Backward accumulates (softmax − target)·gy into the logits, the target
// being the one-hot gold label, smoothed, mixed with the teacher's soft
// label when there is one.
func (f *softmaxCE) Backward(gy mat.Tensor) error {
	if !f.x.RequiresGrad() {
		return nil
	}
	g := float64(mat.Data[float32](gy)[0])
	out := make([]float32, len(f.p))
	if f.soft != nil {
		for i, p := range f.p {
			out[i] = float32((p - f.target(i)) * g)
		}
		f.x.AccGrad(mat.NewDense[float32](mat.WithShape(len(out)), mat.WithBacking(out)))
		return nil
	}
	u := f.smoothing / float64(len(f.p))
	for i, p := range f.p {
		p -= u
		if i == f.gold {
			p -= 1 - f.smoothing
		}
		out[i] = float32(p * g)
	}
	f.x.AccGrad(mat.NewDense[float32](mat.WithShape(len(out)), mat.WithBacking(out)))
	return nil
}
