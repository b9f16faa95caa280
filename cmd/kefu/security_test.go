package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/plugins/builtin"
)

// TestEdgePluginUploadSignedOnly runs `kefu edge` as a process: a real
// plugin bundle (pii-redact, ~3 MB) signed by a trusted key is accepted
// through the admin API (the 32 MiB limit is real on that route), an
// unsigned one is refused because signatures are required by default, the
// signed bundle of one plugin is refused under another's name, and every
// other route keeps the 1 MiB body limit (issue 8 item 9).
func TestEdgePluginUploadSignedOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	wasm, ok := builtin.Lookup("pii-redact")
	if !ok {
		t.Fatal("pii-redact is not built in: run `make plugins`")
	}
	pub, priv, _ := ed25519.GenerateKey(nil)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "edge.toml")
	// cache_dir: pii-redact compiled once across runs, not under the race
	// detector at every start (past waitHealthy's minute at load average 10).
	cfg := fmt.Sprintf(`trusted_keys = [%q]
cache_dir = %q
[regions.local]
pipelines.inbound = ["pii-redact"]
`, base64.StdEncoding.EncodeToString(pub), pluginCache(t))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	natsPort := freePort(t)
	centralAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	edgeAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startKefu(t, "central", "--embed-nats", strconv.Itoa(natsPort), "--data", filepath.Join(dir, "c"), "--addr", centralAddr)
	waitHealthy(t, centralAddr)
	startKefu(t, "edge", "--nats", fmt.Sprintf("nats://127.0.0.1:%d", natsPort), "--addr", edgeAddr,
		"--plugins", cfgPath, "--admin-token", "adm1n", "--nats-credentials", edgeCredentials(t, filepath.Join(dir, "c"), "local"), "--data", t.TempDir())
	waitHealthy(t, edgeAddr)

	put := func(name string, body []byte, sig []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("PUT", "http://"+edgeAddr+"/admin/plugins/"+name, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer adm1n")
		if sig != nil {
			req.Header.Set("X-Kefu-Signature", strings.TrimSpace(string(sig)))
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if len(wasm) < 1<<20 {
		t.Fatalf("pii-redact is %d bytes; the test needs a bundle over the 1 MiB default body limit", len(wasm))
	}
	if code, body := put("pii-redact", wasm, nil); code != 422 || !strings.Contains(body, "unsigned") {
		t.Fatalf("unsigned upload = %d %s, want 422 unsigned (signatures required by default)", code, body)
	}
	other, _ := pluginhost.SignBundle(priv, "order-status", "9.0.0", wasm)
	if code, body := put("pii-redact", wasm, other); code != 422 || !strings.Contains(body, `for plugin \"order-status\"`) {
		t.Fatalf("another plugin's signature = %d %s, want 422", code, body)
	}
	sig, _ := pluginhost.SignBundle(priv, "pii-redact", "1.0.0", wasm)
	if code, body := put("pii-redact", wasm, sig); code != 200 {
		t.Fatalf("signed %d-byte upload = %d %s, want 200", len(wasm), code, body)
	}
	// The server answers 413 from the headers and closes the connection,
	// so the body is never sent (an HTTP client writing it would race the
	// close and see a broken pipe instead of the answer).
	c, err := net.DialTimeout("tcp", edgeAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "POST /w/hits?site=demo HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", edgeAddr, 2<<20)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB to /w/hits = %d, want 413", res.StatusCode)
	}
}
