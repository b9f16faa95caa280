package metric

import (
	"bytes"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Runtime is a Gatherer of the Go runtime's and the process's series under
// the names, help and types of the Prometheus client's Go and process
// collectors (go_goroutines, go_memstats_*, process_resident_memory_bytes,
// process_cpu_seconds_total, …; the Grafana dashboard in deploy/grafana
// and `kefu-bench idle` read some of them). The process_* series come from
// /proc and are left out where it cannot be read.
var Runtime Gatherer = runtimeGatherer{}

type runtimeGatherer struct{}

func gauge(name, help string, v float64) Family {
	return Family{Name: name, Help: help, Type: GaugeType, Metrics: []Metric{{Value: v}}}
}

func counter(name, help string, v float64) Family {
	return Family{Name: name, Help: help, Type: CounterType, Metrics: []Metric{{Value: v}}}
}

func (runtimeGatherer) Gather() []Family {
	fams := goFamilies()
	fams = append(fams, processFamilies()...)
	sortFamilies(fams)
	return fams
}

func goFamilies() []Family {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gc := debug.GCStats{PauseQuantiles: make([]time.Duration, 5)}
	debug.ReadGCStats(&gc)
	quantiles := make([]Quantile, 5)
	for i, q := range []float64{0, 0.25, 0.5, 0.75, 1} {
		quantiles[i] = Quantile{Quantile: q, Value: gc.PauseQuantiles[i].Seconds()}
	}
	threads, _ := runtime.ThreadCreateProfile(nil)
	samples := []rtmetrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}, {Name: "/sched/gomaxprocs:threads"}}
	rtmetrics.Read(samples)
	sample := func(i int) float64 {
		if samples[i].Value.Kind() == rtmetrics.KindUint64 {
			return float64(samples[i].Value.Uint64())
		}
		return math.NaN()
	}
	f := func(v uint64) float64 { return float64(v) }
	return []Family{
		{Name: "go_gc_duration_seconds", Help: "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.", Type: SummaryType,
			Metrics: []Metric{{Quantiles: quantiles, Sum: gc.PauseTotal.Seconds(), Count: uint64(gc.NumGC)}}},
		gauge("go_gc_gogc_percent", "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent.", sample(0)),
		gauge("go_gc_gomemlimit_bytes", "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes.", sample(1)),
		gauge("go_goroutines", "Number of goroutines that currently exist.", float64(runtime.NumGoroutine())),
		{Name: "go_info", Help: "Information about the Go environment.", Type: GaugeType,
			Metrics: []Metric{{Labels: []Label{{Name: "version", Value: runtime.Version()}}, Value: 1}}},
		gauge("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.", f(ms.Alloc)),
		counter("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.", f(ms.TotalAlloc)),
		gauge("go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes.", f(ms.BuckHashSys)),
		counter("go_memstats_frees_total", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.", f(ms.Frees)),
		gauge("go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes.", f(ms.GCSys)),
		gauge("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.", f(ms.HeapAlloc)),
		gauge("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", f(ms.HeapIdle)),
		gauge("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes", f(ms.HeapInuse)),
		gauge("go_memstats_heap_objects", "Number of currently allocated objects. Equals to /gc/heap/objects:objects.", f(ms.HeapObjects)),
		gauge("go_memstats_heap_released_bytes", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.", f(ms.HeapReleased)),
		gauge("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", f(ms.HeapSys)),
		gauge("go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", float64(ms.LastGC)/1e9),
		counter("go_memstats_mallocs_total", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.", f(ms.Mallocs)),
		gauge("go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes.", f(ms.MCacheInuse)),
		gauge("go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes.", f(ms.MCacheSys)),
		gauge("go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes.", f(ms.MSpanInuse)),
		gauge("go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes.", f(ms.MSpanSys)),
		gauge("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.", f(ms.NextGC)),
		gauge("go_memstats_other_sys_bytes", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes.", f(ms.OtherSys)),
		gauge("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.", f(ms.StackInuse)),
		gauge("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes.", f(ms.StackSys)),
		gauge("go_memstats_sys_bytes", "Number of bytes obtained from system. Equals to /memory/classes/total:byte.", f(ms.Sys)),
		gauge("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads.", sample(2)),
		gauge("go_threads", "Number of OS threads created.", float64(threads)),
	}
}

// clockTicks is USER_HZ, the unit of /proc/self/stat's times (100 on
// every Linux architecture Go supports, as the Prometheus client assumes).
const clockTicks = 100

var bootTime = sync.OnceValue(func() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return math.NaN()
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return n
			}
		}
	}
	return math.NaN()
})

// processFamilies reads the process_* series from /proc (none where it
// cannot be read), as the Prometheus client's process collector did.
func processFamilies() []Family {
	var out []Family
	if st, err := os.ReadFile("/proc/self/stat"); err == nil {
		// Fields after the command name (which may hold spaces), from
		// field 3 (state) on: utime is field 14, stime 15, starttime 22,
		// vsize 23, rss 24.
		if i := bytes.LastIndexByte(st, ')'); i >= 0 {
			fs := strings.Fields(string(st[i+1:]))
			num := func(field int) float64 {
				if field-3 >= len(fs) {
					return math.NaN()
				}
				n, _ := strconv.ParseFloat(fs[field-3], 64)
				return n
			}
			out = append(out,
				counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", (num(14)+num(15))/clockTicks),
				gauge("process_resident_memory_bytes", "Resident memory size in bytes.", num(24)*float64(os.Getpagesize())),
				gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", num(23)))
			if bt := bootTime(); !math.IsNaN(bt) {
				out = append(out, gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", bt+num(22)/clockTicks))
			}
		}
	}
	if d, err := os.Open("/proc/self/fd"); err == nil {
		names, err := d.Readdirnames(-1)
		d.Close()
		if err == nil {
			out = append(out, gauge("process_open_fds", "Number of open file descriptors.", float64(len(names))))
		}
	}
	if lim, err := os.ReadFile("/proc/self/limits"); err == nil {
		if v, ok := softLimit(string(lim), "Max open files"); ok {
			out = append(out, gauge("process_max_fds", "Maximum number of open file descriptors.", v))
		}
		if v, ok := softLimit(string(lim), "Max address space"); ok {
			out = append(out, gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes.", v))
		}
	}
	if dev, err := os.ReadFile("/proc/self/net/dev"); err == nil {
		rx, tx := netTotals(string(dev))
		out = append(out,
			counter("process_network_receive_bytes_total", "Number of bytes received by the process over the network.", rx),
			counter("process_network_transmit_bytes_total", "Number of bytes sent by the process over the network.", tx))
	}
	return out
}

// softLimit reads a soft limit from /proc/self/limits ("unlimited" is the
// largest uint64, as the Prometheus client reported it).
func softLimit(limits, name string) (float64, bool) {
	for line := range strings.SplitSeq(limits, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) == 0 {
			return 0, false
		}
		if fs[0] == "unlimited" {
			return float64(math.MaxUint64), true
		}
		n, err := strconv.ParseFloat(fs[0], 64)
		return n, err == nil
	}
	return 0, false
}

// netTotals sums the received and sent bytes of every interface in
// /proc/self/net/dev (the process's network namespace).
func netTotals(dev string) (rx, tx float64) {
	for line := range strings.SplitSeq(dev, "\n") {
		_, counts, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fs := strings.Fields(counts)
		if len(fs) < 9 {
			continue
		}
		r, err1 := strconv.ParseFloat(fs[0], 64)
		t, err2 := strconv.ParseFloat(fs[8], 64)
		if err1 == nil && err2 == nil {
			rx += r
			tx += t
		}
	}
	return rx, tx
}
