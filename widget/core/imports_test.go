package core_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestWASMImportsStayLean: the browser core (widget/wasm, GOOS=js) links
// none of the packages that would add tens of kilobytes to what every
// shopper downloads: fmt (with os and time it came in through
// runtime/debug: 49 KB brotli), encoding/json, regexp.
func TestWASMImportsStayLean(t *testing.T) {
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", "github.com/kefu-io/kefu/widget/wasm")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string]bool{}
	for _, p := range strings.Fields(string(out)) {
		deps[p] = true
	}
	if !deps["syscall/js"] {
		t.Fatalf("go list did not list widget/wasm's dependencies: %q", out)
	}
	for _, heavy := range []string{"fmt", "os", "time", "encoding/json", "regexp", "runtime/debug"} {
		if deps[heavy] {
			t.Errorf("widget/wasm links %s", heavy)
		}
	}
}
