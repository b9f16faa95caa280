// Package keysort sorts uint32 keys without the standard library's sort
// code: the browser core (widget/core and models/textmodel, both linked
// into kefu.wasm) needs only this one sort, and slices.Sort's pdqsort
// instantiation for uint32 was ~13 KB of WebAssembly that every shopper
// downloads (widget/core TestWASMLinksNoHeavyCode).
package keysort

// Key is what Sort sorts: feature keys (uint32), or a key and a position
// packed into a uint64 (key<<32 | position) where equal keys must keep
// their order.
type Key interface{ ~uint32 | ~uint64 }

// Sort sorts a ascending in place (a heapsort; a sorted order is the same
// whichever algorithm made it).
func Sort[K Key](a []K) {
	n := len(a)
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(a, i, n)
	}
	for end := n - 1; end > 0; end-- {
		a[0], a[end] = a[end], a[0]
		siftDown(a, 0, end)
	}
}

// siftDown moves a[root] down the max-heap a[:n] to its place.
func siftDown[K Key](a []K, root, n int) {
	for {
		c := 2*root + 1
		if c >= n {
			return
		}
		if c+1 < n && a[c] < a[c+1] {
			c++
		}
		if a[root] >= a[c] {
			return
		}
		a[root], a[c] = a[c], a[root]
		root = c
	}
}
