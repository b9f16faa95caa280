package textmodel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sort"
	"testing"
)

// TestCompactRoundTrip: the compact layout (format version 4) keeps the
// rows of largest norm, zeroes the others, and every kept weight comes back
// within half a quantization step of its row.
func TestCompactRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name       string
		bits, keep int
		hidden     int
	}{
		{"8 bits, half the rows", 8, 2048, 0},
		{"6 bits, every row", 6, 0, 0},
		{"4 bits, a quarter of the rows", 4, 1024, 0},
		{"3 bits, hidden layer", 3, 3000, 16},
		{"2 bits, 1 row", 2, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := randomWeights(7)
			if tc.hidden > 0 {
				w = randomHidden(7, tc.hidden, true)
			}
			w.Bits, w.KeepRows = tc.bits, tc.keep
			data, err := Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if v := binary.LittleEndian.Uint16(data[4:]); v != 4 {
				t.Fatalf("written as format version %d, want 4", v)
			}
			m, err := Load(data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Dim() != w.Dim || m.Hidden() != tc.hidden || !slices.Equal(m.Labels(), w.Labels) || m.Features() != w.Features {
				t.Fatalf("header did not round-trip: dim %d hidden %d %v", m.Dim(), m.Hidden(), m.Labels())
			}
			rows := int(w.Features.Buckets)
			keep := tc.keep
			if keep == 0 {
				keep = rows
			}
			// the kept rows are those of largest norm
			norms := make([]float64, rows)
			for r := range norms {
				for _, v := range w.Emb[r*w.Dim : (r+1)*w.Dim] {
					norms[r] += float64(v) * float64(v)
				}
			}
			order := make([]int, rows)
			for i := range order {
				order[i] = i
			}
			sort.SliceStable(order, func(i, j int) bool { return norms[order[i]] > norms[order[j]] })
			kept := map[int]bool{}
			for _, r := range order[:keep] {
				kept[r] = true
			}
			got := m.Weights()
			qmax := float64(int(1)<<(tc.bits-1) - 1)
			for r := 0; r < rows; r++ {
				row, want := got.Emb[r*w.Dim:(r+1)*w.Dim], w.Emb[r*w.Dim:(r+1)*w.Dim]
				if !kept[r] {
					for _, v := range row {
						if v != 0 {
							t.Fatalf("row %d was pruned but reads %v", r, row)
						}
					}
					continue
				}
				var maxAbs float64
				for _, v := range want {
					maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
				}
				// the row scale is at most 2^(1/8) above the row's largest value
				step := maxAbs * math.Exp2(1.0/8) / qmax
				for j := range row {
					if d := math.Abs(float64(row[j] - want[j])); d > step/2+1e-6 {
						t.Fatalf("row %d weight %d: %v, want %v ± %v", r, j, row[j], want[j], step/2)
					}
				}
			}
			if tc.bits == 8 && tc.keep == 0 {
				checkQuantized(t, m, func(s string) []float32 { return floatProbs(w, s) })
			}
		})
	}
}

// TestCompactEightBitsAllRowsIsPlain: 8 bits with every row is the plain
// layout (format version 1), which older readers load.
func TestCompactEightBitsAllRowsIsPlain(t *testing.T) {
	w := randomWeights(3)
	plain, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	w.Bits = 8
	eight, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, eight) {
		t.Fatal("Bits 8 without pruning changed the file")
	}
	for _, bad := range []struct{ bits, keep int }{{1, 0}, {9, 0}, {4, -1}} {
		w.Bits, w.KeepRows = bad.bits, bad.keep
		if _, err := Marshal(w); !errors.Is(err, ErrWeights) {
			t.Errorf("bits %d keep %d: %v, want ErrWeights", bad.bits, bad.keep, err)
		}
	}
}

// TestWeightsRewrite: a loaded model's Weights written again in the plain
// layout predict what the model predicts, and a compact model rewritten
// compact again is the same file.
func TestWeightsRewrite(t *testing.T) {
	for _, hidden := range []int{0, 12} {
		w := randomWeights(5)
		if hidden > 0 {
			w = randomHidden(5, hidden, false)
		}
		data, err := Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Load(data)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Marshal(m.Weights())
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Load(again)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sample[:200] {
			if a, b := m.Predict(s), m2.Predict(s); a.Label != b.Label || math.Abs(float64(a.Score-b.Score)) > 1e-3 {
				t.Fatalf("hidden %d: %q: %v, rewritten %v", hidden, s, a, b)
			}
		}
		// a compact model's weights load again: the same kept rows
		cw := m.Weights()
		cw.Bits, cw.KeepRows = 4, 1000
		c1, err := Marshal(cw)
		if err != nil {
			t.Fatal(err)
		}
		cm, err := Load(c1)
		if err != nil {
			t.Fatal(err)
		}
		nz := 0
		for r, e := 0, cm.Weights().Emb; r < int(w.Features.Buckets); r++ {
			if slices.ContainsFunc(e[r*w.Dim:(r+1)*w.Dim], func(v float32) bool { return v != 0 }) {
				nz++
			}
		}
		if nz > 1000 || nz < 990 {
			t.Fatalf("hidden %d: %d non-zero rows after keeping 1000", hidden, nz)
		}
	}
	lw := randomLinear(5, []string{"a", "b", "c"})
	data, err := Marshal(lw)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if lm.Weights() != nil {
		t.Fatal("a linear model returned bag weights")
	}
}

// TestCompactRefusesDamage: corrupt counts, buckets out of order or range,
// bad bits and truncation are refused with a clear error.
func TestCompactRefusesDamage(t *testing.T) {
	w := randomWeights(11)
	w.Bits, w.KeepRows = 4, 100
	data, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	// header: magic 4, versions 4, flags 2, task 2+4, features 12, dim 2,
	// hidden 2, labels 2 + 3×(2+1) + (2+3), fallback 2, threshold 4
	at := 4 + 4 + 2 + 6 + 12 + 2 + 2 + 2 + 3*3 + 5 + 2 + 4
	if data[at] != 4 {
		t.Fatalf("bits byte at %d is %d, want 4", at, data[at])
	}
	set := func(f func(d []byte)) []byte {
		d := slices.Clone(data)
		f(d)
		return withCRC(d)
	}
	checkRefused(t, data, []damaged{
		{"bits 9", set(func(d []byte) { d[at] = 9 }), ErrCorrupt},
		{"bits 1", set(func(d []byte) { d[at] = 1 }), ErrCorrupt},
		{"more kept rows than buckets", set(func(d []byte) { binary.LittleEndian.PutUint32(d[at+1:], 1<<20) }), ErrCorrupt},
		{"kept rows past the end", set(func(d []byte) { binary.LittleEndian.PutUint32(d[at+1:], 4000) }), ErrCorrupt},
		{"top scale NaN", set(func(d []byte) { binary.LittleEndian.PutUint32(d[at+5:], math.Float32bits(float32(math.NaN()))) }), ErrCorrupt},
		{"first bucket out of range", set(func(d []byte) { d[at+9], d[at+10] = 0xff, 0x7f }), ErrCorrupt},
		{"tanh without hidden layer", set(func(d []byte) { d[8] |= flagTanh }), ErrCorrupt},
		{"checksum", append(slices.Clone(data[:len(data)-1]), data[len(data)-1]^1), ErrChecksum},
	})
}

// TestQuantizeRowIsWhatLoadReads: QuantizeRow, which training uses to see
// the rows as they will ship, gives exactly the weights a compact file of
// the same bits holds after Load.
func TestQuantizeRowIsWhatLoadReads(t *testing.T) {
	for _, bits := range []int{2, 3, 4, 6} {
		w := randomWeights(13)
		var top float32
		for _, v := range w.Emb {
			top = max(top, float32(math.Abs(float64(v))))
		}
		w.Bits = bits
		data, err := Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Load(data)
		if err != nil {
			t.Fatal(err)
		}
		got := m.Weights().Emb
		q := make([]float32, w.Dim)
		for r := 0; r < int(w.Features.Buckets); r++ {
			QuantizeRow(q, w.Emb[r*w.Dim:(r+1)*w.Dim], top, bits)
			for j, v := range q {
				if d := math.Abs(float64(v - got[r*w.Dim+j])); d > 1e-5*float64(top) {
					t.Fatalf("%d bits, row %d weight %d: QuantizeRow %v, file %v", bits, r, j, v, got[r*w.Dim+j])
				}
			}
		}
	}
}
