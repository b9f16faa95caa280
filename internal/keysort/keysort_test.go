package keysort

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestSort: Sort orders like slices.Sort, duplicates and all.
func TestSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		keys []uint32
	}{
		{"empty", nil},
		{"one", []uint32{7}},
		{"sorted", []uint32{1, 2, 3, 4, 5}},
		{"reversed", []uint32{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"duplicates", []uint32{3, 1, 3, 3, 0, 1, 4294967295, 0}},
	}
	for _, n := range []int{2, 3, 17, 100, 1000} {
		k := make([]uint32, n)
		for i := range k {
			k[i] = r.Uint32() >> uint(r.IntN(32))
		}
		tests = append(tests, struct {
			name string
			keys []uint32
		}{"random " + strconv.Itoa(n), k})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Clone(tt.keys)
			want := slices.Clone(tt.keys)
			Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("Sort(%v) = %v, want %v", tt.keys, got, want)
			}
			// Packed with their positions, equal keys keep their order.
			packed := make([]uint64, len(tt.keys))
			for i, k := range tt.keys {
				packed[i] = uint64(k)<<32 | uint64(i)
			}
			want64 := slices.Clone(packed)
			Sort(packed)
			slices.SortStableFunc(want64, func(a, b uint64) int { return int(a>>32) - int(b>>32) })
			if !slices.Equal(packed, want64) {
				t.Fatalf("Sort(packed %v) = %v, want %v", tt.keys, packed, want64)
			}
		})
	}
}
