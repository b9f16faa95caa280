//go:build !wasip1

package main

// cacheWatches is off outside wasip1: tests change the config between
// calls (pdk.ResetTest); a wasip1 instance never does (watch_wasip1.go).
const cacheWatches = false
