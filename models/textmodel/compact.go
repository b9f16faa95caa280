package textmodel

import (
	"encoding/binary"
	"math"
	"sort"
)

// appendCompact writes the embedding table of format version 4: the keep
// rows of largest L2 norm (keep 0: every non-zero row), each with a one-byte
// scale code, their values in bits bits.
func appendCompact(out []byte, m []float32, rows, dim, bits, keep int) []byte {
	type row struct {
		id   int
		norm float64
		max  float32
	}
	kept := make([]row, 0, rows)
	for r := 0; r < rows; r++ {
		var n float64
		var a float32
		for _, v := range m[r*dim : r*dim+dim] {
			n += float64(v) * float64(v)
			a = max(a, float32(math.Abs(float64(v))))
		}
		if a > 0 {
			kept = append(kept, row{r, n, a})
		}
	}
	if keep > 0 && keep < len(kept) {
		sort.SliceStable(kept, func(i, j int) bool { return kept[i].norm > kept[j].norm })
		kept = kept[:keep]
		sort.Slice(kept, func(i, j int) bool { return kept[i].id < kept[j].id })
	}
	var top float32
	for _, k := range kept {
		top = max(top, k.max)
	}
	out = append(out, byte(bits))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(kept)))
	out = binary.LittleEndian.AppendUint32(out, math.Float32bits(top))
	prev := -1
	for _, k := range kept {
		out = binary.AppendUvarint(out, uint64(k.id-prev-1))
		prev = k.id
	}
	scales := make([]float32, len(kept))
	for i, k := range kept {
		c := scaleCode(top, k.max)
		out = append(out, byte(c))
		scales[i] = codeScale(top, c)
	}
	qmax := float32(int(1)<<(bits-1) - 1)
	var acc uint32
	var n int
	bits = storeBits(bits)
	for i, k := range kept {
		for _, v := range m[k.id*dim : k.id*dim+dim] {
			q := int32(math.Round(float64(v / scales[i] * qmax)))
			q = min(max(q, -int32(qmax)), int32(qmax))
			acc |= (uint32(q) & (1<<bits - 1)) << n
			n += bits
			for n >= 8 {
				out = append(out, byte(acc))
				acc >>= 8
				n -= 8
			}
		}
	}
	if n > 0 {
		out = append(out, byte(acc))
	}
	return out
}

// storeBits is the width a value of bits bits is stored in: a nibble up to
// 4 bits, else a byte. Values then do not straddle bytes, which lets brotli
// entropy-code them (the wire size is what counts).
func storeBits(bits int) int {
	if bits <= 4 {
		return 4
	}
	return 8
}

// scaleCode is the largest scale code whose scale still covers a row whose
// largest absolute value is rowMax, so that no value is clipped.
func scaleCode(top, rowMax float32) int {
	c := int(math.Floor(8 * math.Log2(float64(top)/float64(rowMax))))
	c = min(max(c, 0), 255)
	for c > 0 && codeScale(top, c) < rowMax {
		c--
	}
	return c
}

// QuantizeRow writes into dst the values row takes in a compact file
// (format 4) of bits bits whose largest weight is top: what inference will
// see. Training uses it to retrain through the quantization (the gradient
// passes to the unquantized row).
func QuantizeRow(dst, row []float32, top float32, bits int) {
	var a float32
	for _, v := range row {
		a = max(a, float32(math.Abs(float64(v))))
	}
	if a == 0 || top <= 0 {
		clear(dst)
		return
	}
	a = min(a, top)
	scale := codeScale(top, scaleCode(top, a))
	qmax := float32(int(1)<<(bits-1) - 1)
	for j, v := range row {
		q := float32(math.Round(float64(v / scale * qmax)))
		q = min(max(q, -qmax), qmax)
		dst[j] = q * scale / qmax
	}
}

// codeScale is the row scale of scale code c under top scale top.
func codeScale(top float32, c int) float32 {
	return top * float32(math.Exp2(-float64(c)/8))
}

// readCompact reads the embedding table of format version 4 into m.emb
// (Buckets×Dim int8, zero rows for the buckets not kept) and m.embScale.
func (m *Model) readCompact(r *reader) {
	b, d := int(m.feat.Buckets), m.dim
	bits := int(r.u8("bits"))
	k := int(r.u32("kept rows"))
	top := math.Float32frombits(r.u32("top scale"))
	if r.err != nil {
		return
	}
	if bits < 2 || bits > 8 {
		r.err = wrap("bits "+itoa(bits)+", want 2..8", ErrCorrupt)
		return
	}
	if k > b || math.IsNaN(float64(top)) || math.IsInf(float64(top), 0) || top < 0 {
		r.err = wrap("kept rows or top scale out of range", ErrCorrupt)
		return
	}
	ids := make([]int, k)
	prev := -1
	for i := range ids {
		gap, n := binary.Uvarint(r.buf[r.off:])
		if n <= 0 {
			r.err = wrap("reading kept buckets", ErrTruncated)
			return
		}
		r.off += n
		if gap >= uint64(b) || prev+1+int(gap) >= b {
			r.err = wrap("kept bucket out of range", ErrCorrupt)
			return
		}
		prev += 1 + int(gap)
		ids[i] = prev
	}
	codes := r.take(k, "scale codes")
	qmax := float32(int(1)<<(bits-1) - 1)
	bits = storeBits(bits)
	packed := r.take((k*d*bits+7)/8, "packed embedding")
	if r.err != nil {
		return
	}
	m.emb = make([]byte, b*d)
	m.embScale = make([]float32, b)
	// values widen to int8 and the row scale absorbs 1/qmax, so inference
	// is the same as for the one-byte layouts
	var acc uint32
	var n, p int
	for i, id := range ids {
		m.embScale[id] = codeScale(top, int(codes[i])) / qmax
		row := m.emb[id*d : id*d+d]
		for j := range row {
			for n < bits {
				acc |= uint32(packed[p]) << n
				p++
				n += 8
			}
			v := int32(acc&(1<<bits-1)) << (32 - bits) >> (32 - bits) // sign-extend
			acc >>= bits
			n -= bits
			row[j] = byte(int8(v))
		}
	}
}

// Weights returns the float parameters of an embedding-bag model (format
// versions 1, 3 and 4) as its file stores them, dequantized: what Marshal
// needs to write the model again in another layout (kefu model compact).
// A linear model returns nil.
func (m *Model) Weights() *Weights {
	if m.cols > 0 {
		return nil
	}
	w := &Weights{Task: m.task, Features: m.feat, Dim: m.dim, Labels: m.Labels(), Threshold: m.threshold,
		SqrtPool: m.sqrtPool, Tanh: m.tanh, Bias: append([]float32(nil), m.bias...)}
	if m.fallback >= 0 {
		w.Fallback = m.labels[m.fallback]
	}
	w.Emb = dequantize(m.emb, m.embScale, m.dim)
	if m.hidden > 0 {
		w.Hidden = append([]float32(nil), m.hidF...)
		w.HiddenBias = append([]float32(nil), m.hidBias...)
		w.Out = append([]float32(nil), m.outF...)
	} else {
		w.Out = dequantize(m.out, m.outScale, m.dim)
	}
	if s := m.second; s != nil {
		h := &Head{Task: s.task, Labels: s.Labels(), Threshold: s.threshold,
			Out: dequantize(s.out, s.outScale, s.dim), Bias: append([]float32(nil), s.bias...)}
		if s.fallback >= 0 {
			h.Fallback = s.labels[s.fallback]
		}
		w.Second = h
	}
	return w
}
