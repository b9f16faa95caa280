package procstat

import (
	"runtime"
	"testing"
)

func TestRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if r, p := RSS(), PeakRSS(); r <= 0 || p < r {
		t.Fatalf("RSS %d, peak %d: want 0 < RSS <= peak", r, p)
	}
}
