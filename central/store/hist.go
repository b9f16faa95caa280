package store

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// Histograms of durations (first response, resolution) in the hourly
// rollups: fixed log-scale bins, merged by adding counts.
//
// A value v in milliseconds falls in bin v when v < histLinear (exact),
// otherwise in bin histLinear + ⌊log(v/histLinear) / log(histRatio)⌋,
// which spans [lo, lo×histRatio): each bin is 2% wide. A percentile read
// from the bins is the midpoint of the bin holding the nearest-rank value,
// so it is within HistError of the exact value (plus 1 ms of rounding).
const (
	histLinear = 50
	histRatio  = 1.02
	// HistError is the largest relative error of a percentile read from
	// the rollups' bins (half a bin's width).
	HistError = (histRatio - 1) / 2
)

var logHistRatio = math.Log(histRatio)

func histBin(v int64) int {
	if v < histLinear {
		return int(max(v, 0))
	}
	return histLinear + int(math.Floor(math.Log(float64(v)/histLinear)/logHistRatio))
}

// histValue is the value a percentile in bin b reads as: the value itself
// below histLinear, otherwise the bin's midpoint.
func histValue(b int) int64 {
	if b < histLinear {
		return int64(b)
	}
	lo := histLinear * math.Pow(histRatio, float64(b-histLinear))
	return int64(math.Round(lo * (1 + histRatio) / 2))
}

// hist counts values per bin.
type hist map[int]int64

func (h hist) add(v int64) { h[histBin(v)]++ }

// encode is the bins in ascending order as uvarint pairs (bin delta, count).
func (h hist) encode() []byte {
	bins := make([]int, 0, len(h))
	for b, n := range h {
		if n > 0 {
			bins = append(bins, b)
		}
	}
	slices.Sort(bins)
	out := make([]byte, 0, 4*len(bins))
	prev := 0
	for _, b := range bins {
		out = binary.AppendUvarint(out, uint64(b-prev))
		out = binary.AppendUvarint(out, uint64(h[b]))
		prev = b
	}
	return out
}

var errHist = errors.New("store: malformed histogram")

// merge adds an encoded histogram.
func (h hist) merge(data []byte) error {
	b := 0
	for len(data) > 0 {
		d, k := binary.Uvarint(data)
		if k <= 0 {
			return errHist
		}
		data = data[k:]
		n, k := binary.Uvarint(data)
		if k <= 0 {
			return errHist
		}
		data = data[k:]
		b += int(d)
		h[b] += int64(n)
	}
	return nil
}

// rank is the value of the r-th smallest (1-based) of the counted values
// as its bin reads (histValue), -1 when there are fewer than r.
func (h hist) rank(r int64) int64 {
	bins := make([]int, 0, len(h))
	for b := range h {
		bins = append(bins, b)
	}
	slices.Sort(bins)
	var seen int64
	for _, b := range bins {
		seen += h[b]
		if seen >= r {
			return histValue(b)
		}
	}
	return -1
}

// nearestRank is the rank ⌈p/100 × n⌉ (at least 1) of the nearest-rank
// p-th percentile of n values.
func nearestRank(n int64, p float64) int64 {
	r := int64(math.Ceil(p / 100 * float64(n)))
	return min(max(r, 1), n)
}
