package plugins

import (
	"bytes"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, bad := range []string{"", "../etc/passwd", "a/b", "x.wasm", "no-such-plugin"} {
		if _, ok := Lookup(bad); ok {
			t.Errorf("Lookup(%q) found something", bad)
		}
	}
	for _, n := range Names() {
		b, ok := Lookup(n)
		if !ok || !bytes.HasPrefix(b, []byte("\x00asm")) {
			t.Errorf("built-in %q is not a wasm module", n)
		}
	}
}
