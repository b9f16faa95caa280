package widget_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"

	"github.com/kefu-io/kefu/assets/widget"
)

func TestBuild(t *testing.T) {
	src := widget.FS()
	dist := fstest.MapFS{"kefu.wasm": {Data: []byte("\x00asm core")}, "wasm_exec.js": {Data: []byte("// glue\n")}}
	b, err := widget.Build(src, dist)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]widget.Asset{}
	for _, a := range b.Assets {
		if _, dup := byName[a.Name]; dup {
			t.Fatalf("%s twice", a.Name)
		}
		byName[a.Name] = a
	}
	boot, ok := byName["kefu.js"]
	if !ok || boot.Immutable || b.Assets[0].Name != "kefu.js" || bytes.Contains(boot.Body, []byte("@@ASSETS@@")) {
		t.Fatalf("bootstrap: %+v", boot.Name)
	}
	for _, lang := range widget.Languages {
		js, ok := byName["kefu."+b.Hash+"."+lang+".js"]
		if !ok || !js.Immutable || bytes.Contains(js.Body, []byte("@@")) || !bytes.Contains(js.Body, []byte(`"css":"kefu.`)) || bytes.Contains(js.Body, []byte(`"wasm":`)) {
			t.Fatalf("loader %s missing or not filled in", lang)
		}
		if s, ok := byName["kefu."+b.Hash+"."+lang+".json"]; !ok || !s.Immutable || !bytes.Contains(s.Body, []byte(`"photo":`)) {
			t.Fatalf("strings %s missing or incomplete", lang)
		}
		// The loader carries the text chat's strings, the chunk the rest.
		more, ok := byName["kefu."+b.Hash+"."+lang+".more.js"]
		if !ok || !more.Immutable || bytes.Contains(more.Body, []byte("@@")) || !bytes.Contains(more.Body, []byte(`"wasm":"kefu.`)) || !bytes.Contains(more.Body, []byte(`"langs":["en"`)) {
			t.Fatalf("chunk %s missing or not filled in", lang)
		}
		for _, k := range []string{`"send":`, `"greet":`, `"ph":`, `"retry":`} {
			if !bytes.Contains(js.Body, []byte(k)) || bytes.Contains(more.Body, []byte(k)) {
				t.Errorf("%s: %s should be in the loader only", lang, k)
			}
		}
		for _, k := range []string{`"photo":`, `"stock_in":`, `"cbsend":`, `"rate":`, `"pos":`, `"handoff":`, `"too_large":`} {
			if bytes.Contains(js.Body, []byte(k)) || !bytes.Contains(more.Body, []byte(k)) {
				t.Errorf("%s: %s should be in the chunk only", lang, k)
			}
		}
	}
	// The loader names its style sheet's copy, the chunk its own.
	var assets, chunkAssets struct{ CSS, CSS2 string }
	body := byName["kefu."+b.Hash+".en.js"].Body
	i := bytes.Index(body, []byte(`{"css":`))
	if i < 0 || json.NewDecoder(bytes.NewReader(body[i:])).Decode(&assets) != nil || assets.CSS == "" {
		t.Fatalf("the loader does not name its style sheet: %+v", assets)
	}
	body = byName["kefu."+b.Hash+".en.more.js"].Body
	i = bytes.Index(body, []byte(`{"css2":`))
	if i < 0 || json.NewDecoder(bytes.NewReader(body[i:])).Decode(&chunkAssets) != nil || chunkAssets.CSS2 == "" || chunkAssets.CSS2 == assets.CSS {
		t.Fatalf("the chunk does not name its style sheet: %+v", chunkAssets)
	}
	for _, css := range []string{assets.CSS, chunkAssets.CSS2} {
		if a, ok := byName[css]; !ok || !a.Immutable {
			t.Fatalf("style sheet %s missing", css)
		}
	}
	if !bytes.Contains(byName["kefu."+b.Hash+".ar.js"].Body, []byte(`"dir":"rtl"`)) {
		t.Fatal("Arabic loader is not right to left")
	}
	for _, old := range []string{"kefu.css", "kefu.wasm", "wasm_exec.js"} {
		if a, ok := byName[old]; !ok || a.Immutable {
			t.Fatalf("%s: old name missing or immutable", old)
		}
	}
	// Every hashed name changes with the content.
	b2, err := widget.Build(src, fstest.MapFS{"kefu.wasm": {Data: []byte("\x00asm core v2")}, "wasm_exec.js": {Data: []byte("// glue\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if b2.Hash == b.Hash || strings.Join(b2.Names(), ",") == strings.Join(b.Names(), ",") {
		t.Fatal("a new core kept the loaders' names")
	}
	// A minified copy named by the unminified text's hash replaces it; another is ignored.
	css, _ := fs.ReadFile(src, "kefu.css")
	dist["min/"+strings.TrimPrefix(widget.MinName(css, ".css"), "min/")] = &fstest.MapFile{Data: []byte(".k{}")}
	dist["min/"+strings.TrimPrefix(widget.MinName([]byte("other"), ".css"), "min/")] = &fstest.MapFile{Data: []byte(".x{}")}
	b3, err := widget.Build(src, dist)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range b3.Assets {
		if a.Name == "kefu.css" {
			found = string(a.Body) == ".k{}"
		}
	}
	if !found {
		t.Fatal("the minified style sheet was not used")
	}
}

func TestBuildRefusesBadSources(t *testing.T) {
	if _, err := widget.Build(fstest.MapFS{}, nil); !errors.Is(err, widget.ErrNoLoader) {
		t.Fatalf("no loader: %v", err)
	}
	full := fstest.MapFS{}
	_ = fs.WalkDir(widget.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (p == "kefu.js" || p == "boot.js" || p == "more.js" || p == "kefu.css" || p == "more.css" || strings.HasPrefix(p, "i18n/")) {
			b, _ := fs.ReadFile(widget.FS(), p)
			full[p] = &fstest.MapFile{Data: b}
		}
		return nil
	})
	for name, mutate := range map[string]func(fstest.MapFS){
		"placeholder twice": func(m fstest.MapFS) {
			m["kefu.js"] = &fstest.MapFile{Data: append(append([]byte{}, m["kefu.js"].Data...), `"@@ASSETS@@"`...)}
		},
		"no placeholder":        func(m fstest.MapFS) { m["boot.js"] = &fstest.MapFile{Data: []byte("(function(){})()")} },
		"chunk without strings": func(m fstest.MapFS) { m["more.js"] = &fstest.MapFile{Data: []byte("(function(){})()")} },
		"no chunk":              func(m fstest.MapFS) { delete(m, "more.js") },
		"no chunk style":        func(m fstest.MapFS) { delete(m, "more.css") },
		"strings missing":       func(m fstest.MapFS) { delete(m, "i18n/ko.json") },
		"strings not JSON":      func(m fstest.MapFS) { m["i18n/ru.json"] = &fstest.MapFile{Data: []byte("{")} },
	} {
		t.Run(name, func(t *testing.T) {
			m := fstest.MapFS{}
			for k, v := range full {
				m[k] = v
			}
			mutate(m)
			if _, err := widget.Build(m, nil); err == nil {
				t.Fatal("built anyway")
			}
		})
	}
	// Without boot.js the files are served as they are (older file sets).
	b, err := widget.Build(fstest.MapFS{"kefu.js": {Data: []byte("x")}}, nil)
	if err != nil || len(b.Assets) != 1 || b.Assets[0].Name != "kefu.js" {
		t.Fatalf("plain: %v %v", b.Names(), err)
	}
}

// TestStringsComplete: every language has every key of English, and the
// placeholders of the English strings.
func TestStringsComplete(t *testing.T) {
	read := func(lang string) map[string]any {
		var m map[string]any
		b, err := fs.ReadFile(widget.FS(), "i18n/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		return m
	}
	en := read("en")
	for _, lang := range widget.Languages {
		m := read(lang)
		for k, v := range en {
			got, ok := m[k]
			if !ok {
				t.Errorf("%s lacks %q", lang, k)
				continue
			}
			if s, isStr := v.(string); isStr {
				for _, ph := range []string{"{a}", "{n}"} {
					if strings.Contains(s, ph) && !strings.Contains(got.(string), ph) {
						t.Errorf("%s %q lacks %s", lang, k, ph)
					}
				}
			}
		}
		if e, ok := m["e"].(map[string]any); !ok || len(e) != len(en["e"].(map[string]any)) {
			t.Errorf("%s: error texts incomplete", lang)
		}
	}
}

func TestLoaderLang(t *testing.T) {
	for in, want := range map[string]string{"zh": "zh-CN", "zh-Hans-CN": "zh-CN", "zh-TW": "zh-TW", "zh-Hant": "zh-TW", "zh_HK": "zh-TW",
		"de-AT": "de", "AR": "ar", "pt-BR": "pt", "nl": "", "": ""} {
		if got := widget.LoaderLang(in); got != want {
			t.Errorf("LoaderLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckCompressed(t *testing.T) {
	body := []byte(strings.Repeat("kefu widget core ", 400))
	other := []byte(strings.Repeat("kefu widget core ", 399) + "kefu widget cure ")
	br := func(b []byte) []byte {
		var buf bytes.Buffer
		w := brotli.NewWriterLevel(&buf, 5)
		_, _ = w.Write(b)
		_ = w.Close()
		return buf.Bytes()
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name string
		z    []byte
		ext  string
		ok   bool
	}{
		{"brotli", br(body), ".br", true},
		{"gzip", gz(body), ".gz", true},
		{"brotli of another file", br(other), ".br", false},
		{"gzip of another file", gz(other), ".gz", false},
		{"brotli of more", br(append(append([]byte{}, body...), 'x')), ".br", false},
		{"brotli truncated", br(body)[:len(br(body))-3], ".br", false},
		{"gzip truncated (no checksum)", gz(body)[:len(gz(body))-8], ".gz", false},
		{"gzip checksum of another file", append(gz(body)[:len(gz(body))-8], gz(other)[len(gz(other))-8:]...), ".gz", false},
		{"empty", nil, ".br", false},
		{"gzip read as brotli", gz(body), ".br", false},
		{"unknown extension", gz(body), ".zst", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := widget.CheckCompressed(tt.z, body, tt.ext)
			if tt.ok && err != nil {
				t.Fatalf("CheckCompressed = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, widget.ErrCompressedCopy) {
				t.Fatalf("CheckCompressed = %v, want ErrCompressedCopy", err)
			}
		})
	}
}
