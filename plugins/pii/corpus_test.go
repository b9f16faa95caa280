package pii_test

import (
	"testing"

	"github.com/kefu-io/kefu/plugins/pii"
	"github.com/kefu-io/kefu/plugins/pii/piieval"
)

// BenchmarkScanCorpus scans every message of test.jsonl and dev.jsonl
// (markup removed) once per iteration: the per-message cost over many
// languages and shapes, not one English message.
func BenchmarkScanCorpus(b *testing.B) {
	exs, err := piieval.ReadFiles("testdata/test.jsonl", "testdata/dev.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	var texts []string
	size := 0
	for _, ex := range exs {
		texts = append(texts, ex.Text)
		size += len(ex.Text)
	}
	b.SetBytes(int64(size))
	b.ReportMetric(float64(len(texts)), "msgs/op")
	for b.Loop() {
		for _, t := range texts {
			pii.Scan(t, pii.Options{})
		}
	}
}
