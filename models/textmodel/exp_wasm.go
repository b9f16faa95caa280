//go:build wasm

package textmodel

import "math"

// expf32 is float32(math.Exp(float64(x))), bit for bit (TestExpf32), in
// one function: math.Exp on WebAssembly is pure Go (exp, expmulti and
// ldexp of math/exp.go and ldexp.go, copied here with their constants),
// and the core's build does not inline the standard library
// (-gcflags=all=-l), so its calls were ~20% of a Predict there. softmax
// only asks for x ≤ 0: below -110 the result is under half the smallest
// float32 (e^-110 < 2^-150) and rounds to 0; above, Ldexp(y, k) with
// k ≥ -159 is the exact product y × 2^k. Other x go to math.Exp.
func expf32(x float32) float32 {
	const (
		ln2Hi    = 6.93147180369123816490e-01
		ln2Lo    = 1.90821492927058770002e-10
		log2e    = 1.44269504088896338700e+00
		nearZero = 1.0 / (1 << 28)
		p1       = 1.66666666666666657415e-01
		p2       = -2.77777777770155933842e-03
		p3       = 6.61375632143793436117e-05
		p4       = -1.65339022054652515390e-06
		p5       = 4.13813679705723846039e-08
	)
	v := float64(x)
	switch {
	case !(v <= 0): // NaN or positive
		return float32(math.Exp(v))
	case v < -110:
		return 0
	case v > -nearZero:
		return float32(1 + v)
	}
	k := int(log2e*v - 0.5)
	hi := v - float64(k)*ln2Hi
	lo := float64(k) * ln2Lo
	r := hi - lo
	t := r * r
	c := r - t*(p1+t*(p2+t*(p3+t*(p4+t*p5))))
	y := 1 - ((lo - (r*c)/(2-c)) - hi)
	return float32(y * pow2neg[-k])
}

// pow2neg[i] is 2^-i.
var pow2neg = func() (t [160]float64) {
	p := 1.0
	for i := range t {
		t[i] = p
		p /= 2
	}
	return t
}()
