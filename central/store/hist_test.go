package store

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHistBins: every value reads back from its bin within HistError (+1 ms
// of rounding), exactly below histLinear, and a histogram survives its
// encoding and merges by adding counts.
func TestHistBins(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		v := int64(i)
		if i >= 10_000 {
			v = int64(math.Exp(r.Float64() * 24)) // up to ~300 days in ms
		}
		got := histValue(histBin(v))
		if v < histLinear && got != v {
			t.Fatalf("%d reads %d", v, got)
		}
		if d := math.Abs(float64(got - v)); d > HistError*float64(v)+1 {
			t.Fatalf("%d reads %d: off by %.3f%%", v, got, 100*d/float64(v))
		}
	}
	for _, tc := range []struct {
		name   string
		values []int64
		r      int64
		want   int64
	}{
		{"empty", nil, 1, -1},
		{"small exact", []int64{4000, 7, 3}, 2, 7},
		{"large from its bin", []int64{4000, 7, 3}, 3, histValue(histBin(4000))},
		{"zero", []int64{0, 0, 5}, 2, 0},
		{"rank past the end", []int64{1, 2}, 3, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := hist{}, hist{}
			for i, v := range tc.values {
				if i%2 == 0 {
					a.add(v)
				} else {
					b.add(v)
				}
			}
			m := hist{}
			if err := m.merge(a.encode()); err != nil {
				t.Fatal(err)
			}
			if err := m.merge(b.encode()); err != nil {
				t.Fatal(err)
			}
			if got := m.rank(tc.r); got != tc.want {
				t.Fatalf("rank %d = %d, want %d", tc.r, got, tc.want)
			}
		})
	}
	if err := (hist{}).merge([]byte{0x80}); err == nil {
		t.Fatal("truncated histogram accepted")
	}
}
