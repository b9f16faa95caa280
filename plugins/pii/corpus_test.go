package pii_test

import (
	"os"
	"testing"

	"github.com/kefu-io/kefu/plugins/pii"
	"github.com/kefu-io/kefu/plugins/pii/piieval"
)

// BenchmarkScanCorpus scans every message of test.jsonl and dev.jsonl
// (markup removed) once per iteration: the per-message cost over many
// languages and shapes, not one English message.
func BenchmarkScanCorpus(b *testing.B) {
	var texts []string
	size := 0
	for _, name := range []string{"testdata/test.jsonl", "testdata/dev.jsonl"} {
		f, err := os.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		exs, err := piieval.Parse(f)
		f.Close()
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		for _, ex := range exs {
			texts = append(texts, ex.Text)
			size += len(ex.Text)
		}
	}
	b.SetBytes(int64(size))
	b.ReportMetric(float64(len(texts)), "msgs/op")
	for b.Loop() {
		for _, t := range texts {
			pii.Scan(t, pii.Options{})
		}
	}
}
