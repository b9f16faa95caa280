// Package keysort sorts uint32 keys without the standard library's sort
// code: the browser core (widget/core and models/textmodel, both linked
// into kefu.wasm) needs only this one sort, and slices.Sort's pdqsort
// instantiation for uint32 was ~13 KB of WebAssembly that every shopper
// downloads (widget/core TestWASMLinksNoHeavyCode).
package keysort

// Sort sorts a ascending in place (a heapsort; a sorted order is the same
// whichever algorithm made it).
func Sort(a []uint32) {
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
func siftDown(a []uint32, root, n int) {
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
