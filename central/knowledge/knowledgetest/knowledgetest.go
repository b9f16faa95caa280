// Package knowledgetest gives tests and benchmarks the demo knowledge pack
// (assets/kb) prepared as the hub takes it, so packages that test against
// the demo shop's knowledge load it one way.
package knowledgetest

import (
	"context"
	"io/fs"
	"testing"

	"github.com/kefu-io/kefu/assets/kb"
	"github.com/kefu-io/kefu/central/knowledge"
)

// DemoTenant is the tenant DemoHub loads the pack as.
const DemoTenant = "demo"

// DemoDocs returns the demo pack's documents prepared by knowledge.Prepare,
// each at version 1 (as the store numbers a first upload).
func DemoDocs(tb testing.TB) []knowledge.Doc {
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
		docs = append(docs, knowledge.Doc{ID: pr.ID, Title: pr.Title, Version: 1, Derived: pr.Derived})
		return nil
	})
	if err != nil {
		tb.Fatalf("knowledgetest: demo pack: %v", err)
	}
	return docs
}

// DemoHub returns a hub with the demo pack loaded as DemoTenant, closed
// when the test ends.
func DemoHub(tb testing.TB) *knowledge.Hub {
	tb.Helper()
	h := knowledge.NewHub(knowledge.HubOptions{})
	tb.Cleanup(func() { _ = h.Close() })
	if err := h.Load(context.Background(), DemoTenant, DemoDocs(tb), nil); err != nil {
		tb.Fatalf("knowledgetest: load the demo pack: %v", err)
	}
	return h
}
