package pluginhost

import (
	"testing"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
)

// TestMemoryAllocator: guest memory grows in place up to the cap, keeps
// what was written, refuses to pass the cap, and is released by Free.
func TestMemoryAllocator(t *testing.T) {
	const page = 64 << 10
	for _, tc := range []struct {
		name    string
		alloc   func() experimental.LinearMemory
		inPlace bool
	}{
		{"platform", func() experimental.LinearMemory {
			return newMemoryAllocator(8*page).Allocate(page, 1<<32)
		}, unsafe.Sizeof(uintptr(0)) == 8 && isLinux},
		{"slice", func() experimental.LinearMemory {
			return &sliceMemory{max: 8 * page}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.alloc()
			b := m.Reallocate(page)
			if len(b) != page {
				t.Fatalf("len %d", len(b))
			}
			b[0], b[page-1] = 1, 2
			g := m.Reallocate(5 * page)
			if len(g) != 5*page || g[0] != 1 || g[page-1] != 2 || g[5*page-1] != 0 {
				t.Fatalf("grown memory lost its contents or is not zeroed")
			}
			if tc.inPlace && &g[0] != &b[0] {
				t.Fatalf("memory moved on grow")
			}
			if m.Reallocate(8*page) == nil {
				t.Fatalf("growing to the cap failed")
			}
			if m.Reallocate(8*page+1) != nil {
				t.Fatalf("grew past the cap (max passed by wazero was 4 GiB)")
			}
			m.Free()
			if m.Reallocate(page) != nil && tc.inPlace {
				t.Fatalf("memory usable after Free")
			}
		})
	}
}
