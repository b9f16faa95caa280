package knowledge

import (
	"reflect"
	"slices"
	"testing"

	"github.com/kefu-io/kefu/central/knowledge/ingest"
)

func testTree() *Tree {
	return NewTree([]Topic{
		{ID: "shipping", Name: "Shipping", Words: []string{"ship", "deliver", "配送"}},
		{ID: "islands", Parent: "shipping", Name: "Islands", Words: []string{"canary", "island", "加那利"}},
		{ID: "canary", Parent: "islands", Name: "Canary Islands", Words: []string{"tenerife"}},
		{ID: "returns", Name: "Returns", Words: []string{"return", "refund", "退货"}},
		{ID: "orphan", Parent: "gone", Name: "Orphan"},
	})
}

func TestTree(t *testing.T) {
	tr := testTree()
	for _, c := range []struct {
		name string
		got  any
		want any
	}{
		{"subtree of a root", tr.Subtree("shipping"), []string{"shipping", "islands", "canary"}},
		{"subtree of a leaf", tr.Subtree("returns"), []string{"returns"}},
		{"subtree of an unknown topic", tr.Subtree("nope"), []string(nil)},
		{"an unknown parent makes a root", tr.Children(""), []string{"shipping", "returns", "orphan"}},
		{"path", tr.Path("canary"), "Shipping › Islands › Canary Islands"},
		{"match: word start", tr.Match("Do you ship to Tenerife?"), []string{"shipping", "canary"}},
		{"match: not inside a word", tr.Match("our relationship"), []string(nil)},
		{"match: CJK anywhere", tr.Match("加那利群岛可以配送吗"), []string{"shipping", "islands"}},
		{"match: several topics", tr.Match("refund for an island delivery"), []string{"shipping", "islands", "returns"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Fatalf("got %#v, want %#v", c.got, c.want)
			}
		})
	}
	for _, c := range []struct{ in, want string }{{"shipping", "shipping"}, {"Shipping", "shipping"}, {" canary islands ", "canary"}, {"Islands", "islands"}} {
		if got, ok := tr.Resolve(c.in); !ok || got != c.want {
			t.Errorf("Resolve(%q) = %q %v, want %q", c.in, got, ok, c.want)
		}
	}
	if _, ok := tr.Resolve("gift cards"); ok {
		t.Error("Resolve found a topic the tree lacks")
	}
}

func TestAssignTopics(t *testing.T) {
	doc := ingest.Document{Title: "Canary Islands", Kind: ingest.KindMarkdown, Meta: map[string]string{"topics": "returns"},
		Sections: []ingest.Section{
			{Heading: "Delivery to the Canary Islands", Paragraphs: []string{"We deliver to Tenerife and Gran Canaria in 7–12 days."}},
			{Heading: "Packaging", Paragraphs: []string{"Every parcel is wrapped in paper."}},
		}}
	der := Derive("canary", doc)
	AssignTopics(&der, testTree())
	if len(der.Passages) != 2 {
		t.Fatalf("passages %+v", der.Passages)
	}
	// Declared (returns) on every passage; words add shipping and the
	// island subtopics where the text names them.
	if got := der.Passages[0].Topics; !reflect.DeepEqual(got, []string{"returns", "shipping", "islands", "canary"}) {
		t.Errorf("first passage topics %v", got)
	}
	if got := der.Passages[1].Topics; !reflect.DeepEqual(got, []string{"returns"}) {
		t.Errorf("second passage topics %v", got)
	}
	if !slices.Contains(der.Topics, "canary") || !slices.Contains(der.Topics, "returns") {
		t.Errorf("document topics %v", der.Topics)
	}
	// A tree edit reassigns: without the islands subtree, nothing points at it.
	AssignTopics(&der, NewTree([]Topic{{ID: "shipping", Name: "Shipping", Words: []string{"deliver"}}}))
	if got := der.Passages[0].Topics; !reflect.DeepEqual(got, []string{"shipping"}) {
		t.Errorf("after the edit: %v", got)
	}

	// A FAQ sheet row's topic, by name, and the words of its question.
	sheet := ingest.Document{Title: "FAQ", Kind: ingest.KindFAQ, FAQ: []ingest.FAQPair{
		{Question: "Can I get a refund on a sale item?", Answer: "Yes, within 14 days.", Topic: "Canary Islands"},
		{Question: "Gift cards?", Answer: "Sold online.", Topic: "gift cards"},
	}}
	der = Derive("faq", sheet)
	AssignTopics(&der, testTree())
	if got := der.FAQ[0].Topics; !reflect.DeepEqual(got, []string{"canary", "returns"}) {
		t.Errorf("FAQ pair topics %v", got)
	}
	if got := der.FAQ[1].Topics; len(got) != 0 {
		t.Errorf("a topic the tree lacks is dropped: %v", got)
	}
	if got := der.DeclaredTopics(); !slices.Contains(got, "gift cards") {
		t.Errorf("declared topics %v", got)
	}
}
