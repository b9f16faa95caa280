package pluginhost

import (
	"crypto/ed25519"
	"testing"
)

// FuzzAdminUploadSignature feeds arbitrary signature headers and bundles
// to the check the admin upload (PUT /admin/plugins/{name}) and the plugin
// folder run before anything is compiled: it never panics and never
// accepts a signature the trusted key did not make for that name and those
// bytes.
func FuzzAdminUploadSignature(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	good, _ := SignBundle(priv, "p", "1.0.0", []byte("\x00asm\x01\x00\x00\x00"))
	f.Add(good, []byte("\x00asm\x01\x00\x00\x00"))
	f.Add(good, []byte("\x00asm\x01\x00\x00\x01"))
	f.Add([]byte(`{"plugin":"p","version":"1","sha256":"00","sig":"AAAA"}`), []byte("x"))
	f.Add(ed25519.Sign(priv, []byte("x")), []byte("x"))
	f.Add([]byte("{"), []byte(""))
	f.Fuzz(func(t *testing.T, sig, wasm []byte) {
		_, _ = ParseSignature(sig)
		v, err := verifySignature([]ed25519.PublicKey{pub}, "p", wasm, sig)
		if err != nil {
			return
		}
		s, _ := ParseSignature(sig)
		want, _ := SignBundle(priv, "p", v, wasm)
		ws, _ := ParseSignature(want)
		if s.Plugin != "p" || s.SHA256 != ws.SHA256 || s.Version != v {
			t.Fatalf("accepted %q for %q", sig, wasm)
		}
	})
}
