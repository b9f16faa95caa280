package knowledge_test

import (
	"context"
	"testing"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/knowledge/knowledgetest"
)

// BenchmarkHubLoadDemo times rebuilding a tenant's index part from the
// demo pack's 112 documents (what a replica does after a change).
func BenchmarkHubLoadDemo(b *testing.B) {
	docs := knowledgetest.DemoDocs(b)
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
		knowledgetest.DemoDocs(b)
	}
}
