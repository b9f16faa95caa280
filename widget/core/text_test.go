package core

import (
	"math"
	"testing"
)

// cosine is the dot product of two normalised vectors by a merge of their
// sorted keys: the reference the postings in index.scores must match.
func cosine(a, b vector) float32 {
	var s float32
	i, j := 0, 0
	for i < len(a.keys) && j < len(b.keys) {
		switch {
		case a.keys[i] == b.keys[j]:
			s += a.vals[i] * b.vals[j]
			i++
			j++
		case a.keys[i] < b.keys[j]:
			i++
		default:
			j++
		}
	}
	return min(s, 1)
}

// TestScoresMatchCosine checks the postings of index.match against a
// direct cosine with every paraphrase and every profile of the default pack.
func TestScoresMatchCosine(t *testing.T) {
	entries := defaultPack(t)
	ix, err := buildIndex(entries)
	if err != nil {
		t.Fatal(err)
	}
	idf := ix.idf
	for _, q := range []string{"What is your return policy?", "退货要运费吗", "Wie lange dauert der Versand?", "返品できますか", "xyzzy", "배송비 얼마예요"} {
		qv := weigh(features(q), idf)
		got := ix.match(q, new(matchScratch))
		for i, e := range entries {
			var para, prof float32
			for _, qs := range e.Questions {
				all := termCounts{}
				for _, p := range qs {
					tc := features(p)
					if len(tc) > 0 {
						para = max(para, cosine(qv, weigh(tc, idf)))
					}
					for k, v := range tc {
						all[k] += v
					}
				}
				if len(all) > 0 {
					prof = max(prof, cosine(qv, weigh(all, idf)))
				}
			}
			want := prof
			if para >= exactSimilarity {
				want = para
			}
			if math.Abs(float64(got[i].score-want)) > 1e-6 {
				t.Errorf("%q vs %s: postings %v, cosine %v", q, e.ID, got[i].score, want)
			}
		}
	}
}
