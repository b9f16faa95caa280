package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{},
		{"explode"},
		{"new"},
		{"new", "Bad Name"},
		{"build"},
		{"test", "x"},
		{"test", "x", "--input", "f", "--hook", "sideways"},
		{"sign"},
		{"sign", "keygen"},
		{"verify", "x.wasm"},
	}
	for _, args := range tests {
		if code, _, stderr := runCLI(t, "", args...); code != 2 || !strings.Contains(stderr, "usage:") {
			t.Errorf("%v: code %d stderr %q", args, code, stderr)
		}
	}
}

// TestNewBuildTest scaffolds a plugin, builds it inside a throw-away module
// that points at this repository, and runs it in the host on its sample.
func TestNewBuildTest(t *testing.T) {
	root, err := wasmbuild.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	if code, out, stderr := runCLI(t, "", "new", "hours", "--dir", parent); code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("new: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := runCLI(t, "", "new", "hours", "--dir", parent); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("new twice: %d %s", code, stderr)
	}
	goLine := "go 1.26"
	if rootMod, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
		for _, l := range strings.Split(string(rootMod), "\n") {
			if strings.HasPrefix(l, "go ") {
				goLine = l
			}
		}
	}
	gomod := "module example.com/hours\n\n" + goLine + "\n\nrequire github.com/kefu-io/kefu v0.0.0\n\nreplace github.com/kefu-io/kefu => " + root + "\n"
	if err := os.WriteFile(filepath.Join(parent, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	if err := os.WriteFile(filepath.Join(parent, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "hours")
	code, out, stderr := runCLI(t, "", "build", dir)
	if code != 0 || !strings.Contains(out, "hours.wasm") {
		t.Fatalf("build: %d %s %s", code, out, stderr)
	}
	code, out, stderr = runCLI(t, "", "test", filepath.Join(dir, "hours.wasm"), "--input", filepath.Join(dir, "sample.json"))
	if code != 0 {
		t.Fatalf("test: %d %s %s", code, out, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "\tanswer\tanswer=\"We are open") || !strings.Contains(lines[1], "\tpass\t") {
		t.Fatalf("test output:\n%s", out)
	}
}

func TestTestCommand(t *testing.T) {
	// Build once with the build command; each case then loads the .wasm
	// (the DIR form, which builds, is covered by TestNewBuildTest's build).
	kitchen := filepath.Join(t.TempDir(), "kitchen.wasm")
	if code, out, stderr := runCLI(t, "", "build", filepath.Join("..", "testdata", "plugins", "kitchen"), "-o", kitchen); code != 0 {
		t.Fatalf("build: %s %s", out, stderr)
	}
	tests := []struct {
		name  string
		input string
		args  []string
		code  int
		want  []string
	}{
		{"json lines", `{"message":{"text":"modify 13800138000"}}` + "\n" + `{"message":{"text":"escalate lawyer"}}`, nil, 0,
			[]string{"1\tmodify\ttext=\"masked 13800138000\" labels={\"pii\":\"PHONE\"}", "2\tescalate\treason=\"escalated lawyer\""}},
		{"config and grants", `[{"message":{"text":"config api"}},{"message":{"text":"kv"}},{"message":{"text":"kv"}}]`,
			[]string{"--config", "api=https://x", "--grant", "kv"}, 0,
			[]string{`answer="config api=https://x true"`, `answer="count=1"`, `answer="count=2"`}},
		{"ungranted kv", `{"message":{"text":"kv"}}`, nil, 0, []string{"capability not granted"}},
		{"alert", `{"message":{"text":"alert 12315"}}`, []string{"--grant", "alert"}, 0, []string{`alert level=high text="shopper said 12315"`}},
		{"outbound", `{"message":{"text":"hello"}}`, []string{"--hook", "outbound"}, 0, []string{`modify	text="hello [checked]"`}},
		{"bad output fails closed", `{"message":{"text":"hugetext"}}`, nil, 1, []string{"failed\tkind=output"}},
		{"bad input", `{"message":`, nil, 1, nil},
		{"invalid envelope", `{"message":{"text":""}}`, nil, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"test", kitchen, "--input", "-"}, tc.args...)
			code, out, stderr := runCLI(t, tc.input, args...)
			if code != tc.code {
				t.Fatalf("code %d, want %d\n%s\n%s", code, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestSignVerify(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	code, out, stderr := runCLI(t, "", "sign", "keygen", "--out", key)
	if code != 0 || !strings.Contains(out, "trusted_keys") {
		t.Fatalf("keygen: %d %s %s", code, out, stderr)
	}
	if code, _, _ := runCLI(t, "", "sign", "keygen", "--out", key); code != 1 {
		t.Fatal("keygen overwrote an existing key")
	}
	bundle := filepath.Join(dir, "p.wasm")
	if err := os.WriteFile(bundle, []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "", "sign", "--key", key, "--version", "1.0.0", bundle); code != 0 {
		t.Fatalf("sign: %s", stderr)
	}
	if code, out, _ := runCLI(t, "", "verify", "--pub", key+".pub", bundle); code != 0 || !strings.Contains(out, "signature ok") {
		t.Fatalf("verify: %s", out)
	}
	// The signature is what the host checks.
	pubText, _ := os.ReadFile(key + ".pub")
	pub, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(pubText)))
	sigText, _ := os.ReadFile(bundle + ".sig")
	if err := pluginhost.VerifySignature([]ed25519.PublicKey{pub}, "p", []byte("\x00asm\x01\x00\x00\x00"), sigText); err != nil {
		t.Fatalf("signature file does not verify: %v", err)
	}
	if err := pluginhost.VerifySignature([]ed25519.PublicKey{pub}, "pii-redact", []byte("\x00asm\x01\x00\x00\x00"), sigText); err == nil {
		t.Fatal("the signature of plugin p verified for pii-redact")
	}
	if err := os.WriteFile(bundle, []byte("\x00asm\x01\x00\x00\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "", "verify", "--pub", key+".pub", bundle); code != 1 || !strings.Contains(stderr, "does NOT verify") {
		t.Fatalf("tampered bundle verified: %s", stderr)
	}
	if code, _, stderr := runCLI(t, "", "sign", "--key", key+".pub", "--version", "1", bundle); code != 1 || !strings.Contains(stderr, "not a base64 ed25519 key") {
		t.Fatalf("signing with the public key: %s", stderr)
	}
}
