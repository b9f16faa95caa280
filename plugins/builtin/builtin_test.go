package builtin

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/klauspost/compress/zstd"
)

// TestMatchesDist checks that every plugin in plugins/dist at build time
// (.wasm, .wasm.gz, or in the archive as make plugins writes it) is served
// under its name, byte for byte (decompressed), and that bad names are
// refused.
func TestMatchesDist(t *testing.T) {
	plain, _ := filepath.Glob(filepath.Join("..", "dist", "*.wasm"))
	packed, _ := filepath.Glob(filepath.Join("..", "dist", "*.wasm.gz"))
	want := map[string][]byte{}
	if b, err := os.ReadFile(filepath.Join("..", "dist", Archive)); err == nil {
		for name, body := range untar(t, unzstd(t, b)) {
			want[strings.TrimSuffix(name, ".wasm")] = body
		}
	}
	for _, f := range packed {
		want[strings.TrimSuffix(filepath.Base(f), ".wasm.gz")] = gunzipFile(t, f)
	}
	for _, f := range plain {
		b, _ := os.ReadFile(f)
		want[strings.TrimSuffix(filepath.Base(f), ".wasm")] = b
	}
	names := Names()
	if len(names) != len(want) {
		t.Fatalf("Names() = %v, dist has %v, %v and the archive", names, plain, packed)
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

// TestArchive: plugins are found in the archive by name, a plain or
// gzip file of the same name wins, and entries that are not plain
// plugin files are never served.
func TestArchive(t *testing.T) {
	arch := pack(t, map[string][]byte{
		"alpha.wasm":       []byte("\x00asm alpha"),
		"beta.wasm":        bytes.Repeat([]byte("\x00asm beta "), 1000),
		"dir/gamma.wasm":   []byte("nested"),
		"notes.txt":        []byte("not a plugin"),
		"../escape.wasm":   []byte("escape"),
		"alpha.wasm.extra": []byte("x"),
	})
	fsys := fstest.MapFS{
		Archive:        {Data: arch},
		"delta.wasm":   {Data: []byte("\x00asm plain delta")},
		"beta.wasm.gz": {Data: gz(t, []byte("\x00asm beta from gzip"))},
	}
	if got, want := names(fsys), []string{"alpha", "beta", "delta"}; !slices.Equal(got, want) {
		t.Fatalf("names = %v, want %v", got, want)
	}
	for name, want := range map[string]string{
		"alpha": "\x00asm alpha",
		"beta":  "\x00asm beta from gzip",
		"delta": "\x00asm plain delta",
	} {
		if b, ok := lookup(fsys, name); !ok || string(b) != want {
			t.Errorf("lookup(%q) = %q, %v", name, b, ok)
		}
	}
	for _, bad := range []string{"gamma", "dir/gamma", "notes", "escape", "../escape", "omega"} {
		if _, ok := lookup(fsys, bad); ok {
			t.Errorf("lookup(%q) found something", bad)
		}
	}
}

// TestArchiveRefusesGarbage: a corrupt archive or an oversized plugin is
// refused, never half-served.
func TestArchiveRefusesGarbage(t *testing.T) {
	smallCap(t)
	if _, ok := lookup(fstest.MapFS{Archive: {Data: []byte("not zstd at all")}}, "alpha"); ok {
		t.Fatal("a corrupt archive served a plugin")
	}
	whole := pack(t, map[string][]byte{"alpha.wasm": bytes.Repeat([]byte("a"), 4096)})
	if _, ok := lookup(fstest.MapFS{Archive: {Data: whole[:len(whole)/2]}}, "alpha"); ok {
		t.Fatal("a truncated archive served a plugin")
	}
	big := pack(t, map[string][]byte{"big.wasm": make([]byte, maxPlugin+1)})
	if _, ok := lookup(fstest.MapFS{Archive: {Data: big}}, "big"); ok {
		t.Fatal("a plugin over the cap was served")
	}
	if _, err := readCapped(bytes.NewReader(make([]byte, maxPlugin+1))); !errors.Is(err, errTooLarge) {
		t.Fatalf("readCapped over the cap: %v", err)
	}
}

// TestPluginpack packs files with internal/tools/pluginpack and reads
// them back through lookup: the tool and this package agree.
func TestPluginpack(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run")
	}
	dir := t.TempDir()
	files := map[string][]byte{"one.wasm": []byte("\x00asm one"), "two.wasm": bytes.Repeat([]byte("\x00asm two"), 5000)}
	args := []string{"run", "../../internal/tools/pluginpack", "-out", filepath.Join(dir, Archive)}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, filepath.Join(dir, name))
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("pluginpack: %v\n%s", err, out)
	}
	arch, err := os.ReadFile(filepath.Join(dir, Archive))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{Archive: {Data: arch}}
	if got := names(fsys); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("names = %v", got)
	}
	for name, want := range files {
		if b, ok := lookup(fsys, strings.TrimSuffix(name, ".wasm")); !ok || !bytes.Equal(b, want) {
			t.Fatalf("lookup(%s) does not give the packed file", name)
		}
	}
}

func TestGunzipRefusesGarbage(t *testing.T) {
	smallCap(t)
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

// smallCap lowers maxPlugin to 1 MiB for the test (64 MiB of zeros is
// slow to compress under -race).
func smallCap(t *testing.T) {
	old := maxPlugin
	maxPlugin = 1 << 20
	t.Cleanup(func() { maxPlugin = old })
}

func pack(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for name, b := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(b)
	}
	tw.Close()
	enc, _ := zstd.NewWriter(nil)
	return enc.EncodeAll(raw.Bytes(), nil)
}

func unzstd(t *testing.T, b []byte) []byte {
	t.Helper()
	d, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, err := d.DecodeAll(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func untar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out[h.Name] = body
	}
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := gunzip(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHas agrees with Lookup for every built-in plugin and bad names.
func TestHas(t *testing.T) {
	for _, n := range Names() {
		if !Has(n) {
			t.Errorf("Has(%q) = false for a listed plugin", n)
		}
		if _, ok := Lookup(n); !ok {
			t.Errorf("Lookup(%q) failed for a listed plugin", n)
		}
	}
	for _, bad := range []string{"", "nope", "../x", "README"} {
		if Has(bad) {
			t.Errorf("Has(%q)", bad)
		}
	}
}
