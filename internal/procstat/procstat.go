// Package procstat reads the process's own resource use from /proc, for
// the numbers `kefu bench` prints.
package procstat

import (
	"os"
	"strconv"
	"strings"
)

// RSS returns the resident set size of this process in bytes (VmRSS), or 0
// where /proc is not available.
func RSS() int64 { return field("VmRSS:") }

// PeakRSS returns the peak resident set size in bytes (VmHWM), or 0.
func PeakRSS() int64 { return field("VmHWM:") }

func field(name string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, name); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
