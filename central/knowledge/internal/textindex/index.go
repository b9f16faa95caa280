// Package textindex is a small in-memory full-text index: documents with
// named fields, each field analysed by a language-aware analyzer (Analyze),
// searched with match, term, or and and queries scored by TF-IDF.
//
// It does what the knowledge hub used bleve for, with the same analysis
// (Unicode word tokens; stemming and stop words for en, de, fr, es, it, pt,
// ru, nl and ar; CJK bigrams; ported from bleve and Lucene) and the same
// scores as bleve's default TF-IDF model, so rankings carry over:
//
//   - a term scores sqrt(tf) × norm × idf² × queryNorm, where
//     norm = 1/sqrt(the field's term count) (as a float32),
//     idf = 1 + ln(documents / (documents holding the term + 1)) and
//     queryNorm = 1/sqrt(Σ idf² over the query's terms);
//   - Or sums its matching children's scores × matching/all children;
//   - And sums its children's scores and matches only where all do;
//   - Match analyses a text with the field's analyzer and is the Or of its
//     terms (repeats included).
//
// Ties keep the order documents were added in. Packs are small (hundreds
// to a few thousand documents), so it favours simplicity over compression.
//
// An Index is safe for concurrent use.
package textindex

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
)

// Doc is a document to index: its fields' texts by field name.
type Doc struct {
	ID     string
	Fields map[string]string
}

// Hit is a found document.
type Hit struct {
	ID    string
	Score float64
}

type posting struct {
	doc  int32
	tf   int32
	norm float32
}

type docEntry struct {
	id string // "" once deleted
	// terms are the distinct terms of each field (to remove its postings).
	terms map[string][]string
}

// Index is an in-memory inverted index.
type Index struct {
	fields map[string]string // field → analyzer

	mu   sync.RWMutex
	docs []docEntry
	byID map[string]int32
	live int
	// postings are by field, then term; each list is in document order.
	postings map[string]map[string][]posting
}

// New returns an empty index whose fields are analysed by the named
// analyzers (field → analyzer name: Standard, CJK, Keyword or a language
// code Has knows).
func New(fields map[string]string) (*Index, error) {
	fs := make(map[string]string, len(fields))
	for f, a := range fields {
		if !Has(a) {
			return nil, fmt.Errorf("textindex: field %q: no analyzer %q", f, a)
		}
		fs[f] = a
	}
	return &Index{fields: fs, byID: map[string]int32{}, postings: map[string]map[string][]posting{}}, nil
}

// Len is the number of documents indexed.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// Add indexes docs; a document with the id of one already indexed
// replaces it. A field the index does not know is an error, and then none
// of docs is added.
func (x *Index) Add(docs ...Doc) error {
	type analysed struct {
		id    string
		terms map[string]map[string]int32 // field → term → frequency
		lens  map[string]int
	}
	prepared := make([]analysed, 0, len(docs))
	for _, d := range docs {
		if d.ID == "" {
			return fmt.Errorf("textindex: document without an id")
		}
		a := analysed{id: d.ID, terms: map[string]map[string]int32{}, lens: map[string]int{}}
		for f, text := range d.Fields {
			an, ok := x.fields[f]
			if !ok {
				return fmt.Errorf("textindex: document %q: unknown field %q", d.ID, f)
			}
			terms := Analyze(an, text)
			if len(terms) == 0 {
				continue
			}
			tf := map[string]int32{}
			for _, t := range terms {
				tf[t]++
			}
			a.terms[f], a.lens[f] = tf, len(terms)
		}
		prepared = append(prepared, a)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, a := range prepared {
		x.deleteLocked(a.id)
		n := int32(len(x.docs))
		e := docEntry{id: a.id, terms: map[string][]string{}}
		for f, tf := range a.terms {
			norm := float32(1 / math.Sqrt(float64(a.lens[f])))
			byTerm := x.postings[f]
			if byTerm == nil {
				byTerm = map[string][]posting{}
				x.postings[f] = byTerm
			}
			for t, c := range tf {
				byTerm[t] = append(byTerm[t], posting{doc: n, tf: c, norm: norm})
				e.terms[f] = append(e.terms[f], t)
			}
		}
		x.docs = append(x.docs, e)
		x.byID[a.id] = n
		x.live++
	}
	return nil
}

// Delete removes the documents with these ids (unknown ids are ignored).
func (x *Index) Delete(ids ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		x.deleteLocked(id)
	}
}

func (x *Index) deleteLocked(id string) {
	n, ok := x.byID[id]
	if !ok {
		return
	}
	e := &x.docs[n]
	for f, terms := range e.terms {
		byTerm := x.postings[f]
		for _, t := range terms {
			list := byTerm[t]
			i := sort.Search(len(list), func(i int) bool { return list[i].doc >= n })
			if i < len(list) && list[i].doc == n {
				list = append(list[:i], list[i+1:]...)
			}
			if len(list) == 0 {
				delete(byTerm, t)
			} else {
				byTerm[t] = list
			}
		}
	}
	*e = docEntry{}
	delete(x.byID, id)
	x.live--
}

// Query is a search: Match, Term, Or or And.
type Query struct {
	op       op
	field    string
	text     string
	children []Query
}

type op uint8

const (
	opMatch op = iota
	opTerm
	opOr
	opAnd
)

// Match finds documents whose field holds any term of text as the field's
// analyzer analyses it (the Or of those terms; nothing if there is none).
func Match(field, text string) Query { return Query{op: opMatch, field: field, text: text} }

// Term finds documents whose field holds term exactly (for Keyword fields,
// or an analysed term).
func Term(field, term string) Query { return Query{op: opTerm, field: field, text: term} }

// Or finds documents matching any of qs; the more of them match, the higher
// the score.
func Or(qs ...Query) Query { return Query{op: opOr, children: qs} }

// And finds documents matching every one of qs.
func And(qs ...Query) Query { return Query{op: opAnd, children: qs} }

// node is a query resolved against the index: terms with their postings.
type node struct {
	op       op
	postings []posting
	idf      float64
	children []*node
}

// scored is a document's score under a node.
type scored struct {
	doc int32
	// n counts the children of an Or that matched.
	n     int32
	score float64
}

// resolve turns q into nodes (read lock held) and adds each term's weight
// (idf²) to *weight.
func (x *Index) resolve(q Query, weight *float64) *node {
	switch q.op {
	case opMatch:
		an, ok := x.fields[q.field]
		if !ok {
			an = Standard
		}
		terms := Analyze(an, q.text)
		if len(terms) == 0 {
			return &node{op: opOr} // matches nothing
		}
		n := &node{op: opOr}
		for _, t := range terms {
			n.children = append(n.children, x.resolve(Term(q.field, t), weight))
		}
		return n
	case opTerm:
		list := x.postings[q.field][q.text]
		idf := 1 + math.Log(float64(x.live)/float64(len(list)+1))
		*weight += idf * idf
		return &node{op: opTerm, postings: list, idf: idf}
	}
	n := &node{op: q.op}
	for _, c := range q.children {
		n.children = append(n.children, x.resolve(c, weight))
	}
	return n
}

// scratch keeps a search's []scored lists for reuse: each term's list and
// each Or's merge would otherwise be a fresh slice, several per shopper
// message the knowledge bot answers.
type scratch struct{ free [][]scored }

// Bounds on what a pooled scratch keeps: a few lists of a small pack's size.
const (
	scratchLists = 16
	scratchCap   = 1 << 14
)

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// get returns an empty list with room for n.
func (s *scratch) get(n int) []scored {
	for i, b := range s.free {
		if cap(b) >= n {
			last := len(s.free) - 1
			s.free[i], s.free[last] = s.free[last], nil
			s.free = s.free[:last]
			return b[:0]
		}
	}
	return make([]scored, 0, n)
}

// put gives a list back; the caller no longer uses it.
func (s *scratch) put(b []scored) {
	if cap(b) == 0 || cap(b) > scratchCap || len(s.free) >= scratchLists {
		return
	}
	s.free = append(s.free, b[:0])
}

// eval returns the documents n matches with their scores, in document
// order, in a list from s.
func (n *node) eval(qnorm float64, s *scratch) []scored {
	switch n.op {
	case opTerm:
		out := s.get(len(n.postings))[:len(n.postings)]
		w := n.idf * n.idf * qnorm
		for i, p := range n.postings {
			out[i] = scored{doc: p.doc, score: math.Sqrt(float64(p.tf)) * float64(p.norm) * w}
		}
		return out
	case opOr:
		if len(n.children) == 0 {
			return nil
		}
		var acc []scored
		for _, c := range n.children {
			acc = mergeOr(acc, c.eval(qnorm, s), s)
		}
		total := float64(len(n.children))
		for i := range acc {
			acc[i].score *= float64(acc[i].n) / total
			acc[i].n = 1
		}
		return acc
	default: // opAnd
		if len(n.children) == 0 {
			return nil
		}
		out := n.children[0].eval(qnorm, s)
		for _, c := range n.children[1:] {
			if len(out) == 0 {
				s.put(out)
				return nil
			}
			other := c.eval(qnorm, s)
			merged := out[:0]
			for i, j := 0, 0; i < len(out) && j < len(other); {
				switch {
				case out[i].doc < other[j].doc:
					i++
				case out[i].doc > other[j].doc:
					j++
				default:
					merged = append(merged, scored{doc: out[i].doc, score: out[i].score + other[j].score})
					i++
					j++
				}
			}
			s.put(other)
			out = merged
		}
		return out
	}
}

// mergeOr merges b into a (both in document order), summing the scores
// and counting the matches of a document in both. a and b go back to s.
func mergeOr(a, b []scored, s *scratch) []scored {
	if len(a) == 0 {
		s.put(a)
		for i := range b {
			b[i].n = 1
		}
		return b
	}
	out := s.get(len(a) + len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].doc < b[j].doc:
			out = append(out, a[i])
			i++
		case a[i].doc > b[j].doc:
			out = append(out, scored{doc: b[j].doc, n: 1, score: b[j].score})
			j++
		default:
			out = append(out, scored{doc: a[i].doc, n: a[i].n + 1, score: a[i].score + b[j].score})
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	for ; j < len(b); j++ {
		out = append(out, scored{doc: b[j].doc, n: 1, score: b[j].score})
	}
	s.put(a)
	s.put(b)
	return out
}

// Search returns the best n documents for q, best first (ties in the order
// they were added).
func (x *Index) Search(q Query, n int) []Hit {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.live == 0 || n <= 0 {
		return nil
	}
	var weight float64
	root := x.resolve(q, &weight)
	qnorm := 1.0
	if weight > 0 {
		qnorm = 1 / math.Sqrt(weight)
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	res := root.eval(qnorm, sc)
	defer sc.put(res)
	slices.SortFunc(res, func(a, b scored) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.doc, b.doc)
	})
	if len(res) > n {
		res = res[:n]
	}
	hits := make([]Hit, len(res))
	for i, r := range res {
		hits[i] = Hit{ID: x.docs[r.doc].id, Score: r.score}
	}
	return hits
}
