//go:build unix

package edgebench

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used so
// far; 0 when it cannot be read.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
