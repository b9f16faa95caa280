// Package wasmbin reads and writes the parts of the WebAssembly binary
// format that the plugin host's module rewriters (fuel, datasegs) need:
// LEB128 numbers and the module's sections.
package wasmbin

import (
	"bytes"
	"errors"
)

// ErrMalformed is returned for bytes that are not a well-formed module.
var ErrMalformed = errors.New("wasmbin: malformed module")

// Reader decodes a byte slice from position I.
type Reader struct {
	B []byte
	I int
}

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	if r.I >= len(r.B) {
		return 0, ErrMalformed
	}
	c := r.B[r.I]
	r.I++
	return c, nil
}

// U32 reads an unsigned LEB128 of at most 5 bytes.
func (r *Reader) U32() (uint32, error) {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if v > 1<<32-1 {
				return 0, ErrMalformed
			}
			return uint32(v), nil
		}
	}
	return 0, ErrMalformed
}

// S32 reads a signed LEB128 of at most 5 bytes.
func (r *Reader) S32() (int32, error) {
	var v int64
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift < 28 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			} else if shift == 28 {
				v = int64(int32(uint32(v))) // the fifth byte carries bits 28-31
			}
			return int32(v), nil
		}
	}
	return 0, ErrMalformed
}

// SkipLEB skips a LEB128 of at most max bytes.
func (r *Reader) SkipLEB(max int) error {
	for range max {
		c, err := r.Byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return ErrMalformed
}

// Skip skips n bytes.
func (r *Reader) Skip(n int) error {
	_, err := r.Take(n)
	return err
}

// Take returns the next n bytes (capacity capped, so appending to them
// copies).
func (r *Reader) Take(n int) ([]byte, error) {
	if n < 0 || n > len(r.B)-r.I {
		return nil, ErrMalformed
	}
	b := r.B[r.I : r.I+n : r.I+n]
	r.I += n
	return b, nil
}

// Name skips a name (a length and its bytes).
func (r *Reader) Name() error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	return r.Skip(int(n))
}

// AppendU32 appends v as an unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// AppendS64 appends v as a signed LEB128 (an i32 too, widened).
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// Section is one section of a module: its id and contents.
type Section struct {
	ID   byte
	Body []byte
}

// Header is the length of a module's preamble (magic and version).
const Header = 8

// Sections splits a module into its sections, in order.
func Sections(wasm []byte) ([]Section, error) {
	if len(wasm) < Header || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return nil, ErrMalformed
	}
	r := &Reader{B: wasm, I: Header}
	var secs []Section
	for r.I < len(wasm) {
		id, err := r.Byte()
		if err != nil {
			return nil, err
		}
		n, err := r.U32()
		if err != nil {
			return nil, err
		}
		body, err := r.Take(int(n))
		if err != nil {
			return nil, err
		}
		secs = append(secs, Section{id, body})
	}
	return secs, nil
}

// Encode returns a module of wasm's preamble and secs.
func Encode(wasm []byte, secs []Section) []byte {
	size := Header
	for _, s := range secs {
		size += 6 + len(s.Body)
	}
	out := append(make([]byte, 0, size), wasm[:Header]...)
	for _, s := range secs {
		out = append(out, s.ID)
		out = AppendU32(out, uint32(len(s.Body)))
		out = append(out, s.Body...)
	}
	return out
}
