//go:build unix

// Package proccpu reads the CPU time this process has used, which is
// steadier than wall time for benchmarks on a shared machine.
package proccpu

import (
	"syscall"
	"time"
)

// Used is the CPU time (user and system) this process has used so far;
// 0 when it cannot be read.
func Used() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
