// Package hugepages asks Linux to back the process's anonymous memory (the
// Go heap, goroutine stacks, SQLite's pages) with transparent huge pages
// when the kernel leaves that to each process (THP mode "madvise", the
// default of Debian and most distributions).
//
// Why (issue 14, goal 4): a server whose heap grows from 300 to 700 MB
// while 10,000 shoppers send their first messages took ~280,000 faults of
// fresh 4 KiB pages in one `kefu bench stack` run. On the 2-core VM the
// goal is measured on, a fault costs ~15 µs (a 2 MiB huge page ~120 µs,
// 0.24 µs per 4 KiB), so those seconds lose a fifth of a core to the
// kernel and replies queue. The Go runtime maps its heap in pieces of
// 4 MiB and more as it grows and no longer asks for huge pages itself
// (Go 1.21.1 and later), so Advise has it map Premap at once, marks that
// mapping with MADV_HUGEPAGE before the heap grows into it, and marks
// each anonymous mapping that comes later as well.
//
// What it costs: a scan of /proc/self/maps whenever the runtime mapped more
// memory (checked every Interval), and memory: a huge page is backed whole
// even when only part of it is used (RSS 1-3% higher in `kefu bench
// stack`). KEFU_HUGE_PAGES=off turns it off.
package hugepages

import (
	"os"
	"time"
)

// Interval is how often Advise checks whether the runtime mapped more
// memory.
const Interval = 50 * time.Millisecond

// Env is the environment variable that turns Advise off when set to "off".
const Env = "KEFU_HUGE_PAGES"

// off reports whether Env turns Advise off.
func off() bool { return os.Getenv(Env) == "off" }
