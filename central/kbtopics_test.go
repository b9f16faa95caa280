package central

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/internal/poll"
)

const canaryDoc = `---
id: canary
title: Canary Islands
topics: gift wrapping
---
# Canary Islands / 加那利群岛

Orders to the Canary Islands travel by sea and take 7–12 business days; import tax (IGIC) is paid on arrival.

订单海运至加那利群岛，需 7–12 个工作日；到付进口税（IGIC）。
`

// findNode finds a topic anywhere in a tree view.
func findNode(ns []TopicNode, id string) *TopicNode {
	for i := range ns {
		if ns[i].ID == id {
			return &ns[i]
		}
		if n := findNode(ns[i].Children, id); n != nil {
			return n
		}
	}
	return nil
}

// TestTopicTreeOverREST edits a tenant's topic tree through REST and
// checks that ingest assigns to it (creating a declared topic), that the
// ask filter and the list filters take a topic's subtree, and that
// renames, moves and merges reach the filters and the gap labels.
func TestTopicTreeOverREST(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	api := newApp(t, s)
	tok := api.login("demo", demoEmail, demoPassword)

	tree := func() TopicsView {
		t.Helper()
		var v TopicsView
		if code := api.do("GET", "/v1/knowledge/topics", tok, nil, &v); code != 200 {
			t.Fatalf("list topics: %d", code)
		}
		return v
	}
	if v := tree(); v.Version != 0 || findNode(v.Topics, "shipping") == nil || findNode(v.Topics, "returns") == nil {
		t.Fatalf("default tree %+v", v)
	}
	for _, doc := range []struct{ name, body string }{{"returns.md", returnsDoc}, {"canary.md", canaryDoc}} {
		if code := api.do("POST", "/v1/knowledge/documents?name="+doc.name, tok, doc.body, nil); code != 201 {
			t.Fatalf("upload %s: %d", doc.name, code)
		}
	}
	// The declared topic the default tree lacks was created.
	v := tree()
	if n := findNode(v.Topics, "gift-wrapping"); v.Version == 0 || n == nil || n.Name != "gift wrapping" {
		t.Fatalf("declared topic not created: %+v", v)
	}
	var islands TopicNode
	if code := api.do("POST", "/v1/knowledge/topics", tok, map[string]any{"name": "Islands", "parent": "shipping", "words": []string{"Canary", "island", "加那利"}}, &islands); code != 201 ||
		islands.ID != "islands" || islands.Path != "Shipping › Islands" || !slices.Equal(islands.Words, []string{"canary", "island", "加那利"}) {
		t.Fatalf("create: %d %+v", code, islands)
	}
	ask := func(q, topic string) AskReply {
		t.Helper()
		var r AskReply
		if code := api.do("POST", "/v1/knowledge/ask", tok, AskRequest{Q: q, Topic: topic}, &r); code != 200 {
			t.Fatalf("ask %q in %q: %d", q, topic, code)
		}
		return r
	}
	docsIn := func(topic string) []string {
		t.Helper()
		var l struct {
			Documents []DocumentView `json:"documents"`
		}
		if code := api.do("GET", "/v1/knowledge/documents?topic="+topic, tok, nil, &l); code != 200 {
			t.Fatalf("documents in %q: %d", topic, code)
		}
		var ids []string
		for _, d := range l.Documents {
			ids = append(ids, d.ID)
		}
		return ids
	}
	poll.Until(t, 10*time.Second, func() error {
		if r := ask("how long does delivery to the canary islands take", "islands"); r.Kind != "passage" || len(r.Sources) == 0 || r.Sources[0].Doc != "canary" {
			return fmt.Errorf("filtered answer %+v", r)
		}
		if n := findNode(tree().Topics, "islands"); n == nil || n.Documents != 1 || n.Passages == 0 {
			return fmt.Errorf("islands holds %+v", n)
		}
		return nil
	})
	if r := ask("can I return unworn items with their tags?", "islands"); r.Kind == "passage" || r.Kind == "faq" {
		t.Errorf("a returns question answered inside the islands topic: %+v", r)
	}
	if r := ask("can I return unworn items with their tags?", "returns"); !strings.Contains(r.Text, "30 days") {
		t.Errorf("returns question in returns: %+v", r)
	}
	for _, c := range []struct {
		topic string
		want  []string
	}{
		{"islands", []string{"canary"}},
		{"Shipping", []string{"canary", "returns"}}, // by name; canary through its subtopic only
		{"returns", []string{"returns"}},
	} {
		if got := docsIn(c.topic); !slices.Equal(got, c.want) {
			t.Errorf("documents in %s: %v, want %v", c.topic, got, c.want)
		}
	}
	var ae apiErr
	if code := api.do("GET", "/v1/knowledge/documents?topic=nope", tok, nil, &ae); code != 400 {
		t.Errorf("unknown topic filter: %d", code)
	}

	// Gaps are labelled with the tree's names; a rename shows at once.
	for _, q := range []string{"can you send to the canary islands by air", "canary islands air freight?"} {
		if err := s.Store().RecordMiss(bg, store.Miss{Tenant: "demo", Text: q, Lang: "en", Reason: "fallback"}); err != nil {
			t.Fatal(err)
		}
	}
	gapLabel := func() (string, []TopicRef) {
		t.Helper()
		var r struct {
			Gaps []Gap `json:"gaps"`
		}
		if code := api.do("GET", "/v1/knowledge/gaps", tok, nil, &r); code != 200 || len(r.Gaps) != 1 {
			t.Fatalf("gaps: %d %+v", code, r)
		}
		return r.Gaps[0].Label, r.Gaps[0].Topics
	}
	if l, ts := gapLabel(); l != "Islands" || len(ts) != 1 || ts[0].ID != "islands" {
		t.Errorf("gap label %q %+v", l, ts)
	}
	var upd TopicNode
	if code := api.do("PATCH", "/v1/knowledge/topics/islands", tok, map[string]any{"name": "Islands & territories"}, &upd); code != 200 || upd.Name != "Islands & territories" {
		t.Fatalf("rename: %d %+v", code, upd)
	}
	if l, _ := gapLabel(); l != "Islands & territories" {
		t.Errorf("gap label after the rename: %q", l)
	}
	// Move to the root and back; a move under its own subtree is refused.
	upd = TopicNode{}
	if code := api.do("PATCH", "/v1/knowledge/topics/islands", tok, map[string]any{"parent": ""}, &upd); code != 200 || upd.Parent != "" || upd.Path != "Islands & territories" {
		t.Fatalf("move to the root: %d %+v", code, upd)
	}
	if n := findNode(tree().Topics, "shipping"); n == nil || findNode(n.Children, "islands") != nil || slices.Contains(docsIn("shipping"), "canary") {
		t.Errorf("islands still under shipping: %+v", n)
	}
	if code := api.do("PATCH", "/v1/knowledge/topics/islands", tok, map[string]any{"parent": "shipping"}, &upd); code != 200 || upd.Path != "Shipping › Islands & territories" {
		t.Fatalf("move back: %d %+v", code, upd)
	}
	if code := api.do("PATCH", "/v1/knowledge/topics/shipping", tok, map[string]any{"parent": "islands"}, &ae); code != 400 {
		t.Errorf("a cycle: %d %+v", code, ae)
	}
	// Merge gift wrapping into returns: what declared it is in returns now.
	if slices.Contains(docsIn("returns"), "canary") {
		t.Fatal("canary in returns before the merge")
	}
	if code := api.do("DELETE", "/v1/knowledge/topics/gift-wrapping?merge_into=returns", tok, nil, nil); code != 204 {
		t.Fatalf("merge: %d", code)
	}
	if got := docsIn("returns"); !slices.Equal(got, []string{"canary", "returns"}) {
		t.Errorf("documents in returns after the merge: %v", got)
	}
	if findNode(tree().Topics, "gift-wrapping") != nil {
		t.Error("merged topic still listed")
	}
	// Delete: the subtopics move up.
	if code := api.do("DELETE", "/v1/knowledge/topics/shipping", tok, nil, nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	v = tree()
	if findNode(v.Topics, "shipping") != nil || slices.IndexFunc(v.Topics, func(n TopicNode) bool { return n.ID == "islands" }) < 0 {
		t.Errorf("after deleting shipping: %+v", v.Topics)
	}
	for _, bad := range []struct {
		method, path string
		body         any
		code         int
	}{
		{"POST", "/v1/knowledge/topics", map[string]any{"name": ""}, 400},
		{"POST", "/v1/knowledge/topics", map[string]any{"name": "X", "parent": "nope"}, 400},
		{"POST", "/v1/knowledge/topics", map[string]any{"name": "islands & territories"}, 400}, // the same name beside it
		{"PATCH", "/v1/knowledge/topics/nope", map[string]any{"name": "Y"}, 404},
		{"DELETE", "/v1/knowledge/topics/nope", nil, 404},
		{"DELETE", "/v1/knowledge/topics/islands?merge_into=nope", nil, 400},
	} {
		if code := api.do(bad.method, bad.path, tok, bad.body, &ae); code != bad.code {
			t.Errorf("%s %s: %d, want %d (%+v)", bad.method, bad.path, code, bad.code, ae)
		}
	}
	// A Chinese name gets an id too.
	var zh TopicNode
	if code := api.do("POST", "/v1/knowledge/topics", tok, map[string]any{"name": "礼品卡"}, &zh); code != 201 || zh.ID == "" || zh.Name != "礼品卡" {
		t.Fatalf("create zh: %d %+v", code, zh)
	}
}
