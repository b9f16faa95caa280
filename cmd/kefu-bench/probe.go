package main

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"time"
)

// speed is what fixed work costs this machine right now. The shared VM
// these benchmarks run on took ~8% more CPU per message for the same
// binary from one hour to the next, and 2.4× the CPU for the same cold
// build across a restart (session 20), so a run's figures are comparable
// only with runs whose probe agrees.
type speed struct {
	shaMBps    float64 // one core hashing with SHA-256
	pageMicros float64 // first touch of one fresh 4 KiB page (a page fault)
}

// probeSpeed measures speed with ~64 MiB of hashing and 64 MiB of fresh
// memory; it takes well under a second on a quiet machine.
func probeSpeed() speed {
	const size = 64 << 20
	buf := make([]byte, 1<<20)
	h := sha256.New()
	t0 := time.Now()
	for range size / len(buf) {
		h.Write(buf)
	}
	h.Sum(nil)
	sha := time.Since(t0)

	// A large allocation comes from memory the runtime has just mapped
	// (the probe runs at start, before the heap has grown): every page's
	// first write faults.
	fresh := make([]byte, size)
	t0 = time.Now()
	for i := 0; i < len(fresh); i += 4096 {
		fresh[i] = 1
	}
	touch := time.Since(t0)
	runtime.KeepAlive(fresh)
	return speed{
		shaMBps:    float64(size) / (1 << 20) / sha.Seconds(),
		pageMicros: float64(touch.Nanoseconds()) / 1e3 / float64(size/4096),
	}
}

// String is the probe as the run's report prints it.
func (s speed) String() string {
	return fmt.Sprintf("SHA-256 %.0f MiB/s on one core; %.1f µs per fresh 4 KiB page", s.shaMBps, s.pageMicros)
}
