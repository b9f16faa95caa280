package pdk

import (
	"encoding/binary"
	"math"
	"time"
	"unsafe"
)

// The binary envelope (plugins/ABI.md section 4.1) is what the host passes
// to a guest that exports kefu_envelope_formats with bit 2, which this PDK
// does: decoding it is slicing, where JSON costs a pass over every byte —
// dear inside wasm, where each loop iteration of guest code is several
// times its native cost.

// Input formats (bits of kefu_envelope_formats).
const (
	formatJSON   = 1
	formatBinary = 2
)

var binaryMagic = "kev\x01"

// binaryZeroTime is the "at" of an envelope without a time.
const binaryZeroTime = math.MinInt64

// isBinaryEnvelope reports whether b starts like a binary envelope (a JSON
// text cannot: it starts with white space or '{').
func isBinaryEnvelope(b []byte) bool {
	return len(b) >= len(binaryMagic) && string(b[:len(binaryMagic)]) == binaryMagic
}

// decodeBinaryEnvelope parses a binary envelope into env. Like
// decodeEnvelope it keeps no reference to b: the strings of env are views
// into one private copy.
func decodeBinaryEnvelope(b []byte, env *Envelope) error {
	_, err := decodeBinaryEnvelopeABI(b, env)
	return err
}

// decodeBinaryEnvelopeABI is decodeBinaryEnvelope that also reports
// whether the host speaks ABI 1.1 (it sent the numbers trailer).
func decodeBinaryEnvelopeABI(b []byte, env *Envelope) (abi11 bool, err error) {
	if !isBinaryEnvelope(b) {
		return false, errSyntax
	}
	r := binReader{b: append([]byte(nil), b[len(binaryMagic):]...)}
	env.V = int(int32(r.u32()))
	at := int64(r.u64())
	anger := math.Float64frombits(r.u64())
	n := r.u32()
	m := &env.Message
	fields := [...]*string{&env.Tenant, &env.Region, &env.Channel, &env.Visitor, &env.Direction,
		&m.ID, &m.ConversationID, &m.Role, &m.Text, &m.Source, &m.ReplyTo, &m.Author, &m.Lang, &m.Intent}
	for i := uint32(0); i < n && r.err == nil; i++ {
		s := r.str()
		if int(i) < len(fields) {
			*fields[i] = s
		} // later ABI minor versions append fields: skipped
	}
	nl := r.u32()
	if nl > 0 && r.err == nil {
		if int(nl) > len(r.b)/8 { // each label takes at least 8 bytes
			return false, errSyntax
		}
		env.Labels = make(map[string]string, nl)
		for i := uint32(0); i < nl && r.err == nil; i++ {
			k := r.str()
			env.Labels[k] = r.str()
		}
	}
	if r.err != nil {
		return false, r.err
	}
	// The numbers trailer (ABI 1.1), absent from older hosts' envelopes:
	// a count, then f64 values; unknown later ones are ignored.
	if len(r.b)-r.i >= 4 {
		abi11 = true
		k := r.u32()
		if k >= 1 && len(r.b)-r.i >= 8 {
			m.IntentConfidence = math.Float64frombits(r.u64())
		}
	}
	m.Anger = anger
	if at != binaryZeroTime {
		m.At = time.Unix(0, at).UTC()
	}
	return abi11, nil
}

type binReader struct {
	b   []byte
	i   int
	err error
}

func (r *binReader) u32() uint32 {
	if r.err != nil || len(r.b)-r.i < 4 {
		r.err = errSyntax
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.i:])
	r.i += 4
	return v
}

func (r *binReader) u64() uint64 {
	if r.err != nil || len(r.b)-r.i < 8 {
		r.err = errSyntax
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.i:])
	r.i += 8
	return v
}

// str reads a length-prefixed string; the host sends valid UTF-8.
func (r *binReader) str() string {
	n := r.u32()
	if r.err != nil {
		return ""
	}
	if uint64(n) > uint64(len(r.b)-r.i) {
		r.err = errSyntax
		return ""
	}
	if n == 0 {
		return ""
	}
	s := unsafe.String(&r.b[r.i], int(n))
	r.i += int(n)
	return s
}
