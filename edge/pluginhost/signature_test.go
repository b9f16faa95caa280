package pluginhost

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignatureBindsNameAndVersion: a trusted signed bundle cannot replace
// another plugin (the name is signed), an older signed release cannot be
// replayed over a newer one unless forced, a version cannot be re-signed
// with other bytes, and a signature over the bytes alone is refused
// (issue 8 item 9).
func TestSignatureBindsNameAndVersion(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	dir := t.TempDir()
	cfg := region("pii-redact", "p")
	cfg.TrustedKeys = []string{base64.StdEncoding.EncodeToString(pub)}
	cfg.RequireSignature = true
	cfg.PluginDir = dir
	cfg.PollInterval = Duration(-1)
	v1, v2 := passthrough(t), testPlugin(t, "kitchen")
	h, _ := testHost(t, cfg, map[string][]byte{"pii-redact": v1, "p": v1})
	ctx := context.Background()

	refuse := func(name string, wasm, sig []byte, want error, wantText string) {
		t.Helper()
		before := h.Versions()[name]
		err := h.Install(ctx, name, wasm, sig)
		if !errors.Is(err, ErrRefused) || (want != nil && !errors.Is(err, want)) || !strings.Contains(err.Error(), wantText) {
			t.Fatalf("Install(%s) = %v, want refusal %v %q", name, err, want, wantText)
		}
		if h.Versions()[name] != before {
			t.Fatalf("a refused bundle replaced %s", name)
		}
	}
	// The signed bundle of plugin "p" uploaded as pii-redact.
	refuse("pii-redact", v2, signFile(t, priv, "p", "1.0.0", v2), nil, `signature is for plugin "p"`)
	refuse("pii-redact", v2, ed25519.Sign(priv, v2), ErrLegacySignature, "binds no name")

	if err := h.Install(ctx, "pii-redact", v2, signFile(t, priv, "pii-redact", "1.2.0", v2)); err != nil {
		t.Fatal(err)
	}
	// Replaying the older signed release is a downgrade.
	refuse("pii-redact", v1, signFile(t, priv, "pii-redact", "1.1.9", v1), ErrDowngrade, "older than the running 1.2.0")
	refuse("pii-redact", v1, signFile(t, priv, "pii-redact", "1.2", v1), ErrDowngrade, "other bytes")
	// The same version again is fine; a newer one is fine; force rolls back.
	if err := h.Install(ctx, "pii-redact", v2, signFile(t, priv, "pii-redact", "1.2.0", v2)); err != nil {
		t.Fatal(err)
	}
	if err := h.InstallWith(ctx, "pii-redact", v1, signFile(t, priv, "pii-redact", "1.0.0", v1), InstallOptions{Force: true}); err != nil {
		t.Fatalf("forced rollback: %v", err)
	}
	if got := h.Releases()["pii-redact"]; got != "1.0.0" {
		t.Fatalf("release after rollback %q", got)
	}
	// The signature file is kept beside the bundle: a restart knows the release.
	if b, err := os.ReadFile(filepath.Join(dir, "pii-redact.wasm.sig")); err != nil || !strings.Contains(string(b), `"version":"1.0.0"`) {
		t.Fatalf("persisted signature %q, %v", b, err)
	}
}

// TestParseLegacySignature: 64 raw signature bytes are a legacy signature
// whatever they begin with. TestSignatureBindsNameAndVersion failed in CI
// when ed25519.Sign's bytes began with "{" and were parsed as JSON.
func TestParseLegacySignature(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	raw := ed25519.Sign(priv, []byte("bundle"))
	for _, lead := range []string{"{", " {", "\n\t{", "x"} {
		sig := append([]byte(lead), raw[len(lead):]...)
		if _, err := ParseSignature(sig); !errors.Is(err, ErrLegacySignature) {
			t.Errorf("64 raw bytes beginning %q: %v, want ErrLegacySignature", lead, err)
		}
	}
	if _, err := ParseSignature([]byte(base64.StdEncoding.EncodeToString(raw) + "\n")); !errors.Is(err, ErrLegacySignature) {
		t.Errorf("base64 of a signature: %v", err)
	}
	if _, err := ParseSignature([]byte(`{"name":"p"`)); err == nil || errors.Is(err, ErrLegacySignature) {
		t.Errorf("a broken signature file: %v", err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"1", "1.0.0", 0}, {"1.10", "1.9", 1}, {"2", "10", -1}, {"0.0.1", "0.0.0.9", 1}} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
