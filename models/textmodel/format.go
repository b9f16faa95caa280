package textmodel

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/kefu-io/kefu/models/features"
)

// File layout (.kmod), little endian. The format version says which layout
// follows the common header; Load reads every version listed here and
// refuses others (ErrVersion), so old files stay loadable.
//
// Version 1, the embedding bag (written for every bag model):
//
//	"KMOD" | u16 format version = 1 | u16 features.Version | u16 flags
//	(bit 0: the bag is sum/√n instead of the mean; other bits must be 0)
//	str task | u32 buckets | u8 wordNgrams | u8 minN | u8 maxN | u8 cjkMaxN | u32 seed
//	u16 dim | u16 nlabels | nlabels × str label | i16 fallback | f32 threshold
//	buckets × f32 row scale | buckets×dim int8 embedding
//	nlabels × f32 row scale | nlabels×dim int8 output | nlabels × f32 bias
//	u32 CRC-32 (IEEE) of every byte before it
//
// Version 2, the wide linear model (logistic regression on the hashed
// features, no embedding bottleneck):
//
//	"KMOD" | u16 format version = 2 | u16 features.Version | u16 flags
//	(bit 0: scores are summed over features and divided by √n, else by n;
//	bit 1: each distinct feature counts once; other bits must be 0)
//	str task | u32 buckets | u8 wordNgrams | u8 minN | u8 maxN | u8 cjkMaxN | u32 seed
//	u16 nlabels | nlabels × str label | i16 fallback | f32 threshold
//	u16 cols (nlabels, or 1 for two labels: the score of the second label
//	minus the first) | cols × f32 column scale | buckets×cols int8 weights
//	nlabels × f32 bias
//	u32 CRC-32 (IEEE) of every byte before it
//
// Version 3, the embedding bag with a hidden layer (a server-side model:
// logits = Out·act(Hidden·bag + HiddenBias) + bias):
//
//	"KMOD" | u16 format version = 3 | u16 features.Version | u16 flags
//	(bit 0: sum/√n pooling; bit 2: the activation is tanh, else ReLU; other
//	bits must be 0)
//	str task | u32 buckets | u8 wordNgrams | u8 minN | u8 maxN | u8 cjkMaxN | u32 seed
//	u16 dim | u16 hidden | u16 nlabels | nlabels × str label | i16 fallback | f32 threshold
//	buckets × f32 row scale | buckets×dim int8 embedding
//	hidden × f32 row scale | hidden×dim int8 hidden layer | hidden × f32 hidden bias
//	nlabels × f32 row scale | nlabels×hidden int8 output | nlabels × f32 bias
//	u32 CRC-32 (IEEE) of every byte before it
//
// Version 4, the compact embedding bag (what the browser downloads): the
// network of version 1 (hidden = 0) or version 3, with the embedding table
// pruned and stored in fewer bits:
//
//	"KMOD" | u16 format version = 4 | u16 features.Version | u16 flags
//	(bit 0: sum/√n pooling; bit 2: tanh; other bits must be 0)
//	str task | u32 buckets | u8 wordNgrams | u8 minN | u8 maxN | u8 cjkMaxN | u32 seed
//	u16 dim | u16 hidden (0: none) | u16 nlabels | nlabels × str label | i16 fallback | f32 threshold
//	u8 bits (2..8) | u32 kept rows K | f32 top scale
//	K × uvarint bucket gap (the first kept bucket, then each one's distance
//	to the previous minus 1: strictly increasing buckets)
//	K × u8 scale code c (row scale = top scale × 2^(−c/8))
//	K×dim values of `bits` bits, two's complement, each in a nibble (bits
//	≤ 4: two a byte, low nibble first, the last byte padded with zeros) or
//	a byte (5–8 bits), so that none straddles a byte and brotli can
//	entropy-code them on the wire
//	[hidden: hidden × f32 row scale | hidden×dim int8 | hidden × f32 bias]
//	nlabels × f32 row scale | nlabels×(hidden or dim) int8 output | nlabels × f32 bias
//	[flag bit 3, a second head on the same bag (no hidden layer): str task2 |
//	u16 nlabels2 | nlabels2 × str label | i16 fallback2 | f32 threshold2 |
//	nlabels2 × f32 row scale | nlabels2×dim int8 output | nlabels2 × f32 bias]
//	u32 CRC-32 (IEEE) of every byte before it
//
// The second head (flag bit 3, format 4 only) lets one file classify a text
// twice over one shared embedding, e.g. intent and language (Model.Second):
// the browser fetches one table instead of two.
//
// A bucket that is not kept has an all-zero row: it adds nothing to the
// bag but still counts in its length n. A kept value q means q × row
// scale / (2^(bits−1) − 1).
//
// str is u16 length + UTF-8 bytes. Quantization is symmetric: value = int8 ×
// scale, scale = max|row| / 127, per row in version 1 and per column in
// version 2 (a weight table of one byte per bucket and label).

// FormatVersion is the newest .kmod layout: Marshal writes version 1 for an
// embedding bag, version 2 for a linear model and version 3 (this one) for
// an embedding bag with a hidden layer.
const FormatVersion = 4

// The layouts, by format version.
const (
	formatBag     = 1
	formatLinear  = 2
	formatHidden  = 3
	formatCompact = 4
)

var magic = [4]byte{'K', 'M', 'O', 'D'}

const (
	flagSqrtPool = 1
	flagUnique   = 2 // version 2 only
	flagTanh     = 4 // version 3 only
	flagSecond   = 8 // version 4 only: a second head follows the first
)

// Errors returned by Load; test with errors.Is.
var (
	ErrNotModel  = errors.New("textmodel: not a kefu model file (bad magic)")
	ErrVersion   = errors.New("textmodel: unsupported model version")
	ErrTruncated = errors.New("textmodel: model file truncated")
	ErrChecksum  = errors.New("textmodel: model checksum mismatch (corrupt file)")
	ErrCorrupt   = errors.New("textmodel: model file corrupt")
	ErrWeights   = errors.New("textmodel: invalid weights")
)

// contextError adds what was being done to a sentinel without fmt.
type contextError struct {
	what string
	err  error
}

// Error says what was being done and why it failed.
func (e *contextError) Error() string { return "textmodel: " + e.what + ": " + e.err.Error() }

// Unwrap returns the sentinel.
func (e *contextError) Unwrap() error { return e.err }

//go:noinline
func wrap(what string, err error) error { return &contextError{what: what, err: err} }

// Weights are the float parameters of a model, as produced by training.
type Weights struct {
	Task     string
	Features features.Config
	Dim      int
	Labels   []string
	// Fallback is the label returned when the best probability is below
	// Threshold; empty for none. It must be one of Labels.
	Fallback  string
	Threshold float32
	// SqrtPool divides the sum of embedding rows by √n instead of n, so
	// long texts carry more evidence than short ones.
	SqrtPool bool
	Emb      []float32 // Buckets×Dim, row-major
	Out      []float32 // len(Labels)×Dim, row-major
	Bias     []float32 // len(Labels)

	// Linear, when not nil, makes this a wide linear model (format version
	// 2) instead of an embedding bag: Buckets×Cols weights, row-major, where
	// Cols is len(Labels), or 1 for two labels (the score of Labels[1] minus
	// that of Labels[0]). Dim, Emb and Out must then be empty.
	Linear []float32
	// Unique counts each distinct feature of a text once (linear models).
	Unique bool

	// Hidden, when not empty, puts a hidden layer between the bag and the
	// output (format version 3): Hidden is H×Dim row-major, HiddenBias H,
	// and Out becomes len(Labels)×H. Its activation is ReLU, or tanh when
	// Tanh is set.
	Hidden     []float32
	HiddenBias []float32
	Tanh       bool

	// Bits, when between 2 and 7, or KeepRows, when positive, make Marshal
	// write the compact layout (format version 4) of an embedding bag: the
	// KeepRows rows of largest L2 norm (0: every row), each quantized to
	// Bits bits (0 or 8: one byte) with its own scale; the other rows
	// become zero. 8 bits with KeepRows 0 is the plain layout.
	Bits     int
	KeepRows int

	// Second, when not nil, is a second output head over the same bag
	// (written in the compact layout, format version 4, flag bit 3; no
	// hidden layer): another task's labels, classified from the same
	// embedding.
	Second *Head
}

// Head is a second output layer over a model's bag: its own task, labels,
// fallback and threshold, Out len(Labels)×Dim row-major and Bias.
type Head struct {
	Task      string
	Labels    []string
	Fallback  string
	Threshold float32
	Out       []float32
	Bias      []float32
}

// Marshal quantizes w to int8 and encodes it as a .kmod file.
func Marshal(w *Weights) ([]byte, error) {
	if err := w.Features.Validate(); err != nil {
		return nil, wrap("marshal", err)
	}
	if w.Linear != nil {
		return marshalLinear(w)
	}
	if w.Unique {
		return nil, wrap("marshal: unique features need a linear model", ErrWeights)
	}
	b := int(w.Features.Buckets)
	c := len(w.Labels)
	hid := 0
	if len(w.Hidden) > 0 || len(w.HiddenBias) > 0 {
		hid = len(w.HiddenBias)
		if hid < 1 || hid > math.MaxUint16 || w.Dim < 1 || len(w.Hidden) != hid*w.Dim {
			return nil, wrap("marshal: hidden layer is not len(HiddenBias)×dim", ErrWeights)
		}
	} else if w.Tanh {
		return nil, wrap("marshal: tanh needs a hidden layer", ErrWeights)
	}
	outDim := w.Dim
	if hid > 0 {
		outDim = hid
	}
	switch {
	case w.Dim < 1 || w.Dim > math.MaxUint16:
		return nil, wrap("marshal: dim out of range", ErrWeights)
	case c < 2 || c > math.MaxUint16:
		return nil, wrap("marshal: need 2..65535 labels", ErrWeights)
	case len(w.Emb) != b*w.Dim:
		return nil, wrap("marshal: embedding size is not buckets×dim", ErrWeights)
	case len(w.Out) != c*outDim:
		return nil, wrap("marshal: output size is not labels×dim (labels×hidden with a hidden layer)", ErrWeights)
	case len(w.Bias) != c:
		return nil, wrap("marshal: bias size is not labels", ErrWeights)
	case len(w.Task) > math.MaxUint16:
		return nil, wrap("marshal: task name too long", ErrWeights)
	}
	fallback, err := checkLabels(w)
	if err != nil {
		return nil, err
	}
	var flags uint16
	if w.Bits != 0 && (w.Bits < 2 || w.Bits > 8) || w.KeepRows < 0 {
		return nil, wrap("marshal: bits must be 2..8 and kept rows ≥ 0", ErrWeights)
	}
	compact := (w.Bits > 0 && w.Bits < 8) || w.KeepRows > 0
	var fallback2 int
	if h := w.Second; h != nil {
		hw := &Weights{Labels: h.Labels, Fallback: h.Fallback}
		switch {
		case !compact || hid > 0:
			return nil, wrap("marshal: a second head needs the compact layout (bits below 8 or kept rows) and no hidden layer", ErrWeights)
		case len(h.Labels) < 2 || len(h.Labels) > math.MaxUint16:
			return nil, wrap("marshal: second head: need 2..65535 labels", ErrWeights)
		case len(h.Out) != len(h.Labels)*w.Dim || len(h.Bias) != len(h.Labels):
			return nil, wrap("marshal: second head: output is not labels×dim or bias not labels", ErrWeights)
		case len(h.Task) > math.MaxUint16:
			return nil, wrap("marshal: second head: task name too long", ErrWeights)
		}
		if fallback2, err = checkLabels(hw); err != nil {
			return nil, err
		}
		flags |= flagSecond
	}
	out := make([]byte, 0, 64+b*(w.Dim+4)+hid*(w.Dim+8)+c*(outDim+8))
	if w.SqrtPool {
		flags |= flagSqrtPool
	}
	version := uint16(formatBag)
	if hid > 0 {
		version = formatHidden
	}
	if compact {
		version = formatCompact
	}
	if hid > 0 && w.Tanh {
		flags |= flagTanh
	}
	out = appendHeader(out, version, flags, w)
	out = binary.LittleEndian.AppendUint16(out, uint16(w.Dim))
	if hid > 0 || compact {
		out = binary.LittleEndian.AppendUint16(out, uint16(hid))
	}
	out = appendLabels(out, w, fallback)
	if compact {
		bits := w.Bits
		if bits == 0 {
			bits = 8
		}
		out = appendCompact(out, w.Emb, b, w.Dim, bits, w.KeepRows)
	} else {
		out = appendQuantized(out, w.Emb, b, w.Dim)
	}
	if hid > 0 {
		out = appendQuantized(out, w.Hidden, hid, w.Dim)
		for _, v := range w.HiddenBias {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	out = appendQuantized(out, w.Out, c, outDim)
	for _, v := range w.Bias {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	if h := w.Second; h != nil {
		out = appendStr(out, h.Task)
		out = appendLabels(out, &Weights{Labels: h.Labels, Threshold: h.Threshold}, fallback2)
		out = appendQuantized(out, h.Out, len(h.Labels), w.Dim)
		for _, v := range h.Bias {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	out = binary.LittleEndian.AppendUint32(out, checksum(out))
	return out, nil
}

// marshalLinear writes format version 2.
func marshalLinear(w *Weights) ([]byte, error) {
	b := int(w.Features.Buckets)
	c := len(w.Labels)
	if c < 2 || c > math.MaxUint16 {
		return nil, wrap("marshal: need 2..65535 labels", ErrWeights)
	}
	cols := linearCols(c)
	switch {
	case (w.Bits != 0 && w.Bits != 8) || w.KeepRows != 0:
		return nil, wrap("marshal: a linear model is written in 8 bits, every row", ErrWeights)
	case w.Dim != 0 || w.Emb != nil || w.Out != nil || w.Hidden != nil || w.HiddenBias != nil || w.Tanh:
		return nil, wrap("marshal: a linear model has no embedding or output layer", ErrWeights)
	case len(w.Linear) != b*cols:
		return nil, wrap("marshal: linear weights are not buckets×"+itoa(cols), ErrWeights)
	case len(w.Bias) != c:
		return nil, wrap("marshal: bias size is not labels", ErrWeights)
	case len(w.Task) > math.MaxUint16:
		return nil, wrap("marshal: task name too long", ErrWeights)
	}
	fallback, err := checkLabels(w)
	if err != nil {
		return nil, err
	}
	var flags uint16
	if w.SqrtPool {
		flags |= flagSqrtPool
	}
	if w.Unique {
		flags |= flagUnique
	}
	out := make([]byte, 0, 64+b*cols+c*12)
	out = appendHeader(out, formatLinear, flags, w)
	out = appendLabels(out, w, fallback)
	out = binary.LittleEndian.AppendUint16(out, uint16(cols))
	scales := make([]float32, cols)
	for i, v := range w.Linear {
		if a := float32(math.Abs(float64(v))); a > scales[i%cols] {
			scales[i%cols] = a
		}
	}
	for k := range scales {
		scales[k] /= 127
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(scales[k]))
	}
	for i, v := range w.Linear {
		out = append(out, byte(quantize(v, scales[i%cols])))
	}
	for _, v := range w.Bias {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	out = binary.LittleEndian.AppendUint32(out, checksum(out))
	return out, nil
}

// linearCols is the number of weight columns of a linear model with c labels.
func linearCols(c int) int {
	if c == 2 {
		return 1
	}
	return c
}

// checkLabels validates the label table and returns the fallback index (-1
// for none).
func checkLabels(w *Weights) (int, error) {
	fallback := -1
	seen := make(map[string]bool, len(w.Labels))
	for i, l := range w.Labels {
		if l == "" || len(l) > math.MaxUint16 || seen[l] {
			return 0, wrap("marshal: labels must be unique and non-empty: "+l, ErrWeights)
		}
		seen[l] = true
		if l == w.Fallback {
			fallback = i
		}
	}
	if w.Fallback != "" && fallback < 0 {
		return 0, wrap("marshal: fallback label "+w.Fallback+" is not a label", ErrWeights)
	}
	return fallback, nil
}

// appendHeader writes magic, versions, flags, task and features.
func appendHeader(out []byte, version, flags uint16, w *Weights) []byte {
	out = append(out, magic[:]...)
	out = binary.LittleEndian.AppendUint16(out, version)
	out = binary.LittleEndian.AppendUint16(out, features.Version)
	out = binary.LittleEndian.AppendUint16(out, flags)
	out = appendStr(out, w.Task)
	f := w.Features
	out = binary.LittleEndian.AppendUint32(out, f.Buckets)
	out = append(out, f.WordNgrams, f.MinN, f.MaxN, f.CJKMaxN)
	return binary.LittleEndian.AppendUint32(out, f.Seed)
}

// appendLabels writes the label count, labels, fallback and threshold.
func appendLabels(out []byte, w *Weights, fallback int) []byte {
	out = binary.LittleEndian.AppendUint16(out, uint16(len(w.Labels)))
	for _, l := range w.Labels {
		out = appendStr(out, l)
	}
	out = binary.LittleEndian.AppendUint16(out, uint16(int16(fallback)))
	return binary.LittleEndian.AppendUint32(out, math.Float32bits(w.Threshold))
}

func quantize(v, scale float32) int8 {
	var q float64
	if scale > 0 {
		q = math.Round(float64(v / scale))
	}
	return int8(math.Max(-127, math.Min(127, q)))
}

func appendStr(out []byte, s string) []byte {
	out = binary.LittleEndian.AppendUint16(out, uint16(len(s)))
	return append(out, s...)
}

// appendQuantized writes rows scales then rows×dim int8 values.
func appendQuantized(out []byte, m []float32, rows, dim int) []byte {
	scales := make([]float32, rows)
	for r := 0; r < rows; r++ {
		var maxAbs float32
		for _, v := range m[r*dim : r*dim+dim] {
			if a := float32(math.Abs(float64(v))); a > maxAbs {
				maxAbs = a
			}
		}
		scales[r] = maxAbs / 127
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(scales[r]))
	}
	for r := 0; r < rows; r++ {
		for _, v := range m[r*dim : r*dim+dim] {
			out = append(out, byte(quantize(v, scales[r])))
		}
	}
	return out
}

// reader walks the file; the first error sticks. Its methods, wrap, itoa,
// checksum and dequantize are never inlined (//go:noinline): Load runs once
// per model, and their inlined copies in Load and readCompact were ~16 KB
// of WebAssembly, ~5 KB of brotli in the browser core every shopper downloads
// (widget/core TestWASMCoreSize).
type reader struct {
	buf []byte
	off int
	err error
}

//go:noinline
func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.buf)-r.off < n {
		r.err = wrap("reading "+what, ErrTruncated)
		return nil
	}
	p := r.buf[r.off : r.off+n]
	r.off += n
	return p
}

//go:noinline
func (r *reader) u8(what string) uint8 {
	if p := r.take(1, what); p != nil {
		return p[0]
	}
	return 0
}

//go:noinline
func (r *reader) u16(what string) uint16 {
	if p := r.take(2, what); p != nil {
		return binary.LittleEndian.Uint16(p)
	}
	return 0
}

//go:noinline
func (r *reader) u32(what string) uint32 {
	if p := r.take(4, what); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

//go:noinline
func (r *reader) str(what string) string {
	n := r.u16(what)
	return string(r.take(int(n), what))
}

//go:noinline
func (r *reader) floats(n int, what string) []float32 {
	p := r.take(4*n, what)
	if p == nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		v := math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			r.err = wrap(what+": not a finite number", ErrCorrupt)
			return nil
		}
		out[i] = v
	}
	return out
}

// Load decodes a .kmod file. It verifies the magic, versions and checksum
// before trusting any size in the header, and refuses truncated or corrupt
// files with an error wrapping ErrNotModel, ErrVersion, ErrTruncated,
// ErrChecksum or ErrCorrupt. The returned model keeps a reference to data's
// int8 tables: do not modify data afterwards.
func Load(data []byte) (*Model, error) {
	if len(data) < 4 || [4]byte(data[:4]) != magic {
		if len(data) < 4 && len(data) > 0 && string(data) == string(magic[:len(data)]) {
			return nil, wrap("reading header", ErrTruncated)
		}
		return nil, ErrNotModel
	}
	if len(data) < 14 {
		return nil, wrap("reading header", ErrTruncated)
	}
	version := binary.LittleEndian.Uint16(data[4:])
	if version < formatBag || version > FormatVersion {
		return nil, wrap("format version "+itoa(int(version))+", want "+itoa(formatBag)+" to "+itoa(FormatVersion), ErrVersion)
	}
	if v := binary.LittleEndian.Uint16(data[6:]); v != features.Version {
		return nil, wrap("features version "+itoa(int(v))+", want "+itoa(features.Version), ErrVersion)
	}
	body := data[:len(data)-4]
	if checksum(body) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		// a file cut short fails here too; say which when the header tells
		n, ok := expectedSize(data, version)
		if !ok && version == formatCompact {
			return nil, ErrChecksum
		}
		if !ok {
			return nil, wrap("file ends inside the header", ErrTruncated)
		}
		if n > len(data) {
			return nil, wrap("file has "+itoa(len(data))+" bytes, header says "+itoa(n), ErrTruncated)
		}
		return nil, ErrChecksum
	}
	r := &reader{buf: body, off: 8}
	m := &Model{size: len(data)}
	flags := r.u16("flags")
	known := uint16(flagSqrtPool)
	switch version {
	case formatLinear:
		known |= flagUnique
	case formatHidden:
		known |= flagTanh
	case formatCompact:
		known |= flagTanh | flagSecond
	}
	if flags&^known != 0 && r.err == nil {
		return nil, wrap("unknown flags", ErrVersion)
	}
	m.sqrtPool = flags&flagSqrtPool != 0
	m.unique = flags&flagUnique != 0
	m.tanh = flags&flagTanh != 0
	m.task = r.str("task")
	m.feat.Buckets = r.u32("buckets")
	m.feat.WordNgrams = r.u8("features")
	m.feat.MinN = r.u8("features")
	m.feat.MaxN = r.u8("features")
	m.feat.CJKMaxN = r.u8("features")
	m.feat.Seed = r.u32("features")
	if version != formatLinear {
		m.dim = int(r.u16("dim"))
	}
	if version == formatHidden || version == formatCompact {
		m.hidden = int(r.u16("hidden"))
	}
	nl := int(r.u16("labels"))
	if r.err != nil {
		return nil, r.err
	}
	if m.tanh && m.hidden == 0 {
		return nil, wrap("tanh flag without a hidden layer", ErrCorrupt)
	}
	if version == formatHidden && m.hidden < 1 {
		return nil, wrap("hidden width is zero", ErrCorrupt)
	}
	if err := m.feat.Validate(); err != nil {
		return nil, wrap("features", errors.Join(ErrCorrupt, err))
	}
	if (version != formatLinear && m.dim < 1) || nl < 2 {
		return nil, wrap("dim or label count is zero", ErrCorrupt)
	}
	m.labels = make([]string, nl)
	seen := make(map[string]bool, nl)
	for i := range m.labels {
		l := r.str("labels")
		if r.err == nil && (l == "" || seen[l]) {
			return nil, wrap("empty or duplicate label "+l, ErrCorrupt)
		}
		seen[l] = true
		m.labels[i] = l
	}
	m.fallback = int(int16(r.u16("fallback")))
	m.threshold = math.Float32frombits(r.u32("threshold"))
	if r.err == nil && (m.fallback < -1 || m.fallback >= nl) {
		return nil, wrap("fallback index out of range", ErrCorrupt)
	}
	b := int(m.feat.Buckets)
	if version != formatLinear {
		if version == formatCompact {
			m.readCompact(r)
		} else {
			m.embScale = r.floats(b, "embedding scales")
			m.emb = r.take(b*m.dim, "embedding")
		}
		outDim := m.dim
		if m.hidden > 0 {
			m.hidScale = r.floats(m.hidden, "hidden scales")
			m.hid = r.take(m.hidden*m.dim, "hidden layer")
			m.hidBias = r.floats(m.hidden, "hidden bias")
			outDim = m.hidden
		}
		m.outScale = r.floats(nl, "output scales")
		m.out = r.take(nl*outDim, "output")
	} else {
		m.cols = int(r.u16("columns"))
		if r.err == nil && m.cols != linearCols(nl) {
			return nil, wrap(itoa(m.cols)+" weight columns for "+itoa(nl)+" labels", ErrCorrupt)
		}
		m.linScale = r.floats(m.cols, "column scales")
		m.lin = r.take(b*m.cols, "linear weights")
	}
	m.bias = r.floats(nl, "bias")
	if flags&flagSecond != 0 {
		if m.hidden > 0 && r.err == nil {
			return nil, wrap("second head on a hidden layer", ErrCorrupt)
		}
		m.second = m.readSecond(r)
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(body) {
		return nil, wrap(itoa(len(body)-r.off)+" trailing bytes", ErrCorrupt)
	}
	if m.hidden > 0 {
		m.hidF = dequantize(m.hid, m.hidScale, m.dim)
		m.outF = dequantize(m.out, m.outScale, m.hidden)
	} else if m.cols == 0 {
		m.outQ = unscaled(m.out)
	}
	if m.cols == 0 {
		m.signs = ternaryMasks(m.emb, m.dim)
	}
	if s := m.second; s != nil {
		s.signs = m.signs
		s.outQ = unscaled(s.out)
	}
	return m, nil
}

// readSecond reads the second head (format 4, flag bit 3): a model that
// shares m's features and embedding table.
func (m *Model) readSecond(r *reader) *Model {
	s := &Model{task: r.str("second task"), feat: m.feat, dim: m.dim, sqrtPool: m.sqrtPool, size: m.size,
		embScale: m.embScale, emb: m.emb}
	nl := int(r.u16("second labels"))
	if r.err != nil {
		return nil
	}
	if nl < 2 {
		r.err = wrap("second head: label count below 2", ErrCorrupt)
		return nil
	}
	s.labels = make([]string, nl)
	seen := make(map[string]bool, nl)
	for i := range s.labels {
		l := r.str("second labels")
		if r.err == nil && (l == "" || seen[l]) {
			r.err = wrap("second head: empty or duplicate label "+l, ErrCorrupt)
			return nil
		}
		seen[l] = true
		s.labels[i] = l
	}
	s.fallback = int(int16(r.u16("second fallback")))
	s.threshold = math.Float32frombits(r.u32("second threshold"))
	if r.err == nil && (s.fallback < -1 || s.fallback >= nl) {
		r.err = wrap("second head: fallback index out of range", ErrCorrupt)
		return nil
	}
	s.outScale = r.floats(nl, "second output scales")
	s.out = r.take(nl*m.dim, "second output")
	s.bias = r.floats(nl, "second bias")
	return s
}

// expectedSize computes the file size the header announces, if the header
// itself is readable.
func expectedSize(data []byte, version uint16) (int, bool) {
	r := &reader{buf: data, off: 8}
	r.u16("flags")
	r.str("task")
	buckets := int(r.u32("buckets"))
	r.take(8, "features")
	dim, hid := 0, 0
	if version != formatLinear {
		dim = int(r.u16("dim"))
	}
	if version == formatCompact {
		return 0, false // variable size
	}
	if version == formatHidden {
		hid = int(r.u16("hidden"))
	}
	nl := int(r.u16("labels"))
	for i := 0; i < nl; i++ {
		r.str("labels")
	}
	r.take(6, "fallback")
	if version == formatLinear {
		cols := int(r.u16("columns"))
		if r.err != nil {
			return 0, false
		}
		return r.off + cols*4 + buckets*cols + nl*4 + 4, true
	}
	if r.err != nil {
		return 0, false
	}
	if hid > 0 {
		return r.off + buckets*(4+dim) + hid*(4+dim+4) + nl*(4+hid+4) + 4, true
	}
	return r.off + buckets*(4+dim) + nl*(4+dim+4) + 4, true
}

//go:noinline
func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var buf [20]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
