//go:build wasip1

package main

// cacheWatches: an instance's config never changes (plugins/ABI.md
// section 6), so each tenant's watch list is built once.
const cacheWatches = true
