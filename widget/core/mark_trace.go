//go:build kefutrace

package core

import _ "unsafe" // go:linkname

// Stages of one call of Core.run noted by mark in a diagnostic build
// (-tags kefutrace; `kefu bench widget --split` reads them through
// widget/wasm's kefuCore.marks()).
const (
	MarkClassified = 1 // language, anger, intent and order cues known
	MarkLookedUp   = 2 // the FAQ entry chosen (or none), before returning
)

// Marks holds the runtime's monotonic clock (ns) at each stage of the last
// call; only the diagnostic build has it.
var Marks [3]int64

//go:linkname nanotime runtime.nanotime
func nanotime() int64

// Nanotime is the runtime's monotonic clock, the one Marks are read on.
func Nanotime() int64 { return nanotime() }

func mark(i int) { Marks[i] = nanotime() }
