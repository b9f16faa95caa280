package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
)

// TestKnowledgeContract runs the KnowledgeStore suite on SQLite and PostgreSQL.
func TestKnowledgeContract(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			t.Run("documents and versions", func(t *testing.T) { testKBDocuments(t, open(t)) })
			t.Run("catalogue", func(t *testing.T) { testKBCatalog(t, open(t)) })
			t.Run("misses and drafts", func(t *testing.T) { testKBMissesDrafts(t, open(t)) })
			t.Run("topic tree", func(t *testing.T) { testKBTopics(t, open(t)) })
			t.Run("hot-topic templates", func(t *testing.T) { testKBTemplates(t, open(t)) })
		})
	}
}

func testKBDocuments(t *testing.T, s store.Store) {
	rev := func(tenant string) int64 {
		r, err := s.KnowledgeRevisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return r[tenant]
	}
	doc := store.KBDocument{ID: "returns", Title: "Returns", Kind: "markdown", Source: "returns.md", SHA: "a", Body: "30 days", Derived: []byte(`{"passages":[]}`)}
	got, changed, err := s.PutDocuments(ctx, "t1", []store.KBDocument{doc})
	if err != nil || !changed[0] || got[0].Version != 1 {
		t.Fatalf("first put: %+v %v %v", got, changed, err)
	}
	r1 := rev("t1")
	if r1 == 0 {
		t.Fatal("no revision after a put")
	}
	// The same bytes again: no new version, no new revision.
	_, changed, err = s.PutDocuments(ctx, "t1", []store.KBDocument{doc})
	if err != nil || changed[0] || rev("t1") != r1 {
		t.Fatalf("unchanged put: changed=%v err=%v rev %d→%d", changed, err, r1, rev("t1"))
	}
	doc.SHA, doc.Body = "b", "14 days"
	got, changed, err = s.PutDocuments(ctx, "t1", []store.KBDocument{doc})
	if err != nil || !changed[0] || got[0].Version != 2 || rev("t1") <= r1 {
		t.Fatalf("replace: %+v %v %v", got, changed, err)
	}
	d, err := s.Document(ctx, "t1", "returns")
	if err != nil || d.Body != "14 days" || d.Version != 2 || string(d.Derived) != `{"passages":[]}` {
		t.Fatalf("document: %+v %v", d, err)
	}
	if _, err := s.Document(ctx, "t2", "returns"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant sees the document: %v", err)
	}
	list, err := s.Documents(ctx, "t1", false)
	if err != nil || len(list) != 1 || list[0].Body != "" {
		t.Fatalf("list without bodies: %+v %v", list, err)
	}
	if err := s.DeleteDocument(ctx, "t1", "returns", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, "t1", "returns", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if list, _ := s.Documents(ctx, "t1", true); len(list) != 0 {
		t.Fatalf("deleted document listed: %+v", list)
	}
	vs, err := s.DocumentVersions(ctx, "t1", "returns")
	if err != nil || len(vs) != 3 || vs[0].Version != 3 || !vs[0].Deleted || vs[2].Body != "30 days" {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	// Re-adding a deleted document makes a new version even with old bytes.
	doc.SHA = "a"
	got, changed, err = s.PutDocuments(ctx, "t1", []store.KBDocument{doc})
	if err != nil || !changed[0] || got[0].Version != 4 {
		t.Fatalf("re-add: %+v %v", got, err)
	}
	if _, _, err := s.PutDocuments(ctx, "t1", []store.KBDocument{{ID: ""}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty id: %v", err)
	}
	if _, _, err := s.PutDocuments(ctx, "", []store.KBDocument{doc}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty tenant: %v", err)
	}
}

func testKBCatalog(t *testing.T, s store.Store) {
	items := []store.CatalogItem{{SKU: "A-1", Data: []byte(`{"sku":"A-1","stock":3}`)}, {SKU: "A-2", Data: []byte(`{"sku":"A-2","stock":0}`)}}
	if err := s.PutCatalogItems(ctx, "t1", items); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCatalogItems(ctx, "t1", []store.CatalogItem{{SKU: "A-1", Data: []byte(`{"sku":"A-1","stock":2}`)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.CatalogItems(ctx, "t1")
	if err != nil || len(got) != 2 || string(got[0].Data) != `{"sku":"A-1","stock":2}` {
		t.Fatalf("catalogue: %+v %v", got, err)
	}
	if err := s.PutCatalogItems(ctx, "t1", []store.CatalogItem{{SKU: ""}}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty sku: %v", err)
	}
	if other, _ := s.CatalogItems(ctx, "t2"); len(other) != 0 {
		t.Fatalf("other tenant sees the catalogue: %+v", other)
	}
}

func testKBMissesDrafts(t *testing.T, s store.Store) {
	now := time.Now()
	for i, text := range []string{"do you ship to mars", "shipping to mars?", "gift cards"} {
		if err := s.RecordMiss(ctx, store.Miss{Tenant: "t1", Text: text, Lang: "en", Reason: "fallback", At: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordMiss(ctx, store.Miss{Tenant: "t1"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("empty miss: %v", err)
	}
	ms, err := s.Misses(ctx, "t1", now.Add(-time.Minute), 0)
	if err != nil || len(ms) != 3 || ms[0].Text != "gift cards" {
		t.Fatalf("misses: %+v %v", ms, err)
	}
	d := store.Draft{Tenant: "t1", ID: "d1", Gap: "g1", Question: "Do you ship to Mars?", Answer: "No.", Lang: "en"}
	if err := s.PutDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Status, d.DecidedAt = store.DraftApproved, now
	if err := s.PutDraft(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := s.Draft(ctx, "t1", "d1")
	if err != nil || got.Status != store.DraftApproved || got.DecidedAt.IsZero() {
		t.Fatalf("draft: %+v %v", got, err)
	}
	if ds, _ := s.Drafts(ctx, "t1", store.DraftPending); len(ds) != 0 {
		t.Fatalf("pending drafts: %+v", ds)
	}
	if ds, _ := s.Drafts(ctx, "t1", ""); len(ds) != 1 {
		t.Fatalf("all drafts: %+v", ds)
	}
	if _, err := s.Draft(ctx, "t2", "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other tenant's draft: %v", err)
	}
}
