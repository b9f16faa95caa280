package store_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/kefu-io/kefu/central/store"
)

func testKBTopics(t *testing.T, s store.Store) {
	if _, _, ok, err := s.TopicTree(ctx, "t1"); err != nil || ok {
		t.Fatalf("a tenant without a tree: ok %v, %v", ok, err)
	}
	rev := func() int64 {
		r, err := s.KnowledgeRevisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r["t1"]
	}
	r0 := rev()
	tree := []store.KBTopic{
		{ID: "shipping", Name: "Shipping", Words: []string{"ship", "配送"}, Position: 0},
		{ID: "islands", Parent: "shipping", Name: "Islands", Words: []string{"canary"}, Position: 1},
		{ID: "returns", Name: "Returns", Position: 2},
	}
	v, err := s.PutTopicTree(ctx, "t1", 0, tree)
	if err != nil || v != 1 {
		t.Fatalf("first put: %d %v", v, err)
	}
	if rev() == r0 {
		t.Fatal("a tree edit did not bump the knowledge revision")
	}
	got, version, ok, err := s.TopicTree(ctx, "t1")
	if err != nil || !ok || version != 1 || !reflect.DeepEqual(got, tree) {
		t.Fatalf("read back %+v v%d %v %v", got, version, ok, err)
	}
	// Written against an old version: stale, nothing changes.
	if _, err := s.PutTopicTree(ctx, "t1", 0, tree[:1]); !errors.Is(err, store.ErrStale) {
		t.Fatalf("stale put: %v", err)
	}
	for _, c := range []struct {
		name string
		tree []store.KBTopic
	}{
		{"a cycle", []store.KBTopic{{ID: "a", Parent: "b", Name: "A"}, {ID: "b", Parent: "a", Name: "B"}}},
		{"its own parent", []store.KBTopic{{ID: "a", Parent: "a", Name: "A"}}},
		{"an unknown parent", []store.KBTopic{{ID: "a", Parent: "x", Name: "A"}}},
		{"an id twice", []store.KBTopic{{ID: "a", Name: "A"}, {ID: "a", Name: "B"}}},
		{"no name", []store.KBTopic{{ID: "a", Name: " "}}},
		{"no id", []store.KBTopic{{Name: "A"}}},
		{"a word with a line break", []store.KBTopic{{ID: "a", Name: "A", Words: []string{"x\ny"}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := s.PutTopicTree(ctx, "t1", 1, c.tree); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("%s accepted: %v", c.name, err)
			}
		})
	}
	// An empty tree is a tree: the tenant deleted every topic.
	if v, err := s.PutTopicTree(ctx, "t1", 1, nil); err != nil || v != 2 {
		t.Fatalf("empty put: %d %v", v, err)
	}
	if got, version, ok, err := s.TopicTree(ctx, "t1"); err != nil || !ok || version != 2 || len(got) != 0 {
		t.Fatalf("empty tree: %+v v%d %v %v", got, version, ok, err)
	}
	if _, _, ok, _ := s.TopicTree(ctx, "t2"); ok {
		t.Fatal("another tenant sees t1's tree")
	}
}
