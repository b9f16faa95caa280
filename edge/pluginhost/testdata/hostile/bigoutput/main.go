// Command bigoutput implements the ABI by hand (no PDK) and returns bad
// results depending on the message text:
//
//	attack  a real 100 MB result
//	claim   a result that claims 100 MB but points at a few bytes
//	badptr  a result pointer outside linear memory
//	garbage a result that is not JSON
//
// and answers "ok:bigoutput" otherwise.
package main

import (
	"bytes"
	"unsafe"
)

var in, out []byte

//go:wasmexport kefu_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport kefu_alloc
func alloc(n int32) uint32 {
	if cap(in) < int(n) || cap(in) == 0 {
		in = make([]byte, max(int(n), 1024))
	}
	in = in[:cap(in)]
	return uint32(uintptr(unsafe.Pointer(&in[0])))
}

func ptr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

//go:wasmexport kefu_on_inbound
func onInbound(p, n uint32) uint64 {
	msg := in[:n]
	switch {
	case bytes.Contains(msg, []byte(`"text":"attack"`)):
		out = make([]byte, 100<<20)
		copy(out, `{"verdict":"answer","answer":"`)
		for i := 30; i < len(out)-2; i++ {
			out[i] = 'x'
		}
		copy(out[len(out)-2:], `"}`)
		return ptr(out)<<32 | uint64(len(out))
	case bytes.Contains(msg, []byte(`"text":"claim"`)):
		out = []byte(`{"verdict":"pass"}`)
		return ptr(out)<<32 | 100<<20
	case bytes.Contains(msg, []byte(`"text":"badptr"`)):
		return uint64(0xfffffff0)<<32 | 64
	case bytes.Contains(msg, []byte(`"text":"garbage"`)):
		out = []byte(`{"verdict":"answer","answer":`)
		return ptr(out)<<32 | uint64(len(out))
	}
	out = []byte(`{"verdict":"answer","answer":"ok:bigoutput"}`)
	return ptr(out)<<32 | uint64(len(out))
}

func main() {}
