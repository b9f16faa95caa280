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

func testKBTemplates(t *testing.T, s store.Store) {
	if ts, err := s.HotTemplates(ctx, "t1"); err != nil || len(ts) != 0 {
		t.Fatalf("none yet: %+v %v", ts, err)
	}
	r0, _ := s.KnowledgeRevisions(ctx)
	for _, tp := range []store.KBTemplate{
		{Tenant: "t1", ID: "singles-day", Data: []byte(`{"enabled":true}`)},
		{Tenant: "t1", ID: "launch", Data: []byte(`{"custom":true}`)},
		{Tenant: "t1", ID: "singles-day", Data: []byte(`{"enabled":false}`)}, // replaces
		{Tenant: "t2", ID: "launch", Data: []byte(`{}`)},
	} {
		if err := s.PutHotTemplate(ctx, tp); err != nil {
			t.Fatal(err)
		}
	}
	r1, _ := s.KnowledgeRevisions(ctx)
	if r1["t1"] <= r0["t1"] {
		t.Fatal("a template change did not bump the knowledge revision")
	}
	ts, err := s.HotTemplates(ctx, "t1")
	if err != nil || len(ts) != 2 || ts[0].ID != "launch" || ts[1].ID != "singles-day" || string(ts[1].Data) != `{"enabled":false}` {
		t.Fatalf("t1 templates %+v %v", ts, err)
	}
	if err := s.DeleteHotTemplate(ctx, "t1", "launch"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteHotTemplate(ctx, "t1", "launch"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	for _, bad := range []store.KBTemplate{{ID: "x", Data: []byte("{}")}, {Tenant: "t1", Data: []byte("{}")}, {Tenant: "t1", ID: "x"}} {
		if err := s.PutHotTemplate(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
	if ts, _ := s.HotTemplates(ctx, "t2"); len(ts) != 1 {
		t.Fatalf("t2 templates %+v", ts)
	}
}
