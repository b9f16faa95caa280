package builtin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatchesDist checks that every .wasm in plugins/dist at build time is
// served under its name, byte for byte, and that bad names are refused.
func TestMatchesDist(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "dist", "*.wasm"))
	names := Names()
	if len(names) != len(files) {
		t.Fatalf("Names() = %v, dist has %v", names, files)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".wasm")
		b, ok := Lookup(name)
		want, _ := os.ReadFile(f)
		if !ok || string(b) != string(want) {
			t.Fatalf("Lookup(%q) does not match %s", name, f)
		}
	}
	for _, bad := range []string{"", "README", "../x", "embed.go", "a/b"} {
		if _, ok := Lookup(bad); ok {
			t.Fatalf("Lookup(%q) found something", bad)
		}
	}
}
