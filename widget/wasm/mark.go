//go:build js && wasm && !kefutrace

package main

import "syscall/js"

// mark notes that an answer reached stage i (see mark_trace.go); in the
// shipped build it is nothing.
func mark(int) {}

// traceAPI adds the diagnostic build's functions to kefuCore; none here.
func traceAPI(js.Value) {}

const (
	markEntered = 0
	markCopied  = 1
	markBuilt   = 2
)
