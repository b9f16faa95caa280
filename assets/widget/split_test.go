package widget

import (
	"encoding/json"
	"io/fs"
	"regexp"
	"testing"
)

// TestSplitStrings: every string a script reads is in the part of the
// table that script carries, in every language; nothing is in both.
func TestSplitStrings(t *testing.T) {
	used := func(file string) (top, q map[string]bool) {
		src, err := fs.ReadFile(FS(), file)
		if err != nil {
			t.Fatal(err)
		}
		top, q = map[string]bool{}, map[string]bool{}
		for _, m := range regexp.MustCompile(`\bt\('([a-z_]+)'\)`).FindAllSubmatch(src, -1) {
			top[string(m[1])] = true
		}
		for _, m := range regexp.MustCompile(`\bq\(\)\.([a-z_]+)`).FindAllSubmatch(src, -1) {
			q[string(m[1])] = true
		}
		return top, q
	}
	loaderTop, loaderQ := used("kefu.js")
	chunkTop, chunkQ := used("more.js")
	// The human queue is the chunk's (the loader reads no "q" string).
	if len(loaderTop) < 10 || len(chunkTop) < 5 || len(chunkQ) < 5 {
		t.Fatalf("too few strings found: %d %d %d %d", len(loaderTop), len(chunkTop), len(loaderQ), len(chunkQ))
	}
	for _, lang := range Languages {
		raw, err := fs.ReadFile(FS(), "i18n/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		var all map[string]any
		if err := json.Unmarshal(raw, &all); err != nil {
			t.Fatal(err)
		}
		loader, chunk := splitStrings(all)
		has := func(part map[string]any, k string, sub bool) bool {
			if sub {
				m, _ := part["q"].(map[string]any)
				_, ok := m[k]
				return ok
			}
			_, ok := part[k]
			return ok
		}
		for _, c := range []struct {
			part map[string]any
			keys map[string]bool
			sub  bool
			name string
		}{{loader, loaderTop, false, "loader"}, {loader, loaderQ, true, "loader q"}, {chunk, chunkTop, false, "chunk"}, {chunk, chunkQ, true, "chunk q"}} {
			for k := range c.keys {
				// The chunk also reads the loader's strings (its table is filled in).
				if !has(c.part, k, c.sub) && !(c.name[:5] == "chunk" && has(loader, k, c.sub)) {
					t.Errorf("%s: %s reads %q, which it does not carry", lang, c.name, k)
				}
			}
		}
		for k := range chunk {
			if _, dup := loader[k]; dup && k != "q" {
				t.Errorf("%s: %q in both", lang, k)
			}
		}
	}
}
