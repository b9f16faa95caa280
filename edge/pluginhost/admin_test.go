package pluginhost

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAdminHandler(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	cfg := region("p")
	cfg.TrustedKeys = []string{base64.StdEncoding.EncodeToString(pub)}
	cfg.RequireSignature = true
	old := passthrough(t)
	h, _ := testHost(t, cfg, map[string][]byte{"p": old})
	srv := httptest.NewServer(h.AdminHandler("s3cret"))
	defer srv.Close()
	before := h.Versions()["p"]

	next := testPlugin(t, "kitchen")
	sign := func(b []byte) string { return strings.TrimSpace(string(signFile(t, priv, "p", "2", b))) }
	tests := []struct {
		name, method, path, token, sig string
		body                           []byte
		want                           int
		wantBody                       string
	}{
		{"no token", "GET", "/admin/plugins", "", "", nil, 401, "admin token required"},
		{"wrong token", "GET", "/admin/plugins", "nope", "", nil, 401, "admin token required"},
		{"list", "GET", "/admin/plugins", "s3cret", "", nil, 200, before},
		{"unsigned", "PUT", "/admin/plugins/p", "s3cret", "", next, 422, "unsigned"},
		{"bad signature", "PUT", "/admin/plugins/p", "s3cret", sign([]byte("other")), next, 422, "does not verify"},
		{"not wasm", "PUT", "/admin/plugins/p", "s3cret", sign([]byte("hello")), []byte("hello"), 422, "compiling"},
		{"good", "PUT", "/admin/plugins/p", "s3cret", sign(next), next, 200, `"plugin":"p"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			if tt.sig != "" {
				req.Header.Set("X-Kefu-Signature", tt.sig)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body bytes.Buffer
			body.ReadFrom(res.Body)
			if res.StatusCode != tt.want || !strings.Contains(body.String(), tt.wantBody) {
				t.Fatalf("%s %s = %d %s, want %d containing %q", tt.method, tt.path, res.StatusCode, body.String(), tt.want, tt.wantBody)
			}
			if tt.want == 422 && h.Versions()["p"] != before {
				t.Fatal("a refused bundle replaced the running version")
			}
		})
	}
	var got struct{ Plugins map[string]string }
	res, _ := http.Get(srv.URL + "/admin/plugins") // no token: refused
	res.Body.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/admin/plugins", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&got)
	res.Body.Close()
	if got.Plugins["p"] == before || got.Plugins["p"] == "" {
		t.Fatalf("version after upload %q, want a new one (before %q)", got.Plugins["p"], before)
	}
}

func TestAdminHandlerDisabled(t *testing.T) {
	h, _ := testHost(t, region("p"), map[string][]byte{"p": passthrough(t)})
	rec := httptest.NewRecorder()
	h.AdminHandler("").ServeHTTP(rec, httptest.NewRequest("GET", "/admin/plugins", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("disabled admin API answered %d, want 404", rec.Code)
	}
}
