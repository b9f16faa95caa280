//go:build js && wasm

package main

import (
	"unsafe"

	"github.com/kefu-io/kefu/widget/core"
)

// The page asks the core through memory, with no js.Value per question:
//
//	kefu_io() → the address of io (float64s)
//	  io[0], io[1]: the question buffer's address and capacity (bytes)
//	kefu_ask(n, answer) → true when io and the result buffer hold a result
//	  the question is the buffer's first n bytes (UTF-8); answer: Answer
//	  (false when the browser must not answer), else Analyze (always true)
//	  io[2] score, io[3] anger, io[4] 1 when order-specific,
//	  io[5] the result buffer's address, io[6..9] the byte lengths of
//	  lang, intent, faqId and text, one after the other in that buffer
//
// Nothing on this path allocates (core's answer path does not: its
// TestAnswerAllocs), so the Go heap does not grow with the questions and a
// collection (which would run inside the page's call) never starts.
var (
	theCore  *core.Core
	io       [10]float64
	question [core.MaxTextBytes]byte
	result   = make([]byte, 0, 4<<10)
)

//go:wasmexport kefu_io
func exportIO() unsafe.Pointer {
	io[0], io[1] = float64(uintptr(unsafe.Pointer(&question[0]))), float64(len(question))
	return unsafe.Pointer(&io[0])
}

//go:wasmexport kefu_ask
func exportAsk(n int32, answer bool) bool {
	mark(markEntered)
	if theCore == nil || n < 0 || int(n) > len(question) {
		return false
	}
	// The core keeps nothing of the text (it hashes it), so it may alias
	// the buffer the page writes the next question into.
	text := unsafe.String(&question[0], int(n))
	mark(markCopied)
	var r core.Result
	ok := true
	if answer {
		r, ok = theCore.Answer(text)
	} else {
		r = theCore.Analyze(text)
	}
	if ok {
		put(r)
	}
	mark(markBuilt)
	return ok
}

func put(r core.Result) {
	result = append(append(append(append(result[:0], r.Lang...), r.Intent...), r.FAQID...), r.Text...)
	io[2], io[3], io[4] = float64(r.Score), r.Anger, 0
	if r.OrderSpecific {
		io[4] = 1
	}
	io[5] = float64(uintptr(unsafe.Pointer(unsafe.SliceData(result))))
	io[6], io[7], io[8], io[9] = float64(len(r.Lang)), float64(len(r.Intent)), float64(len(r.FAQID)), float64(len(r.Text))
}
