package wasmbin

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestLEB(t *testing.T) {
	for _, v := range []uint32{0, 1, 63, 64, 127, 128, 16383, 16384, 1 << 31, math.MaxUint32} {
		r := &Reader{B: AppendU32(nil, v)}
		if got, err := r.U32(); err != nil || got != v || r.I != len(r.B) {
			t.Errorf("U32 of %d: %d, %v (read %d of %d bytes)", v, got, err, r.I, len(r.B))
		}
	}
	for _, v := range []int32{0, 1, -1, 63, -64, 64, -65, 1 << 20, math.MaxInt32, math.MinInt32} {
		r := &Reader{B: AppendS64(nil, int64(v))}
		if got, err := r.S32(); err != nil || got != v || r.I != len(r.B) {
			t.Errorf("S32 of %d: %d, %v (read %d of %d bytes)", v, got, err, r.I, len(r.B))
		}
	}
	bad := map[string][]byte{
		"truncated":    {0x80, 0x80},
		"six bytes":    {0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
		"above 2^32-1": {0xff, 0xff, 0xff, 0xff, 0x7f},
	}
	for name, b := range bad {
		if _, err := (&Reader{B: b}).U32(); !errors.Is(err, ErrMalformed) {
			t.Errorf("U32 %s: %v", name, err)
		}
	}
	if err := (&Reader{B: []byte{0x80, 0x80, 0x00}}).SkipLEB(2); !errors.Is(err, ErrMalformed) {
		t.Errorf("SkipLEB past its bound: %v", err)
	}
}

func TestSections(t *testing.T) {
	wasm := []byte("\x00asm\x01\x00\x00\x00" + "\x01\x04\x01\x60\x00\x00" + "\x00\x03\x01ab" + "\x0b\x01\x00")
	secs, err := Sections(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 3 || secs[0].ID != 1 || secs[1].ID != 0 || secs[2].ID != 11 || string(secs[1].Body) != "\x01ab" {
		t.Fatalf("sections %+v", secs)
	}
	if out := Encode(wasm, secs); !bytes.Equal(out, wasm) {
		t.Fatalf("Encode(Sections(m)) = %x, want %x", out, wasm)
	}
	for name, b := range map[string][]byte{
		"empty":             nil,
		"not wasm":          []byte("\x00elf\x01\x00\x00\x00"),
		"section too long":  []byte("\x00asm\x01\x00\x00\x00\x01\x09\x01"),
		"size cut short":    []byte("\x00asm\x01\x00\x00\x00\x01\x80"),
		"id without a size": []byte("\x00asm\x01\x00\x00\x00\x01"),
	} {
		if _, err := Sections(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzSections(f *testing.F) {
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x0b\x01\x00"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x01\x84\x80\x80\x80\x00\x01\x60\x00\x00"))
	f.Fuzz(func(t *testing.T, wasm []byte) {
		secs, err := Sections(wasm)
		if err != nil {
			return
		}
		// Encoding writes sizes in their shortest form: the same sections.
		again, err := Sections(Encode(wasm, secs))
		if err != nil || len(again) != len(secs) {
			t.Fatalf("re-encoded: %d sections, %v; want %d", len(again), err, len(secs))
		}
		for i := range secs {
			if again[i].ID != secs[i].ID || !bytes.Equal(again[i].Body, secs[i].Body) {
				t.Fatalf("section %d differs after encoding", i)
			}
		}
	})
}
