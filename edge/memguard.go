package edge

import (
	"math"
	"os"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// heapGuard samples the Go heap a few times a second so that admitConn can
// refuse new connections cheaply while it is above Config.MaxHeapBytes.
type heapGuard struct {
	max  int64
	over atomic.Bool
}

// heapSample is the runtime metric the guard reads: bytes of heap memory
// occupied by live and not yet swept objects.
const heapSample = "/memory/classes/heap/objects:bytes"

// sample reads the heap once and records whether it is over the cap.
func (g *heapGuard) sample(s []rtmetrics.Sample) {
	rtmetrics.Read(s)
	if s[0].Value.Kind() == rtmetrics.KindUint64 {
		g.over.Store(int64(s[0].Value.Uint64()) > g.max)
	}
}

// run samples every interval until done closes.
func (g *heapGuard) run(interval time.Duration, done <-chan struct{}) {
	s := []rtmetrics.Sample{{Name: heapSample}}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		g.sample(s)
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
}

// defaultMaxHeap is Config.MaxHeapBytes's default: 90% of GOMEMLIMIT, else
// 80% of the cgroup v2 memory.max, else 0 (off).
func defaultMaxHeap() int64 {
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
		return lim / 10 * 9
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 {
			return v / 10 * 8
		}
	}
	return -1
}
