//go:build !race

// Package racebuild tells tests whether they run under the race detector,
// which slows pure computation (model scoring, guest calls, brotli-11) ten
// to twentyfold and makes sync.Pool drop a share of what it is given on
// purpose: corpus-wide tests take a sample there (`make test` runs them
// whole once more without it, EXHAUSTIVE) and allocation counts say nothing.
package racebuild

// Enabled reports whether the binary was built with -race.
const Enabled = false
