//go:build linux

package pluginhost

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// newMemoryAllocator returns wazero's allocator for guest linear memory:
// each instance reserves its whole memory cap (maxBytes) of address space
// with mmap, outside the Go heap, and memory.grow only lengthens the slice.
// wazero's default grows a Go slice, copying and zeroing the memory on the
// way (a Go guest grows from ~5 to ~9 MiB over its first thousand calls,
// which cost more CPU than the calls); untouched pages of the reservation
// take no RAM, and the mapping goes with the instance.
func newMemoryAllocator(maxBytes uint64) experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(capBytes, max uint64) experimental.LinearMemory {
		max = min(max, maxBytes)
		b, err := syscall.Mmap(-1, 0, int(max), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
		if err != nil || max == 0 {
			return &sliceMemory{max: max}
		}
		return &mmapMemory{buf: b}
	})
}

// mmapMemory is a linear memory in one mmap reservation.
type mmapMemory struct {
	buf []byte
	n   uint64 // bytes handed out so far
}

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14): fault a range in
// with one call instead of one page fault per 4 KiB page as the guest
// first touches it.
const madvPopulateWrite = 23

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if m.buf == nil || size > uint64(len(m.buf)) {
		return nil // past the cap: memory.grow fails
	}
	if size > m.n {
		_ = syscall.Madvise(m.buf[m.n:size], madvPopulateWrite) // best effort
		m.n = size
	}
	return m.buf[:size]
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		_ = syscall.Munmap(m.buf)
		m.buf = nil
	}
}

const isLinux = true
