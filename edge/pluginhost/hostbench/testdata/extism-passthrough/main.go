// Command extism-passthrough is the Extism-ABI twin of
// plugins/examples/passthrough, for `kefu bench plugins`: it reads its input
// the way github.com/extism/go-pdk's Input() does (input_length, then
// input_load_u64 per 8 bytes and input_load_u8 for the rest), decodes the
// envelope with encoding/json exactly as our PDK does, and returns 0 with no
// output (pass). It calls the Extism host imports directly instead of
// importing go-pdk, which would be one more module for the same calls.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o extism-passthrough.wasm .
package main

import (
	"encoding/binary"
	"encoding/json"
	"time"
)

//go:wasmimport extism:host/env input_length
func inputLength() uint64

//go:wasmimport extism:host/env input_load_u64
func inputLoadU64(offs uint64) uint64

//go:wasmimport extism:host/env input_load_u8
func inputLoadU8(offs uint64) uint32

// envelope mirrors pdk.Envelope.
type envelope struct {
	V         int               `json:"v"`
	Tenant    string            `json:"tenant"`
	Region    string            `json:"region"`
	Channel   string            `json:"channel"`
	Visitor   string            `json:"visitor"`
	Direction string            `json:"direction"`
	Message   message           `json:"message"`
	Labels    map[string]string `json:"labels,omitempty"`
}

type message struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id,omitempty"`
	Role           string    `json:"role"`
	Text           string    `json:"text"`
	Source         string    `json:"source,omitempty"`
	ReplyTo        string    `json:"reply_to,omitempty"`
	Author         string    `json:"author,omitempty"`
	Lang           string    `json:"lang,omitempty"`
	Intent         string    `json:"intent,omitempty"`
	Anger          float64   `json:"anger,omitempty"`
	At             time.Time `json:"at"`
}

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
	var env envelope
	if err := json.Unmarshal(input(), &env); err != nil {
		return 1
	}
	return 0
}

func main() {}
