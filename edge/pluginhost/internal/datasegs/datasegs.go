// Package datasegs coalesces a WebAssembly module's active data segments.
//
// Why: Go's wasm linker starts a new data segment at every run of more
// than a few zero bytes, so a Go plugin carries ~40,000 segments for
// ~1.4 MB of data. wazero decodes each into a segment, an offset
// expression and its bytes, and keeps them for as long as the compiled
// module can be instantiated: in a `kefu dev` under load, ~400,000 of
// the ~1.34 million heap objects every garbage collection marks, and
// every instantiation copied 40,000 pieces. Merging segments whose gaps
// are short (filling the gaps with the zeros memory already holds)
// leaves one or a few segments with the same memory image.
package datasegs

import (
	"cmp"
	"errors"
	"slices"

	"github.com/kefu-io/kefu/edge/pluginhost/internal/wasmbin"
)

// ErrUnsupported is returned for modules whose data section Coalesce
// leaves alone: segments that are passive, target another memory, use an
// offset other than i32.const or overlap, or a data count section (the
// code may then name segments by index).
var ErrUnsupported = errors.New("datasegs: unsupported data section")

// ErrMalformed is returned for bytes that are not a well-formed module.
var ErrMalformed = wasmbin.ErrMalformed

const (
	sectionData      = 11
	sectionDataCount = 12
)

type segment struct {
	offset uint32
	init   []byte
}

// Coalesce returns wasm with every two neighbouring active data segments
// of memory 0 merged when at most maxGap bytes lie between them. The
// merged module writes the same bytes to memory at instantiation. When
// nothing merges, wasm itself is returned.
func Coalesce(wasm []byte, maxGap int) ([]byte, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, err
	}
	data := -1
	for i, s := range secs {
		switch s.ID {
		case sectionDataCount:
			return nil, ErrUnsupported
		case sectionData:
			data = i
		}
	}
	if data < 0 {
		return wasm, nil
	}
	segs, err := parse(secs[data].Body)
	if err != nil {
		return nil, err
	}
	merged := merge(segs, maxGap)
	if len(merged) == len(segs) {
		return wasm, nil
	}
	secs[data].Body = encode(merged)
	return wasmbin.Encode(wasm, secs), nil
}

// parse reads a data section of active memory-0 segments with i32.const
// offsets, sorted by offset; it refuses overlapping segments.
func parse(body []byte) ([]segment, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	segs := make([]segment, 0, min(int(n), len(body)/4))
	for range n {
		var s segment
		if s.offset, err = activeOffset(r); err != nil {
			return nil, err
		}
		size, err := r.U32()
		if err != nil {
			return nil, err
		}
		if s.init, err = r.Take(int(size)); err != nil {
			return nil, err
		}
		segs = append(segs, s)
	}
	if r.I != len(body) {
		return nil, ErrMalformed
	}
	slices.SortStableFunc(segs, func(a, b segment) int { return cmp.Compare(a.offset, b.offset) })
	for i := 1; i < len(segs); i++ {
		if uint64(segs[i-1].offset)+uint64(len(segs[i-1].init)) > uint64(segs[i].offset) {
			return nil, ErrUnsupported
		}
	}
	return segs, nil
}

// activeOffset reads a segment's header: flag 0 (active, memory 0) and
// an offset of i32.const N end, returned as the unsigned address N.
func activeOffset(r *wasmbin.Reader) (uint32, error) {
	flag, err := r.U32()
	if err != nil {
		return 0, err
	}
	if flag != 0 {
		return 0, ErrUnsupported
	}
	op, err := r.Byte()
	if err != nil {
		return 0, err
	}
	v, err := r.S32()
	if err != nil {
		return 0, err
	}
	end, err := r.Byte()
	if err != nil {
		return 0, err
	}
	if op != 0x41 || end != 0x0b {
		return 0, ErrUnsupported
	}
	return uint32(v), nil
}

// merge joins sorted, disjoint segments whose gap is at most maxGap.
func merge(segs []segment, maxGap int) []segment {
	var out []segment
	owned := false // whether out's last init is a buffer of merge's own
	for _, s := range segs {
		if len(out) > 0 {
			last := &out[len(out)-1]
			end := uint64(last.offset) + uint64(len(last.init))
			if gap := uint64(s.offset) - end; gap <= uint64(maxGap) {
				if !owned {
					last.init, owned = slices.Clone(last.init), true
				}
				last.init = append(last.init, make([]byte, gap)...)
				last.init = append(last.init, s.init...)
				continue
			}
		}
		out, owned = append(out, s), false
	}
	return out
}

func encode(segs []segment) []byte {
	size := 5
	for _, s := range segs {
		size += 13 + len(s.init)
	}
	b := wasmbin.AppendU32(make([]byte, 0, size), uint32(len(segs)))
	for _, s := range segs {
		b = append(b, 0x00, 0x41) // active, memory 0; i32.const
		b = wasmbin.AppendS64(b, int64(int32(s.offset)))
		b = append(b, 0x0b) // end
		b = wasmbin.AppendU32(b, uint32(len(s.init)))
		b = append(b, s.init...)
	}
	return b
}
