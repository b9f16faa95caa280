package quantile

import (
	"testing"
	"time"
)

func TestSorted(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name string
		d    []int
		q    float64
		want int
	}{
		{"empty", nil, 0.5, 0},
		{"one", []int{7}, 0.99, 7},
		{"median of ten", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.5, 5},
		{"p99 of ten is the max", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.99, 10},
		{"p90 of ten", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
		{"p99 of a hundred", hundred, 0.99, 99},
		{"p50 of a hundred", hundred, 0.5, 50},
		{"max", hundred, 1, 100},
		{"q above one clamps", hundred, 2, 100},
		{"q zero clamps to the min", hundred, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sorted(tt.d, tt.q); got != tt.want {
				t.Errorf("Sorted(…, %v) = %d, want %d", tt.q, got, tt.want)
			}
		})
	}
}

func TestOfLeavesInputUnsorted(t *testing.T) {
	d := []time.Duration{5, 1, 4, 2, 3}
	if got := Of(d, 0.5); got != 3 {
		t.Errorf("Of median = %v, want 3", got)
	}
	if d[0] != 5 || d[1] != 1 {
		t.Errorf("Of sorted its input: %v", d)
	}
	if got := Of([]float64{0.3, 0.1, 0.2}, 1); got != 0.3 {
		t.Errorf("Of max = %v, want 0.3", got)
	}
}
