package edge_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
)

func TestWidgetRoutes(t *testing.T) {
	widget := fstest.MapFS{
		"kefu.js":      {Data: []byte("console.log('kefu')")},
		"kefu.css":     {Data: []byte(".kefu{}")},
		"kefu.wasm":    {Data: []byte("\x00asm raw")},
		"kefu.wasm.br": {Data: []byte("brotli bytes")},
	}
	demo := fstest.MapFS{"index.html": {Data: []byte("<h1>shop</h1>")}}
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) {
		c.WidgetFS, c.DemoFS = widget, demo
		c.Models = map[string][]byte{"intent": []byte("KMOD1 weights")}
	}})

	tests := []struct {
		name, path, acceptEnc string
		status                int
		body, ctype, encoding string
	}{
		{"loader", "/kefu.js", "", 200, "console.log('kefu')", "text/javascript; charset=utf-8", ""},
		{"css", "/kefu.css", "gzip", 200, ".kefu{}", "text/css; charset=utf-8", ""},
		{"wasm brotli", "/kefu.wasm", "gzip, deflate, br", 200, "brotli bytes", "application/wasm", "br"},
		{"wasm br q=0", "/kefu.wasm", "br;q=0, gzip", 200, "\x00asm raw", "application/wasm", ""},
		{"wasm raw", "/kefu.wasm", "", 200, "\x00asm raw", "application/wasm", ""},
		{"not built", "/wasm_exec.js", "", 404, "", "", ""},
		{"model", "/w/models/intent.kmod?site=demo", "", 200, "KMOD1 weights", "application/octet-stream", ""},
		{"no model", "/w/models/nope.kmod?site=demo", "", 404, "", "", ""},
		{"demo", "/demo/", "", 200, "<h1>shop</h1>", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{}
			if tt.acceptEnc != "" {
				hdr.Set("Accept-Encoding", tt.acceptEnc)
			}
			st, body, rh := h.doFull("GET", tt.path, hdr, "")
			if st != tt.status {
				t.Fatalf("status %d want %d (%s)", st, tt.status, body)
			}
			if tt.status != 200 {
				return
			}
			if string(body) != tt.body {
				t.Fatalf("body %q want %q", body, tt.body)
			}
			if tt.ctype != "" && rh.Get("Content-Type") != tt.ctype {
				t.Fatalf("content-type %q", rh.Get("Content-Type"))
			}
			if rh.Get("Content-Encoding") != tt.encoding {
				t.Fatalf("content-encoding %q want %q", rh.Get("Content-Encoding"), tt.encoding)
			}
			if strings.HasPrefix(tt.path, "/demo") {
				return
			}
			if rh.Get("Cache-Control") == "" || rh.Get("ETag") == "" {
				t.Fatalf("no cache headers: %v", rh)
			}
			// Revalidation answers 304.
			hdr.Set("If-None-Match", rh.Get("ETag"))
			if st, _, _ := h.doFull("GET", tt.path, hdr, ""); st != http.StatusNotModified {
				t.Fatalf("revalidation status %d", st)
			}
		})
	}

	st, body := h.do("GET", "/w/config?site=demo", nil, "")
	if st != 200 {
		t.Fatalf("config %d %s", st, body)
	}
	var sc edge.SiteConfig
	if err := json.Unmarshal([]byte(body), &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Tenant != "demo-tenant" || sc.Region != "eu" || sc.WS != "/ws?site=demo" || sc.MaxText != chat.MaxTextBytes ||
		len(sc.FAQ.Entries) != 1 || !strings.HasPrefix(sc.Models["intent"], "/w/models/intent.kmod?site=demo") {
		t.Fatalf("config %+v", sc)
	}
	// The model URL in the config works as is.
	if st, b := h.do("GET", sc.Models["intent"], nil, ""); st != 200 || b != "KMOD1 weights" {
		t.Fatalf("model via config url: %d %q", st, b)
	}
	// CORS for an allowed origin of a restricted site.
	_, _, rh := h.doFull("GET", "/w/config?site=shop2", http.Header{"Origin": {"https://shop2.example"}}, "")
	if rh.Get("Access-Control-Allow-Origin") != "https://shop2.example" {
		t.Fatalf("CORS header %q", rh.Get("Access-Control-Allow-Origin"))
	}
	if st, _ := h.do("GET", "/w/config?site=shop2", http.Header{"Origin": {"https://evil.example"}}, ""); st != 403 {
		t.Fatalf("evil origin got %d", st)
	}
	if st, _ := h.do("GET", "/ws?site=demo", nil, ""); st != http.StatusUpgradeRequired {
		t.Fatalf("plain GET /ws got %d", st)
	}
}

func TestHits(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	sub, err := h.nc.SubscribeSync(edge.SubjectHitsPrefix + "demo-tenant")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	bad := []struct{ name, body string }{
		{"not json", "hits!"},
		{"empty", `{"hits":[]}`},
		{"no faq or intent", `{"hits":[{"lang":"en"}]}`},
		{"bad visitor", `{"visitor":"a b","hits":[{"faq_id":"x"}]}`},
		{"too many", `{"hits":[` + strings.Repeat(`{"faq_id":"x"},`, 100) + `{"faq_id":"x"}]}`},
		{"too big", `{"hits":[{"faq_id":"` + strings.Repeat("x", 40<<10) + `"}]}`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			st, body := h.do("POST", "/w/hits?site=demo", http.Header{"Content-Type": {"text/plain"}}, tt.body)
			if st/100 != 4 || !strings.Contains(body, `"error"`) {
				t.Fatalf("status %d body %s", st, body)
			}
		})
	}
	st, body := h.do("POST", "/w/hits?site=demo", http.Header{"Content-Type": {"text/plain;charset=UTF-8"}},
		`{"visitor":"v1","hits":[{"faq_id":"return_policy","intent":"return_policy","lang":"en","score":0.93,"at":1700000000000},{"intent":"shipping_time"}]}`)
	if st != http.StatusNoContent {
		t.Fatalf("hits %d %s", st, body)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var rec edge.HitsRecord
	if err := json.Unmarshal(m.Data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Type != "widget.hits" || rec.Tenant != "demo-tenant" || rec.Site != "demo" || rec.Region != "eu" ||
		rec.Visitor != "v1" || len(rec.Hits) != 2 || rec.Hits[0].FAQID != "return_policy" || rec.Hits[0].Score != 0.93 {
		t.Fatalf("record %+v", rec)
	}
	if _, err := sub.NextMsg(50 * time.Millisecond); err != nats.ErrTimeout {
		t.Fatalf("bad batches were forwarded: %v", err)
	}
}
