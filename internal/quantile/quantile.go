// Package quantile gives the quantiles that Kefu's benchmark commands
// report (p50, p99, …), all by one definition: the nearest rank.
package quantile

import (
	"cmp"
	"math"
	"slices"
)

// Sorted returns the q-quantile (0 < q ≤ 1) of sorted by nearest rank: the
// smallest value such that at least a fraction q of the values are ≤ it. It
// returns the zero value for an empty slice and clamps q into (0, 1].
func Sorted[T cmp.Ordered](sorted []T, q float64) T {
	var zero T
	n := len(sorted)
	if n == 0 {
		return zero
	}
	// The small epsilon keeps 0.99×100 (= 99.00000000000001) at rank 99.
	rank := int(math.Ceil(q*float64(n) - 1e-9))
	return sorted[min(max(rank, 1), n)-1]
}

// Of is Sorted for values in any order; it sorts a copy and leaves d as it is.
func Of[T cmp.Ordered](d []T, q float64) T {
	s := slices.Clone(d)
	slices.Sort(s)
	return Sorted(s, q)
}
