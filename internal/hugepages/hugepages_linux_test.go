package hugepages

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"
)

func TestAnonymous(t *testing.T) {
	for _, tc := range []struct {
		line string
		want span
		ok   bool
	}{
		{"c000000000-c004000000 rw-p 00000000 00:00 0 ", span{0xc000000000, 0xc004000000}, true},
		{"def6e400000-def70000000 rw-p 00000000 00:00 0", span{0xdef6e400000, 0xdef70000000}, true},
		{"7f00-9f00 rw-p 00000000 00:00 0    [anon: Go: heap]", span{0x7f00, 0x9f00}, true},
		{"7f00-9f00 rw-p 00000000 00:00 0    [heap]", span{0x7f00, 0x9f00}, true},
		{"7ffc0000-7ffd0000 rw-p 00000000 00:00 0    [stack]", span{}, false},
		{"01538000-0311e000 rw-p 00000000 08:01 1234 /usr/bin/kefu", span{}, false},
		{"7f00-9f00 rw-s 00000000 08:01 1234 /data/kefu.db-shm", span{}, false},
		{"7f00-9f00 r-xp 00000000 00:00 0", span{}, false},
		{"7f00-9f00 ---p 00000000 00:00 0", span{}, false},
		{"9f00-7f00 rw-p 00000000 00:00 0", span{}, false},
		{"zz-9f00 rw-p 00000000 00:00 0", span{}, false},
		{"7f009f00 rw-p 00000000 00:00 0", span{}, false},
		{"", span{}, false},
	} {
		got, ok := anonymous([]byte(tc.line))
		if got != tc.want || ok != tc.ok {
			t.Errorf("anonymous(%q) = %x, %v; want %x, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzAnonymous(f *testing.F) {
	f.Add([]byte("c000000000-c004000000 rw-p 00000000 00:00 0 "))
	f.Add([]byte("7f00-9f00 rw-p 00000000 00:00 0    [anon: Go: heap]"))
	f.Add([]byte("7f00-9f00 rw-p 00000000 00:00 0 ["))
	f.Fuzz(func(t *testing.T, line []byte) {
		s, ok := anonymous(line)
		if ok && s.end <= s.start {
			t.Fatalf("anonymous(%q) = %x: empty range", line, s)
		}
	})
}

// TestAdvise checks what Advise does under the kernel's THP mode: in mode
// "madvise" the heap (where a fresh allocation lives) is marked for huge
// pages; in the other modes, and with KEFU_HUGE_PAGES=off, nothing is.
func TestAdvise(t *testing.T) {
	mode, err := os.ReadFile(modeFile)
	madvise := err == nil && bytes.Contains(mode, []byte("[madvise]"))
	t.Run("off", func(t *testing.T) {
		t.Setenv(Env, "off")
		if on, err := Advise(t.Context()); on || err != nil {
			t.Fatalf("Advise with %s=off = %v, %v; want false, nil", Env, on, err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	on, err := Advise(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if on != madvise {
		t.Fatalf("Advise = %v under THP mode %q; want %v", on, strings.TrimSpace(string(mode)), madvise)
	}
	if !madvise {
		t.Logf("THP mode %q: nothing to advise", strings.TrimSpace(string(mode)))
		return
	}
	b := make([]byte, 64<<20) // in the premapped heap
	b[0] = 1
	flags, err := vmFlags(uintptr(unsafePointer(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(" "+flags+" ", " hg ") {
		t.Fatalf("the heap mapping of a fresh allocation has VmFlags %q, without hg (MADV_HUGEPAGE)", flags)
	}
}

// vmFlags returns the VmFlags of the mapping holding addr.
func vmFlags(addr uintptr) (string, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		var lo, hi uintptr
		if n, _ := fmt.Sscanf(line, "%x-%x", &lo, &hi); n == 2 && strings.Contains(line, " ") {
			in = lo <= addr && addr < hi
			continue
		}
		if in {
			if v, ok := strings.CutPrefix(line, "VmFlags:"); ok {
				return strings.TrimSpace(v), nil
			}
		}
	}
	return "", fmt.Errorf("no mapping holds %#x", addr)
}

func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }
