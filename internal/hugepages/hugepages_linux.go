package hugepages

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"
)

// madvHugePage is MADV_HUGEPAGE (asm-generic/mman-common.h).
const madvHugePage = 14

// hugePage is the huge page size of x86-64 and arm64 with 4 KiB pages.
const hugePage = 2 << 20

// modeFile holds the kernel's THP mode, the selected one in brackets.
const modeFile = "/sys/kernel/mm/transparent_hugepage/enabled"

// Advise marks the process's anonymous mappings for huge pages until ctx
// ends, when the kernel's THP mode is "madvise" and KEFU_HUGE_PAGES is not
// "off". It returns at once, reporting whether it watches. With mode
// "always" the kernel already does it; with "never" nothing can.
func Advise(ctx context.Context) (enabled bool, err error) {
	if off() {
		return false, nil
	}
	mode, err := os.ReadFile(modeFile)
	if err != nil {
		return false, nil // no THP in this kernel
	}
	if !bytes.Contains(mode, []byte("[madvise]")) {
		return false, nil
	}
	premap()
	w := &watcher{advised: map[span]bool{}}
	if err := w.scan(); err != nil {
		return false, fmt.Errorf("hugepages: %w", err)
	}
	go w.run(ctx)
	return true, nil
}

// Premap is how much heap Advise has the runtime map at once before its
// first scan. The runtime maps its heap as it grows, in pieces of 4 MiB
// and more that it starts using at once, before a watcher checking every
// Interval could advise them: most of each would be backed by 4 KiB
// pages. One allocation of Premap, dropped at once, leaves that much
// address space mapped (never touched: it costs no memory) in one
// mapping that is advised before the heap grows into it.
const Premap = 1 << 30

// premap has the runtime map Premap bytes of heap (at most half the Go
// memory limit) and free them again. Not under strict overcommit
// (vm.overcommit_memory 2), where a mapping costs commit charge even
// untouched.
func premap() {
	if strict, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || bytes.HasPrefix(strict, []byte("2")) {
		return
	}
	n := min(Premap, debug.SetMemoryLimit(-1)/2)
	b := make([]byte, n)
	runtime.KeepAlive(b)
	b = nil
	runtime.GC()
}

// span is one mapping's address range.
type span struct{ start, end uintptr }

// watcher remembers the mappings it advised.
type watcher struct {
	advised map[span]bool
	mapped  uint64 // the runtime's mapped bytes at the last scan
}

func (w *watcher) run(ctx context.Context) {
	t := time.NewTicker(Interval)
	defer t.Stop()
	sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if v := sample[0].Value.Uint64(); v > w.mapped {
			w.mapped = v
			_ = w.scan() // a failed scan is retried when the runtime maps more
		}
	}
}

// scan advises every anonymous private writable mapping of at least one
// huge page that it has not advised yet.
func (w *watcher) scan() error {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return err
	}
	defer f.Close()
	seen := make(map[span]bool, len(w.advised))
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s, ok := anonymous(sc.Bytes())
		if !ok || s.end-s.start < hugePage {
			continue
		}
		seen[s] = true
		if w.advised[s] {
			continue
		}
		// EINVAL/ENOMEM for a mapping gone meanwhile: nothing to do.
		syscall.Syscall(syscall.SYS_MADVISE, s.start, s.end-s.start, madvHugePage)
	}
	w.advised = seen
	return sc.Err()
}

// anonymous parses a line of /proc/self/maps ("start-end perms offset dev
// inode [path]") and reports the range of an anonymous private writable
// mapping (no path, or a name in brackets other than the main stack's).
func anonymous(line []byte) (span, bool) {
	f := bytes.Fields(line)
	if len(f) < 5 || string(f[1]) != "rw-p" || string(f[4]) != "0" {
		return span{}, false
	}
	if len(f) > 5 && (f[5][0] != '[' || string(f[5]) == "[stack]") {
		return span{}, false
	}
	a, b, ok := bytes.Cut(f[0], []byte("-"))
	if !ok {
		return span{}, false
	}
	start, err1 := strconv.ParseUint(string(a), 16, 64)
	end, err2 := strconv.ParseUint(string(b), 16, 64)
	if err1 != nil || err2 != nil || end <= start {
		return span{}, false
	}
	return span{uintptr(start), uintptr(end)}, true
}
