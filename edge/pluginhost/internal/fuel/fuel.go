// Package fuel instruments a WebAssembly module with a loop budget: it adds
// a mutable i64 global, exported as ExportName, and at the head of every
// loop decrements it and executes `unreachable` when it reaches zero. The
// host sets the budget before each call; a guest that spins traps in a few
// nanoseconds per iteration instead of running forever.
//
// Why: wazero's WithCloseOnContextDone makes the compiled code leave native
// code for a Go check at every loop header. Go guests branch through a loop
// at every basic block, so that made them ~8× slower (a 1 KiB pass-through
// went from ~37 µs to ~330 µs of CPU). The inline counter costs a load, a
// subtract, a store and a branch.
//
// Only the code, global and export sections change; existing indices stay
// valid because the new global is appended last. SIMD (0xfd) and threads
// (0xfe) instructions are refused with ErrUnsupported; callers fall back to
// wazero's context-done checks for such modules.
package fuel

import (
	"errors"
	"fmt"

	"github.com/kefu-io/kefu/edge/pluginhost/internal/wasmbin"
)

// ExportName is the export of the budget global.
const ExportName = "kefu_fuel"

// ErrUnsupported is returned for modules the instrumenter cannot rewrite.
var ErrUnsupported = errors.New("fuel: unsupported module")

// Instrument returns a copy of wasm with the loop budget; the budget
// starts at initial (what start functions may spend) and traps when it
// reaches zero.
func Instrument(wasm []byte, initial int64) ([]byte, error) {
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		return nil, err
	}
	// Count globals (imported + defined): the new one comes after them.
	var globals uint32
	for _, s := range secs {
		switch s.ID {
		case 2:
			n, err := countImportedGlobals(s.Body)
			if err != nil {
				return nil, err
			}
			globals += n
		case 6:
			n, err := (&wasmbin.Reader{B: s.Body}).U32()
			if err != nil {
				return nil, err
			}
			globals += n
		}
	}
	g := globals
	newGlobal := wasmbin.AppendS64([]byte{0x7e, 0x01, 0x42}, initial) // mut i64 = initial
	newGlobal = append(newGlobal, 0x0b)
	export := wasmbin.AppendU32(nil, uint32(len(ExportName)))
	export = append(export, ExportName...)
	export = append(export, 0x03)
	export = wasmbin.AppendU32(export, g)

	var out []wasmbin.Section
	haveGlobal, haveExport := false, false
	for _, s := range secs {
		switch s.ID {
		case 6:
			body, err := appendEntry(s.Body, newGlobal)
			if err != nil {
				return nil, err
			}
			s.Body, haveGlobal = body, true
		case 7:
			if !haveGlobal {
				out = append(out, wasmbin.Section{ID: 6, Body: append([]byte{1}, newGlobal...)})
				haveGlobal = true
			}
			body, err := appendEntry(s.Body, export)
			if err != nil {
				return nil, err
			}
			s.Body, haveExport = body, true
		case 10:
			body, err := instrumentCode(s.Body, g)
			if err != nil {
				return nil, err
			}
			s.Body = body
		}
		// Sections after globals/exports in the canonical order: insert the
		// missing ones first.
		if order(s.ID) > order(6) && !haveGlobal {
			out = append(out, wasmbin.Section{ID: 6, Body: append([]byte{1}, newGlobal...)})
			haveGlobal = true
		}
		if order(s.ID) > order(7) && !haveExport {
			out = append(out, wasmbin.Section{ID: 7, Body: append([]byte{1}, export...)})
			haveExport = true
		}
		out = append(out, s)
	}
	if !haveGlobal {
		out = append(out, wasmbin.Section{ID: 6, Body: append([]byte{1}, newGlobal...)})
	}
	if !haveExport {
		out = append(out, wasmbin.Section{ID: 7, Body: append([]byte{1}, export...)})
	}
	return wasmbin.Encode(wasm, out), nil
}

// order is a section's position in the binary (custom sections: 0, they
// stay where they are).
func order(id byte) int {
	switch id {
	case 0:
		return 0
	case 12: // data count comes before code
		return 95
	case 10:
		return 100
	case 11:
		return 110
	}
	return int(id) * 10
}

// appendEntry bumps a vector's count and appends one encoded entry.
func appendEntry(body, entry []byte) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	out := wasmbin.AppendU32(nil, n+1)
	out = append(out, body[r.I:]...)
	return append(out, entry...), nil
}

func countImportedGlobals(body []byte) (uint32, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return 0, err
	}
	var globals uint32
	for range n {
		if err := r.Name(); err != nil {
			return 0, err
		}
		if err := r.Name(); err != nil {
			return 0, err
		}
		kind, err := r.Byte()
		if err != nil {
			return 0, err
		}
		switch kind {
		case 0: // func: type index
			err = r.SkipLEB(5)
		case 1: // table: reftype, limits
			if _, err = r.Byte(); err == nil {
				err = skipLimits(r)
			}
		case 2: // memory: limits
			err = skipLimits(r)
		case 3: // global: valtype, mut
			globals++
			err = r.Skip(2)
		case 4: // tag
			_, err = r.Byte()
			if err == nil {
				err = r.SkipLEB(5)
			}
		default:
			return 0, fmt.Errorf("%w: import kind %d", ErrUnsupported, kind)
		}
		if err != nil {
			return 0, err
		}
	}
	return globals, nil
}

func skipLimits(r *wasmbin.Reader) error {
	flags, err := r.Byte()
	if err != nil {
		return err
	}
	if err := r.SkipLEB(10); err != nil {
		return err
	}
	if flags&1 != 0 {
		return r.SkipLEB(10)
	}
	return nil
}

// check is inserted after every loop's block type:
//
//	global.get G; i64.const 1; i64.sub; global.set G
//	global.get G; i64.const 0; i64.le_s; if; unreachable; end
func check(g uint32) []byte {
	b := wasmbin.AppendU32([]byte{0x23}, g)
	b = append(b, 0x42, 0x01, 0x7d, 0x24)
	b = wasmbin.AppendU32(b, g)
	b = append(b, 0x23)
	b = wasmbin.AppendU32(b, g)
	return append(b, 0x42, 0x00, 0x57, 0x04, 0x40, 0x00, 0x0b)
}

func instrumentCode(body []byte, g uint32) ([]byte, error) {
	r := &wasmbin.Reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, err
	}
	chk := check(g)
	out := wasmbin.AppendU32(make([]byte, 0, len(body)+len(body)/8), n)
	var fn []byte
	for range n {
		size, err := r.U32()
		if err != nil {
			return nil, err
		}
		start := r.I
		if err := r.Skip(int(size)); err != nil {
			return nil, err
		}
		fn, err = instrumentFunc(fn[:0], body[start:r.I], chk)
		if err != nil {
			return nil, err
		}
		out = wasmbin.AppendU32(out, uint32(len(fn)))
		out = append(out, fn...)
	}
	return out, nil
}

func instrumentFunc(out, fn, chk []byte) ([]byte, error) {
	r := &wasmbin.Reader{B: fn}
	nlocals, err := r.U32()
	if err != nil {
		return nil, err
	}
	for range nlocals {
		if err := r.SkipLEB(5); err != nil {
			return nil, err
		}
		if _, err := r.Byte(); err != nil {
			return nil, err
		}
	}
	out = append(out, fn[:r.I]...)
	for r.I < len(fn) {
		start := r.I
		op, _ := r.Byte()
		isLoop := false
		switch {
		case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
			err = skipBlockType(r)
			isLoop = op == 0x03
		case op == 0x0c || op == 0x0d || op == 0x10 || op == 0xd2 || (op >= 0x20 && op <= 0x26):
			err = r.SkipLEB(5)
		case op == 0x0e: // br_table
			var cnt uint32
			if cnt, err = r.U32(); err == nil {
				for i := uint32(0); i <= cnt && err == nil; i++ {
					err = r.SkipLEB(5)
				}
			}
		case op == 0x11: // call_indirect
			if err = r.SkipLEB(5); err == nil {
				err = r.SkipLEB(5)
			}
		case op == 0x1c: // select t*
			var cnt uint32
			if cnt, err = r.U32(); err == nil {
				err = r.Skip(int(cnt))
			}
		case op >= 0x28 && op <= 0x3e: // memarg
			if err = r.SkipLEB(5); err == nil {
				err = r.SkipLEB(10)
			}
		case op == 0x3f || op == 0x40:
			err = r.SkipLEB(5)
		case op == 0x41:
			err = r.SkipLEB(5)
		case op == 0x42:
			err = r.SkipLEB(10)
		case op == 0x43:
			err = r.Skip(4)
		case op == 0x44:
			err = r.Skip(8)
		case op == 0xd0:
			_, err = r.Byte()
		case op == 0xfc:
			var sub uint32
			if sub, err = r.U32(); err == nil {
				switch {
				case sub <= 7:
				case sub == 8: // memory.init data, mem
					if err = r.SkipLEB(5); err == nil {
						err = r.SkipLEB(5)
					}
				case sub == 10 || sub == 12 || sub == 14: // memory.copy, table.init, table.copy
					if err = r.SkipLEB(5); err == nil {
						err = r.SkipLEB(5)
					}
				case sub == 9 || sub == 11 || sub == 13 || (sub >= 15 && sub <= 17):
					err = r.SkipLEB(5)
				default:
					err = fmt.Errorf("%w: instruction 0xfc %d", ErrUnsupported, sub)
				}
			}
		case op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b || op == 0xd1:
		case op >= 0x45 && op <= 0xc4:
		default:
			err = fmt.Errorf("%w: opcode %#x", ErrUnsupported, op)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fn[start:r.I]...)
		if isLoop {
			out = append(out, chk...)
		}
	}
	return out, nil
}

func skipBlockType(r *wasmbin.Reader) error {
	c, err := r.Byte()
	if err != nil {
		return err
	}
	switch c {
	case 0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f:
		return nil
	}
	// s33 type index: c was its first byte.
	for c&0x80 != 0 {
		if c, err = r.Byte(); err != nil {
			return err
		}
	}
	return nil
}
