package edge_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
)

func TestWidgetRoutes(t *testing.T) {
	big := strings.Repeat("console.log('kefu widget loader');\n", 200)
	wasm := "\x00asm" + strings.Repeat("\x01\x02 core ", 300)
	widget := fstest.MapFS{
		"kefu.js":      {Data: []byte(big)},
		"kefu.css":     {Data: []byte(".kefu{}")},
		"kefu.wasm":    {Data: []byte(wasm)},
		"kefu.wasm.br": {Data: []byte("stale brotli bytes of another build")},
	}
	demo := fstest.MapFS{"index.html": {Data: []byte("<h1>shop</h1>")}}
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) {
		c.WidgetFS, c.DemoFS = widget, demo
		c.Models = map[string][]byte{"intent": []byte(strings.Repeat("KMOD1 weights ", 100))}
	}})

	tests := []struct {
		name, path, acceptEnc string
		status                int
		body, ctype, encoding string
	}{
		{"loader brotli", "/kefu.js", "gzip, deflate, br", 200, big, "text/javascript; charset=utf-8", "br"},
		{"loader gzip", "/kefu.js", "gzip, deflate", 200, big, "text/javascript; charset=utf-8", "gzip"},
		{"loader raw", "/kefu.js", "", 200, big, "text/javascript; charset=utf-8", ""},
		{"tiny css stays raw", "/kefu.css", "gzip, br", 200, ".kefu{}", "text/css; charset=utf-8", ""},
		{"wasm brotli (stale copy ignored)", "/kefu.wasm", "gzip, deflate, br", 200, wasm, "application/wasm", "br"},
		{"wasm br q=0", "/kefu.wasm", "br;q=0, gzip", 200, wasm, "application/wasm", "gzip"},
		{"wasm raw", "/kefu.wasm", "identity", 200, wasm, "application/wasm", ""},
		{"not built", "/wasm_exec.js", "", 404, "", "", ""},
		{"model", "/w/models/intent.kmod?site=demo", "br", 200, strings.Repeat("KMOD1 weights ", 100), "application/octet-stream", "br"},
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
			if got := decode(t, rh.Get("Content-Encoding"), body); got != tt.body {
				t.Fatalf("body %.60q want %.60q", got, tt.body)
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
	// The config is sent compressed as the client accepts, the same JSON.
	for _, tt := range []struct{ accept, encoding string }{
		{"gzip, deflate, br", "br"}, {"gzip, deflate", "gzip"}, {"br;q=0, gzip", "gzip"}, {"", ""}, {"identity", ""},
	} {
		hdr := http.Header{}
		if tt.accept != "" {
			hdr.Set("Accept-Encoding", tt.accept)
		}
		st, b, rh := h.doFull("GET", "/w/config?site=demo", hdr, "")
		if st != 200 || rh.Get("Content-Encoding") != tt.encoding || !strings.Contains(rh.Get("Vary"), "Accept-Encoding") ||
			rh.Get("Content-Type") != "application/json" || rh.Get("Cache-Control") != "max-age=5" {
			t.Fatalf("config with Accept-Encoding %q: %d %v", tt.accept, st, rh)
		}
		if got := decode(t, tt.encoding, b); got != body {
			t.Fatalf("config with Accept-Encoding %q decodes to %q, want %q", tt.accept, got, body)
		}
	}
	var sc edge.SiteConfig
	if err := json.Unmarshal([]byte(body), &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Tenant != "demo-tenant" || sc.Region != "eu" || sc.WS != "/ws?site=demo" || sc.MaxText != chat.MaxTextBytes ||
		len(sc.FAQPacks) != 2 || !strings.HasPrefix(sc.FAQPacks["en"], "/w/faq/en.json?site=demo&v=") ||
		!strings.HasPrefix(sc.Models["intent"], "/w/models/intent.kmod?site=demo&v=") {
		t.Fatalf("config %+v", sc)
	}
	// The model and pack URLs in the config work as they are, cacheable forever.
	_, b, rh := h.doFull("GET", sc.Models["intent"], nil, "")
	if !strings.HasPrefix(string(b), "KMOD1 weights") || !strings.Contains(rh.Get("Cache-Control"), "immutable") {
		t.Fatalf("model via config url: %.20q %q", b, rh.Get("Cache-Control"))
	}
	_, b, rh = h.doFull("GET", sc.FAQPacks["zh"], nil, "")
	var zh chat.FAQPack
	if err := json.Unmarshal(b, &zh); err != nil || len(zh.Entries) != 1 || zh.Entries[0].Questions["en"] != nil ||
		len(zh.Entries[0].Questions["zh"]) != 1 || !strings.Contains(rh.Get("Cache-Control"), "immutable") {
		t.Fatalf("zh pack %s %v (%q)", b, err, rh.Get("Cache-Control"))
	}
	// &lang= of a pack language adds that language's suggestions (and
	// only then: any other value gets the plain config).
	for _, tt := range []struct{ lang, want string }{{"zh", "退货政策是什么?"}, {"en", "What is your return policy?"}, {"xx", ""}, {"zh", "退货政策是什么?"}} {
		_, b, _ := h.doFull("GET", "/w/config?site=demo&lang="+tt.lang, nil, "")
		var sc edge.SiteConfig
		if err := json.Unmarshal(b, &sc); err != nil || strings.Join(sc.Suggest, "|") != tt.want || (tt.want != "") != (sc.Lang == tt.lang) || len(sc.FAQPacks) != 2 {
			t.Fatalf("config &lang=%s: %s %v", tt.lang, b, err)
		}
	}
	if st, _ := h.do("GET", "/w/faq/xx.json?site=demo", nil, ""); st != 404 {
		t.Fatalf("unknown pack language got %d", st)
	}
	// CORS for an allowed origin of a restricted site.
	_, _, rh = h.doFull("GET", "/w/config?site=shop2", http.Header{"Origin": {"https://shop2.example"}}, "")
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

// TestWidgetBuildCopies: the copies `make wasm` left in z/ (named by the
// SHA-256 of the file, checked by the build) are served byte for byte, not
// made again at start-up; a file without copies is compressed at start-up.
func TestWidgetBuildCopies(t *testing.T) {
	wasm := []byte("\x00asm" + strings.Repeat("\x01\x02 core ", 300))
	glue := []byte(strings.Repeat("// wasm_exec glue\n", 100))
	var br, gz bytes.Buffer
	bw := brotli.NewWriterLevel(&br, 1) // not the edge's own level 11
	_, _ = bw.Write(wasm)
	_ = bw.Close()
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	_, _ = gw.Write(wasm)
	_ = gw.Close()
	fsys := fstest.MapFS{
		"kefu.js":                          {Data: []byte(strings.Repeat("console.log('kefu');\n", 100))},
		"kefu.wasm":                        {Data: wasm},
		"wasm_exec.js":                     {Data: glue},
		widget.CompressedName(wasm, ".br"): {Data: br.Bytes()},
		widget.CompressedName(wasm, ".gz"): {Data: gz.Bytes()},
	}
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.WidgetFS = fsys }})
	for _, tt := range []struct {
		path, accept, encoding string
		want                   []byte // the bytes on the wire; nil: any encoding of the file
	}{
		{"/kefu.wasm", "br", "br", br.Bytes()},
		{"/kefu.wasm", "gzip", "gzip", gz.Bytes()},
		{"/wasm_exec.js", "br", "br", nil},
	} {
		st, body, rh := h.doFull("GET", tt.path, http.Header{"Accept-Encoding": {tt.accept}}, "")
		if st != 200 || rh.Get("Content-Encoding") != tt.encoding {
			t.Fatalf("%s with %s: %d, encoding %q", tt.path, tt.accept, st, rh.Get("Content-Encoding"))
		}
		if tt.want != nil && !bytes.Equal(body, tt.want) {
			t.Errorf("%s with %s: %d bytes, not the build's copy of %d", tt.path, tt.accept, len(body), len(tt.want))
		}
		if tt.want == nil && decode(t, tt.encoding, body) != string(glue) {
			t.Errorf("%s with %s does not decode to the file", tt.path, tt.accept)
		}
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

// decode undoes a Content-Encoding.
func decode(t *testing.T, enc string, body []byte) string {
	t.Helper()
	var r io.Reader
	switch enc {
	case "":
		return string(body)
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "gzip":
		gr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = gr
	default:
		t.Fatalf("unknown encoding %q", enc)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s: %v", enc, err)
	}
	return string(b)
}

// TestHitsReportLocalAnswers: a hit that carries the question and the
// widget's answer reaches central on JetStream (the question through the
// plugins, the answer in local_answer_* labels); the analytics record never
// holds the texts; a half-filled report is refused.
func TestHitsReportLocalAnswers(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	sub, err := h.nc.SubscribeSync(edge.SubjectHitsPrefix + "demo-tenant")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"visitor":"v1","hits":[{"faq_id":"x","question":"q?","conversation_id":"c1"}]}`,
		`{"visitor":"v1","hits":[{"faq_id":"x","id":"q1","answer_id":"q1","question":"q?","answer":"a","conversation_id":"c1"}]}`,
		`{"hits":[{"faq_id":"x","id":"q1","answer_id":"a1","question":"q?","answer":"a","conversation_id":"c1"}]}`,
	} {
		if st, body := h.do("POST", "/w/hits?site=demo", nil, bad); st != http.StatusBadRequest {
			t.Fatalf("%s: %d %s", bad, st, body)
		}
	}
	st, body := h.do("POST", "/w/hits?site=demo", nil, `{"visitor":"v1","hits":[{"faq_id":"return_policy","lang":"en","score":0.9,
		"conversation_id":"c1","id":"q1","question":"What is your return policy?","answer_id":"a1","answer":"30 days, free returns."}]}`)
	if st != http.StatusNoContent {
		t.Fatalf("report %d %s", st, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := h.resp.WaitInbound(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	env := got[0]
	if env.Message.ID != "q1" || env.Message.Text != "What is your return policy?" || env.Message.ConversationID != "c1" || env.Visitor != "v1" ||
		env.Label(chat.LabelLocalAnswerID) != "a1" || env.Label(chat.LabelLocalAnswerText) != "30 days, free returns." || env.Label(chat.LabelLocalAnswerFAQ) != "return_policy" ||
		env.Label(chat.LabelLocalAnswerScore) != "0.900" {
		t.Fatalf("envelope %+v", env)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(m.Data), "return policy?") || strings.Contains(string(m.Data), "30 days") {
		t.Fatalf("analytics record carries texts: %s", m.Data)
	}
}
