package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestForward runs `kefu bench` and `kefu model` against stand-in
// companions in KEFU_TOOLS_DIR: arguments, standard streams and the exit
// code pass through; a missing companion is a clear error.
func TestForward(t *testing.T) {
	dir := t.TempDir()
	for _, tool := range []string{"kefu-bench", "kefu-model"} {
		script := "#!/bin/sh\necho \"" + tool + " $*\"\nread line; echo \"in: $line\"\necho oops >&2\nexit 3\n"
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("KEFU_TOOLS_DIR", dir)
	tests := []struct {
		args    []string
		wantOut string
	}{
		{[]string{"bench", "edge", "--duration", "2s"}, "kefu-bench edge --duration 2s\nin: hello\n"},
		{[]string{"model", "eval", "intent", "--data", "x y"}, "kefu-model eval intent --data x y\nin: hello\n"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(t.Context(), tt.args, strings.NewReader("hello\n"), &out, &errOut)
		if code != 3 || out.String() != tt.wantOut || errOut.String() != "oops\n" {
			t.Errorf("kefu %v = %d, stdout %q, stderr %q", tt.args, code, out.String(), errOut.String())
		}
	}

	t.Setenv("KEFU_TOOLS_DIR", t.TempDir())
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"bench", "edge"}, nil, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "kefu-bench") || !strings.Contains(errOut.String(), "make build") {
		t.Fatalf("missing companion: code %d, stderr %q", code, errOut.String())
	}
}

func TestSourceRoot(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if got := sourceRoot(); got != root {
		t.Fatalf("sourceRoot() = %q, want %q", got, root)
	}
	t.Chdir(t.TempDir())
	if got := sourceRoot(); got != "" {
		t.Fatalf("outside the tree: sourceRoot() = %q", got)
	}
}
