//go:build !linux

package pluginhost

import "github.com/tetratelabs/wazero/experimental"

// newMemoryAllocator: off Linux, a Go slice that grows by copying.
func newMemoryAllocator(maxBytes uint64) experimental.MemoryAllocator {
	return experimental.MemoryAllocatorFunc(func(_, max uint64) experimental.LinearMemory {
		return &sliceMemory{max: min(max, maxBytes)}
	})
}

const isLinux = false
