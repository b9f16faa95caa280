// Command extism-passthrough is the Extism-ABI twin of
// plugins/examples/passthrough, for `kefu bench plugins`: it reads its input
// the way github.com/extism/go-pdk's Input() does (input_length, then
// input_load_u64 per 8 bytes and input_load_u8 for the rest), decodes the
// envelope with the same PDK code as ours, and returns 0 with no output
// (pass). It calls the Extism host imports directly instead of
// importing go-pdk, which would be one more module for the same calls.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o extism-passthrough.wasm .
package main

import (
	"encoding/binary"

	"github.com/kefu-io/kefu/plugins/pdk"
)

// The same handler as plugins/examples/passthrough, run by the same PDK
// code (pdk.Handle decodes the envelope): only the ABI around it differs.
// The PDK's kefu_* exports are also present but unused by Extism.
func init() {
	pdk.OnInbound(func(*pdk.Envelope) pdk.Result { return pdk.Pass() })
}

//go:wasmimport extism:host/env input_length
func inputLength() uint64

//go:wasmimport extism:host/env input_load_u64
func inputLoadU64(offs uint64) uint64

//go:wasmimport extism:host/env input_load_u8
func inputLoadU8(offs uint64) uint32

func input() []byte {
	n := inputLength()
	buf := make([]byte, n)
	chunks := n >> 3
	for c := uint64(0); c < chunks; c++ {
		binary.LittleEndian.PutUint64(buf[c<<3:], inputLoadU64(c<<3))
	}
	for i := chunks << 3; i < n; i++ {
		buf[i] = byte(inputLoadU8(i))
	}
	return buf
}

//go:wasmexport on_inbound
func onInbound() int32 {
	out, err := pdk.Handle(pdk.HookInbound, input())
	if err != nil || len(out) != 0 {
		return 1
	}
	return 0
}

func main() {}
