package knowledge_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/kefu-io/kefu/assets/kb"
	"github.com/kefu-io/kefu/central/knowledge"
)

func demoDocs(tb testing.TB) []knowledge.Doc {
	tb.Helper()
	var docs []knowledge.Doc
	fsys := kb.Demo()
	err := fs.WalkDir(fsys, "docs", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		pr, err := knowledge.Prepare(p, b)
		if err != nil {
			return err
		}
		docs = append(docs, knowledge.Doc{ID: pr.ID, Title: pr.Title, Derived: pr.Derived})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return docs
}

// BenchmarkHubLoadDemo times rebuilding a tenant's index part from the
// demo pack's 112 documents (what a replica does after a change).
func BenchmarkHubLoadDemo(b *testing.B) {
	docs := demoDocs(b)
	h := knowledge.NewHub(knowledge.HubOptions{})
	defer h.Close()
	for b.Loop() {
		if err := h.Load(context.Background(), "demo", docs, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrepareDemo times parsing and deriving the 112 documents.
func BenchmarkPrepareDemo(b *testing.B) {
	for b.Loop() {
		demoDocs(b)
	}
}
