package builtin

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatchesDist checks that every plugin in plugins/dist at build time
// (.wasm, or .wasm.gz as make plugins writes it) is served under its name,
// byte for byte (decompressed), and that bad names are refused.
func TestMatchesDist(t *testing.T) {
	plain, _ := filepath.Glob(filepath.Join("..", "dist", "*.wasm"))
	packed, _ := filepath.Glob(filepath.Join("..", "dist", "*.wasm.gz"))
	want := map[string][]byte{}
	for _, f := range packed {
		want[strings.TrimSuffix(filepath.Base(f), ".wasm.gz")] = gunzipFile(t, f)
	}
	for _, f := range plain {
		b, _ := os.ReadFile(f)
		want[strings.TrimSuffix(filepath.Base(f), ".wasm")] = b
	}
	names := Names()
	if len(names) != len(want) {
		t.Fatalf("Names() = %v, dist has %v and %v", names, plain, packed)
	}
	for name, w := range want {
		b, ok := Lookup(name)
		if !ok || !bytes.Equal(b, w) {
			t.Fatalf("Lookup(%q) does not match plugins/dist", name)
		}
	}
	for _, bad := range []string{"", "README", "../x", "embed.go", "a/b", "x.wasm"} {
		if _, ok := Lookup(bad); ok {
			t.Fatalf("Lookup(%q) found something", bad)
		}
	}
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGunzipRefusesGarbage(t *testing.T) {
	if _, err := gunzip([]byte("not gzip")); err == nil {
		t.Fatal("gunzip accepted garbage")
	}
	var big bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&big, gzip.BestCompression)
	zw.Write(make([]byte, maxPlugin+1))
	zw.Close()
	if _, err := gunzip(big.Bytes()); err == nil {
		t.Fatal("gunzip accepted a plugin over the cap")
	}
}
