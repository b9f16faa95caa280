package textindex

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/kefu-io/kefu/assets/faq"
	"github.com/kefu-io/kefu/chat"
)

func newTestIndex(t testing.TB, docs ...Doc) *Index {
	t.Helper()
	x, err := New(map[string]string{"tenant": Keyword, "q_en": "en", "q_cjk": CJK})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Add(docs...); err != nil {
		t.Fatal(err)
	}
	return x
}

func en(id, tenant, text string) Doc {
	return Doc{ID: id, Fields: map[string]string{"tenant": tenant, "q_en": text}}
}

func ids(hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.ID)
	}
	return out
}

func TestSearch(t *testing.T) {
	x := newTestIndex(t,
		en("ship", "a", "How long does shipping take?"),
		en("cost", "a", "What does shipping cost?"),
		en("return", "a", "How do I return an item?"),
		en("return-b", "b", "How do I return an item?"),
		en("shared", "*", "Can I return shoes I have worn?"),
		Doc{ID: "zh", Fields: map[string]string{"tenant": "a", "q_cjk": "退货政策是什么"}},
	)
	tenant := func(t string) Query { return Or(Term("tenant", t), Term("tenant", "*")) }
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"more matching terms first", Match("q_en", "shipping cost"), []string{"cost", "ship"}},
		{"stemmed", Match("q_en", "returning items"), []string{"return", "return-b", "shared"}},
		// The rarer tenant value weighs more (as in bleve): the one shared
		// entry outranks tenant a's four.
		{"tenant filter with shared", And(Match("q_en", "return"), tenant("a")), []string{"shared", "return"}},
		{"other tenant", And(Match("q_en", "return"), tenant("b")), []string{"return-b", "shared"}},
		{"unknown tenant sees shared only", And(Match("q_en", "return"), tenant("c")), []string{"shared"}},
		{"stop words only", Match("q_en", "how do I"), nil},
		{"no such term", Match("q_en", "parrot"), nil},
		{"cjk bigrams", Match("q_cjk", "退货"), []string{"zh"}},
		{"field scoped", Match("q_cjk", "shipping"), nil},
		{"empty and", And(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(x.Search(tt.q, 10))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestScore checks the TF-IDF formula on a hand-computed case.
func TestScore(t *testing.T) {
	x := newTestIndex(t, en("1", "a", "shoes shoes boots"), en("2", "a", "boots"), en("3", "a", "socks"))
	hits := x.Search(Match("q_en", "shoes boots"), 10)
	// idf(shoe) = 1+ln(3/2), idf(boot) = 1+ln(3/3); queryNorm = 1/sqrt(Σidf²).
	is, ib := 1+math.Log(3.0/2), 1.0
	qn := 1 / math.Sqrt(is*is+ib*ib)
	n1, n2 := float64(float32(1/math.Sqrt(3))), 1.0
	want := map[string]float64{
		"1": (math.Sqrt2*n1*is*is + n1*ib*ib) * qn, // both terms match: coord 2/2
		"2": n2 * ib * ib * qn * 0.5,               // one of two: coord 1/2
	}
	if len(hits) != 2 || hits[0].ID != "1" {
		t.Fatalf("hits %v", hits)
	}
	for _, h := range hits {
		if math.Abs(h.Score-want[h.ID]) > 1e-12 {
			t.Errorf("%s: score %v, want %v", h.ID, h.Score, want[h.ID])
		}
	}
}

func TestReplaceAndDelete(t *testing.T) {
	x := newTestIndex(t, en("1", "a", "shipping to Spain"), en("2", "a", "shipping to France"), en("3", "a", "returns"))
	if err := x.Add(en("1", "a", "delivery to Portugal")); err != nil {
		t.Fatal(err)
	}
	if got := ids(x.Search(Match("q_en", "shipping"), 10)); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("after replacing 1: %q", got)
	}
	if got := ids(x.Search(Match("q_en", "portugal"), 10)); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("replaced text: %q", got)
	}
	x.Delete("2", "nope")
	if got := x.Search(Match("q_en", "shipping"), 10); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
	if x.Len() != 2 {
		t.Fatalf("Len %d", x.Len())
	}
	// Document frequencies follow: "returns" is now in 1 of 2 documents.
	h := x.Search(Match("q_en", "returns"), 1)
	idf := 1 + math.Log(2.0/2)
	if len(h) != 1 || math.Abs(h[0].Score-idf*idf/idf) > 1e-12 {
		t.Fatalf("hit %v", h)
	}
}

func TestAddErrors(t *testing.T) {
	x := newTestIndex(t)
	for _, d := range []Doc{{ID: "", Fields: map[string]string{"q_en": "x"}}, {ID: "1", Fields: map[string]string{"body": "x"}}} {
		if err := x.Add(en("ok", "a", "fine"), d); err == nil {
			t.Fatalf("Add(%+v) took it", d)
		}
	}
	if x.Len() != 0 {
		t.Fatalf("a failed Add added %d", x.Len())
	}
	if _, err := New(map[string]string{"q": "klingon"}); err == nil {
		t.Fatal("New took an unknown analyzer")
	}
}

func TestConcurrent(t *testing.T) {
	x := newTestIndex(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprintf("%d-%d", w, i)
				if err := x.Add(en(id, "a", "shipping to island "+id)); err != nil {
					t.Error(err)
				}
				x.Search(And(Match("q_en", "shipping island"), Term("tenant", "a")), 5)
				if i%3 == 0 {
					x.Delete(id)
				}
			}
		}()
	}
	wg.Wait()
	if got := x.Len(); got != 4*50-4*17 {
		t.Fatalf("Len %d", got)
	}
}

// BenchmarkSearch searches the default FAQ pack's paraphrases (11
// languages, one field per analyzer) with each of them in turn.
func BenchmarkSearch(b *testing.B) {
	var pack chat.FAQPack
	if err := json.Unmarshal(faq.Default(), &pack); err != nil {
		b.Fatal(err)
	}
	fields := map[string]string{"tenant": Keyword}
	type question struct{ field, text string }
	var docs []Doc
	var qs []question
	for _, e := range pack.Entries {
		for lang, list := range e.Questions {
			a := lang[:2]
			switch a {
			case "zh", "ja", "ko":
				a = CJK
			}
			if !Has(a) {
				a = Standard
			}
			fields["q_"+a] = a
			for i, text := range list {
				docs = append(docs, Doc{ID: fmt.Sprintf("%s/%s/%d", e.ID, lang, i), Fields: map[string]string{"tenant": "*", "q_" + a: text}})
				qs = append(qs, question{"q_" + a, text})
			}
		}
	}
	x, err := New(fields)
	if err != nil {
		b.Fatal(err)
	}
	if err := x.Add(docs...); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(docs)), "docs")
	for i := 0; b.Loop(); i++ {
		q := qs[i%len(qs)]
		x.Search(And(Match(q.field, q.text), Or(Term("tenant", "demo"), Term("tenant", "*"))), 10)
	}
}

// TestSearchReuse: a search's pooled lists do not leak into the next one —
// the same queries in another order give the same hits and scores.
func TestSearchReuse(t *testing.T) {
	x := newTestIndex(t,
		en("ship", "a", "How long does shipping take?"),
		en("cost", "a", "What does shipping cost?"),
		en("return", "a", "How do I return an item?"),
		en("shared", "*", "Can I return shoes I have worn? Shipping is free."),
		Doc{ID: "zh", Fields: map[string]string{"tenant": "a", "q_cjk": "退货政策是什么"}},
	)
	qs := []Query{
		Match("q_en", "shipping cost"),
		And(Match("q_en", "return shipping"), Or(Term("tenant", "a"), Term("tenant", "*"))),
		Match("q_cjk", "退货"),
		Match("q_en", "parrot"),
		Match("q_en", "how long does returning shoes take"),
	}
	first := make([][]Hit, len(qs))
	for i, q := range qs {
		first[i] = x.Search(q, 10)
	}
	for round := range 3 {
		for i := len(qs) - 1; i >= 0; i-- {
			if got := x.Search(qs[i], 10); !slices.Equal(got, first[i]) {
				t.Fatalf("round %d, query %d: %v, first %v", round, i, got, first[i])
			}
		}
	}
}
