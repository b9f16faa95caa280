//go:build js && wasm && kefutrace

package main

import (
	"syscall/js"

	"github.com/kefu-io/kefu/widget/core"
)

// The stages of kefuCore.answer the diagnostic build notes (-tags
// kefutrace): the Go callback entered, the question copied into Go,
// then core's two (core.Marks), and the result object built.
const (
	markEntered = 0
	markCopied  = 1
	markBuilt   = 2
)

var marks [3]int64

func mark(i int) { marks[i] = core.Nanotime() }

// traceAPI adds kefuCore.marks(): the last answer's stages on the page's
// clock (performance.now() ms): [entered, copied, classified, looked up,
// built].
func traceAPI(api js.Value) {
	perf := js.Global().Get("performance")
	api.Set("marks", js.FuncOf(func(js.Value, []js.Value) any {
		now, ns := perf.Call("now").Float(), core.Nanotime()
		at := func(t int64) any { return now - float64(ns-t)/1e6 }
		return []any{at(marks[markEntered]), at(marks[markCopied]), at(core.Marks[core.MarkClassified]), at(core.Marks[core.MarkLookedUp]), at(marks[markBuilt])}
	}))
}
