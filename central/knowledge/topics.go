package knowledge

import (
	"maps"
	"slices"
	"strings"
	"unicode"
)

// Topic is one node of a tenant's topic tree. Documents, passages and FAQ
// pairs belong to any number of topics (multi-topic): the topics their
// document or sheet row declares and every topic one of whose words the
// text contains. A filter by a topic takes its whole subtree.
type Topic struct {
	ID     string `json:"id"`
	Parent string `json:"parent,omitempty"`
	Name   string `json:"name"`
	// Words signal the topic in a text (matched in lower case as
	// substrings: "ship" finds "shipping", "配送" finds "配送时间").
	Words []string `json:"words,omitempty"`
}

// topicNames are the default topics' display names.
var topicNames = map[string]string{
	"shipping": "Shipping", "returns": "Returns", "exchange": "Exchanges", "payment": "Payment", "invoice": "Invoices",
	"sizes": "Sizes", "warranty": "Warranty", "membership": "Membership", "promotions": "Promotions", "fees": "Fees",
	"products": "Products", "account": "Account", "orders": "Orders",
}

// DefaultTopics is the tree a tenant starts with: one level of the
// shop's usual topics, with words in English and Chinese.
func DefaultTopics() []Topic {
	out := make([]Topic, 0, len(topicWords))
	for _, id := range slices.Sorted(maps.Keys(topicWords)) {
		name := topicNames[id]
		if name == "" {
			name = id
		}
		out = append(out, Topic{ID: id, Name: name, Words: append([]string(nil), topicWords[id]...)})
	}
	return out
}

// Tree is a tenant's topic tree, ready to assign and filter. It is
// immutable once built and safe for concurrent use.
type Tree struct {
	topics   []Topic
	byID     map[string]int
	children map[string][]string
	// byName finds a declared topic by id or name, in lower case.
	byName map[string]string
}

// NewTree builds a Tree. Topics whose parent is unknown become roots.
func NewTree(topics []Topic) *Tree {
	t := &Tree{topics: append([]Topic(nil), topics...), byID: map[string]int{}, children: map[string][]string{}, byName: map[string]string{}}
	for i, tp := range t.topics {
		t.byID[tp.ID] = i
	}
	for i := range t.topics {
		tp := &t.topics[i]
		if _, ok := t.byID[tp.Parent]; !ok {
			tp.Parent = ""
		}
		t.children[tp.Parent] = append(t.children[tp.Parent], tp.ID)
		t.byName[strings.ToLower(tp.ID)] = tp.ID
	}
	for _, tp := range t.topics {
		if k := strings.ToLower(strings.TrimSpace(tp.Name)); t.byName[k] == "" {
			t.byName[k] = tp.ID
		}
	}
	// A word names its topic too: a merged topic's old id and name are
	// words of the topic it was merged into.
	for _, tp := range t.topics {
		for _, w := range tp.Words {
			if k := strings.ToLower(strings.TrimSpace(w)); k != "" && t.byName[k] == "" {
				t.byName[k] = tp.ID
			}
		}
	}
	return t
}

// Topics returns the tree's topics in their order.
func (t *Tree) Topics() []Topic { return append([]Topic(nil), t.topics...) }

// Topic returns one topic.
func (t *Tree) Topic(id string) (Topic, bool) {
	i, ok := t.byID[id]
	if !ok {
		return Topic{}, false
	}
	return t.topics[i], true
}

// Children returns the ids of parent's children ("" = the roots).
func (t *Tree) Children(parent string) []string { return t.children[parent] }

// Subtree returns id and the ids of all its descendants; nil for an
// unknown id.
func (t *Tree) Subtree(id string) []string {
	if _, ok := t.byID[id]; !ok {
		return nil
	}
	out := []string{id}
	for i := 0; i < len(out); i++ {
		out = append(out, t.children[out[i]]...)
	}
	return out
}

// Path returns the names from the root down to id ("Shipping › Islands").
func (t *Tree) Path(id string) string {
	var names []string
	for seen := 0; id != "" && seen < len(t.topics); seen++ {
		tp, ok := t.Topic(id)
		if !ok {
			break
		}
		names = append([]string{tp.Name}, names...)
		id = tp.Parent
	}
	return strings.Join(names, " › ")
}

// Resolve finds a declared topic ("shipping", "Shipping") by id, name or,
// failing those, one of its words.
func (t *Tree) Resolve(name string) (string, bool) {
	id, ok := t.byName[strings.ToLower(strings.TrimSpace(name))]
	return id, ok
}

// Match returns the ids of the topics one of whose words text contains,
// in tree order. A Latin word matches at the start of a word ("ship" in
// "shipping", not in "relationship"); a CJK word anywhere.
func (t *Tree) Match(text string) []string {
	low := strings.ToLower(text)
	var out []string
	for _, tp := range t.topics {
		for _, w := range tp.Words {
			if w = strings.ToLower(strings.TrimSpace(w)); w != "" && containsWordStart(low, w) {
				out = append(out, tp.ID)
				break
			}
		}
	}
	return out
}

// containsWordStart reports whether low contains w where a word starts
// (any position for a word that begins with a CJK character).
func containsWordStart(low, w string) bool {
	if hasHan(w[:min(len(w), 4)]) {
		return strings.Contains(low, w)
	}
	for off := 0; ; {
		i := strings.Index(low[off:], w)
		if i < 0 {
			return false
		}
		s := off + i
		if s == 0 || !isLatinWordRune(lastRune(low[:s])) {
			return true
		}
		off = s + 1
	}
}

func isLatinWordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !unicode.Is(unicode.Han, r)
}

// AssignTopics sets the topics of d's passages, FAQ pairs and d itself
// from tree: what the document or a sheet row declared (by topic id or
// name; one the tree lacks is dropped) and every topic whose words the
// text contains. Declared topics are kept in d.Declared, so a later tree
// edit can reassign them.
func AssignTopics(d *Derived, tree *Tree) {
	resolve := func(names []string) []string {
		var out []string
		for _, n := range names {
			if id, ok := tree.Resolve(n); ok {
				out = append(out, id)
			}
		}
		return out
	}
	docTopics := resolve(d.Declared)
	byPassage := map[string][]string{}
	for i := range d.FAQ {
		f := &d.FAQ[i]
		if f.Topic != "" && f.Passage != "" {
			byPassage[f.Passage] = append(byPassage[f.Passage], f.Topic)
		}
	}
	d.Topics = nil
	ptopics := map[string][]string{}
	for i := range d.Passages {
		p := &d.Passages[i]
		p.Topics = mergeTopics(mergeTopics(docTopics, resolve(byPassage[p.ID])), tree.Match(p.Heading+" "+p.Text))
		ptopics[p.ID] = p.Topics
		d.Topics = mergeTopics(d.Topics, p.Topics)
	}
	for i := range d.FAQ {
		f := &d.FAQ[i]
		var declared []string
		if f.Topic != "" {
			declared = resolve([]string{f.Topic})
		}
		f.Topics = mergeTopics(mergeTopics(mergeTopics(docTopics, declared), ptopics[f.Passage]), tree.Match(f.Question+" "+f.Answer))
		d.Topics = mergeTopics(d.Topics, f.Topics)
	}
	if d.Topics == nil {
		d.Topics = docTopics
	}
}

// DeclaredTopics returns the topic names d's document and sheet rows
// declared, for creating the ones a tree lacks.
func (d *Derived) DeclaredTopics() []string {
	out := append([]string(nil), d.Declared...)
	for _, f := range d.FAQ {
		if f.Topic != "" {
			out = mergeTopics(out, []string{strings.ToLower(strings.TrimSpace(f.Topic))})
		}
	}
	return out
}
