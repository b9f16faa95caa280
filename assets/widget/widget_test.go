package widget_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/kefu-io/kefu/assets/demo"
	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/chat"
	edgepkg "github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/poll"
	"github.com/kefu-io/kefu/internal/wasmbuild"
	"github.com/kefu-io/kefu/models/artifacts"
)

func TestFS(t *testing.T) {
	fsys := widget.FS()
	for _, name := range []string{"kefu.js", "kefu.css"} {
		b, err := fs.ReadFile(fsys, name)
		if err != nil || len(b) < 1000 {
			t.Fatalf("%s: %v (%d bytes)", name, err, len(b))
		}
	}
	for _, name := range []string{"widget.go", "README.md", "dist.go", "nope.js"} {
		if _, err := fs.Stat(fsys, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: got %v, want not exist", name, err)
		}
	}
	list, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range list {
		names[e.Name()] = true
	}
	if !names["kefu.js"] || !names["kefu.css"] || names["dist.go"] {
		t.Fatalf("ReadDir(.) = %v", names)
	}
	page, err := fs.ReadFile(demo.FS(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), `<script src="/kefu.js" data-site="demo" async></script>`); n != 1 {
		t.Fatalf("demo page has %d widget tags, want exactly 1", n)
	}
	for _, name := range []string{"index.html", "demo.css", "demo.js"} {
		b, err := fs.ReadFile(demo.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		if m := external.FindString(string(b)); m != "" {
			t.Errorf("%s references an external resource: %q", name, m)
		}
	}
}

// external matches a reference that would make the browser leave the origin.
var external = regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import|fetch\(\s*["']https?:`)

// fakeEdge is a small but real server for the widget: it serves the real
// assets (and a freshly built kefu.wasm), /w/config with a real FAQ pack,
// records /w/hits, and speaks the WebSocket protocol: welcome, accepted, a
// reply per message, pong, error frames.
type fakeEdge struct {
	mu     sync.Mutex
	frames []chat.Frame // every frame received, in order
	conns  int
	hits   []json.RawMessage
	flaky  map[string]int // message id → times dropped without accepting
	models []string       // model files fetched
	packs  []string       // FAQ pack files fetched
	// holdCore, when set, keeps the WASM core from being served until it
	// is closed (tests of what happens before the core is ready).
	holdCore atomic.Pointer[chan struct{}]
	// holdChunk, when set, keeps the loader's lazily loaded rest
	// (kefu.<H>.<lang>.more.js) from being served until it is closed.
	holdChunk atomic.Pointer[chan struct{}]
	// holdPack, when set, keeps the FAQ packs (/w/faq/…) from being served
	// until it is closed.
	holdPack atomic.Pointer[chan struct{}]
}

// packsFetched lists the FAQ pack files fetched so far, sorted, comma
// separated.
func (e *fakeEdge) packsFetched() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(slices.Sorted(slices.Values(e.packs)), ",")
}

// modelsFetched lists the model files fetched so far, sorted, comma
// separated.
func (e *fakeEdge) modelsFetched() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(slices.Sorted(slices.Values(e.models)), ",")
}

func (e *fakeEdge) received(typ chat.FrameType) []chat.Frame {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []chat.Frame
	for _, f := range e.frames {
		if f.Type == typ {
			out = append(out, f)
		}
	}
	return out
}

func (e *fakeEdge) serveWS(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("site") != "demo" {
		http.Error(w, `{"code":"unknown_site"}`, http.StatusForbidden)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	e.mu.Lock()
	e.conns++
	e.mu.Unlock()
	ctx := r.Context()
	send := func(f chat.Frame) {
		f.V = chat.ProtocolVersion
		b, _ := json.Marshal(f)
		_ = c.Write(ctx, websocket.MessageText, b)
	}
	conv := ""
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		var f chat.Frame
		if err := json.Unmarshal(data, &f); err != nil {
			send(chat.Frame{Type: chat.FrameError, Code: chat.CodeBadFrame, Reason: "not JSON"})
			continue
		}
		e.mu.Lock()
		e.frames = append(e.frames, f)
		e.mu.Unlock()
		switch f.Type {
		case chat.FrameHello:
			conv = f.ConversationID
			if conv == "" {
				conv = chat.NewID()
			}
			send(chat.Frame{Type: chat.FrameWelcome, ConversationID: conv, MaxText: 200})
		case chat.FramePing:
			send(chat.Frame{Type: chat.FramePong, ID: f.ID})
		case chat.FrameMessage:
			switch {
			case strings.Contains(f.Text, "flaky"):
				e.mu.Lock()
				e.flaky[f.ID]++
				n := e.flaky[f.ID]
				e.mu.Unlock()
				if n == 1 {
					return // drop the connection before accepting
				}
			case strings.Contains(f.Text, "forbidden"):
				send(chat.Frame{Type: chat.FrameError, Code: chat.CodeDropped, ID: f.ID, Reason: "refused by a plugin"})
				continue
			case strings.Contains(f.Text, "human please"):
				// Central hands the conversation to a person; nobody types yet.
				send(chat.Frame{Type: chat.FrameAccepted, ID: f.ID, ConversationID: conv})
				send(chat.Frame{Type: chat.FrameEvent, Event: "conversation.handoff", Reason: "asked"})
				continue
			case strings.Contains(f.Text, "cards please"):
				send(chat.Frame{Type: chat.FrameAccepted, ID: f.ID, ConversationID: conv})
				send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Role: chat.RoleBot, Source: chat.SourceCentral, ReplyTo: f.ID,
					Text: "This one?", Products: []chat.Card{{SKU: "TEE-1", Name: "Linen tee", Price: "29.00", Currency: "EUR", Stock: 3, URL: "https://shop.example/tee"}}})
				continue
			case strings.Contains(f.Text, "links please"):
				send(chat.Frame{Type: chat.FrameAccepted, ID: f.ID, ConversationID: conv})
				send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Role: chat.RoleBot, Source: chat.SourceCentral, ReplyTo: f.ID,
					Text: "退货请看这里,https://paypal.com@evil.example/returns 谢谢!<b>bold</b> javascript:alert(1) (7天内)"})
				continue
			}
			send(chat.Frame{Type: chat.FrameAccepted, ID: f.ID, ConversationID: conv})
			send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Role: chat.RoleAgent, Author: "Mia",
				Source: chat.SourceCentral, Text: "Hi, Mia here. You said: " + f.Text, ReplyTo: f.ID})
		}
	}
}

// buildWASMInto builds the widget core into dir and copies wasm_exec.js next to it.
func buildWASMInto(dir string) error {
	// The Makefile's WASM_FLAGS, which shoppers get.
	if err := wasmbuild.BuildCore(context.Background(), filepath.Join(dir, "kefu.wasm"), wasmbuild.CoreFlags...); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "wasm_exec.js"), b, 0o644)
}

// wasmDist is a folder with kefu.wasm built once for all the tests.
var wasmDist = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "kefu-widget-test-")
	if err != nil {
		return "", err
	}
	return dir, buildWASMInto(dir)
})

func newServer(t *testing.T) (*httptest.Server, *fakeEdge) {
	t.Helper()
	dist, err := wasmDist()
	if err != nil {
		t.Fatal(err)
	}
	faq, err := os.ReadFile("../../widget/core/testdata/faq.json")
	if err != nil {
		t.Fatal(err)
	}
	e := &fakeEdge{flaky: map[string]int{}}
	mux := http.NewServeMux()
	bundle, err := widget.Build(widget.FS(), os.DirFS(dist))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range bundle.Assets {
		mux.HandleFunc("GET /"+a.Name, func(w http.ResponseWriter, r *http.Request) {
			for _, hold := range []struct {
				g      *chan struct{}
				suffix string
			}{{e.holdCore.Load(), ".wasm"}, {e.holdChunk.Load(), ".more.js"}} {
				if hold.g != nil && strings.HasSuffix(a.Name, hold.suffix) {
					select {
					case <-*hold.g:
					case <-r.Context().Done():
						return
					}
				}
			}
			w.Header().Set("Content-Type", a.Type)
			_, _ = w.Write(a.Body)
		})
	}
	mux.Handle("GET /demo/", http.StripPrefix("/demo/", http.FileServerFS(demo.FS())))
	var pack chat.FAQPack
	if err := json.Unmarshal(faq, &pack); err != nil {
		t.Fatal(err)
	}
	packs := edgepkg.SplitFAQ(pack)
	packURLs := map[string]string{}
	for l := range packs {
		packURLs[l] = "/w/faq/" + l + ".json?site=demo"
	}
	// The edge's models (artifacts.WidgetModels: langid, the multilingual
	// intent and intent.<lang> per language) and one the widget never uses.
	models := map[string][]byte{"sentiment.kmod": artifacts.Sentiment()}
	modelURLs := map[string]string{"sentiment": "/w/models/sentiment.kmod?site=demo"}
	for name, b := range artifacts.WidgetModels() {
		models[name+".kmod"] = b
		modelURLs[name] = "/w/models/" + name + ".kmod?site=demo"
	}
	mux.HandleFunc("GET /w/config", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("site") != "demo" {
			http.Error(w, `{"code":"unknown_site"}`, http.StatusForbidden)
			return
		}
		config := map[string]any{"v": 1, "site": "demo", "ws": "/ws?site=demo", "hits": "/w/hits?site=demo", "max_text": 200,
			"models": modelURLs, "faq_packs": packURLs}
		// The edge's suggestions of the UI language (edge.Suggest).
		if l := r.URL.Query().Get("lang"); len(edgepkg.Suggest(packs[l], l, edgepkg.SuggestN)) > 0 {
			config["lang"], config["suggest"] = l, edgepkg.Suggest(packs[l], l, edgepkg.SuggestN)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(config)
	})
	mux.HandleFunc("GET /w/faq/{file}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := packs[strings.TrimSuffix(r.PathValue("file"), ".json")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		e.mu.Lock()
		e.packs = append(e.packs, r.PathValue("file"))
		e.mu.Unlock()
		if hold := e.holdPack.Load(); hold != nil {
			select {
			case <-*hold:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p)
	})
	mux.HandleFunc("GET /w/models/{file}", func(w http.ResponseWriter, r *http.Request) {
		b, ok := models[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		e.mu.Lock()
		e.models = append(e.models, r.PathValue("file"))
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("POST /w/hits", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.hits = append(e.hits, b)
		e.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /ws", e.serveWS)
	// Test pages: a strict Content-Security-Policy on csp.html (README, "Content-Security-Policy").
	pages := http.StripPrefix("/pages/", http.FileServerFS(os.DirFS("testdata/pages")))
	mux.HandleFunc("GET /pages/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/csp.html") {
			w.Header().Set("Content-Security-Policy", StrictCSP)
		}
		pages.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, e
}

func browser(t *testing.T) context.Context { return browsertest.New(t, 90*time.Second) }

type jsMsg struct {
	ID     string `json:"id"`
	Role   string `json:"role"`
	Text   string `json:"text"`
	Source string `json:"source"`
	FAQID  string `json:"faqId"`
	Author string `json:"author"`
}

func TestWidgetInBrowser(t *testing.T) {
	srv, edge := newServer(t)
	ctx := browser(t)
	err := browsertest.Do(ctx,
		chromedp.Navigate(srv.URL+"/demo/"),
		chromedp.Poll[chromedp.Void](`window.Kefu && typeof Kefu.send === 'function'`),
		chromedp.Evaluate[chromedp.Void](`window.__msgs = []; Kefu.on('message', m => __msgs.push(m)); Kefu.open()`),
		// The core loads in the background; wait until it registered.
		chromedp.Poll[chromedp.Void](`!!(window.kefuCore && kefuCore.ready)`, chromedp.WithPollingTimeout(30*time.Second)),
	)
	if err != nil {
		t.Fatal(err)
	}
	typeKey(t, ctx, "W") // the English pack and intent pair come at the first keystroke

	t.Run("models load in the background", func(t *testing.T) {
		poll.Until(t, 20*time.Second, func() error {
			intent, err := eval[string](ctx, `kefuCore.analyze("I want to talk to a human agent").intent`)
			if err != nil || intent != "human_agent" { // the shipped product intent set (models/data/intent)
				return fmt.Errorf("intent model not in use: %q %v", intent, err)
			}
			return nil
		})
		// The page is English: langid and the English intent model pair
		// only.
		poll.Until(t, 10*time.Second, func() error {
			if got := edge.modelsFetched(); got != "intent.en.2.kmod,intent.en.kmod,langid.kmod" {
				return fmt.Errorf("models fetched: %s (want langid and the pair intent.en, intent.en.2 only)", got)
			}
			return nil
		})
		// The core averages the pair: intent.en alone says product_info
		// (0.50), the pair warranty (0.52).
		poll.Until(t, 10*time.Second, func() error {
			const text = "does the smartwatch come with a warranty card and charger in the box"
			if intent, err := eval[string](ctx, `kefuCore.analyze(`+strconv.Quote(text)+`).intent`); err != nil || intent != "warranty" {
				return fmt.Errorf("%q: intent %q %v, want the pair's warranty", text, intent, err)
			}
			return nil
		})
	})

	t.Run("the core answers through its exports", func(t *testing.T) {
		// more.js binds kefuCore.answer and .analyze over widget/wasm's
		// kefu_io and kefu_ask: the question and the result in the core's
		// memory. Every field comes back, a question in UTF-8 too, and one over
		// the core's limit or not a string gets no answer.
		got, err := eval[map[string]any](ctx, `(() => {
			const a = kefuCore.answer("What is your return policy?");
			const o = kefuCore.analyze("where is my order 10023"), long = "a".repeat(5000);
			return {lang: a.lang, faq: a.faqId, text: a.text.slice(0, 14), score: a.score > 0 && a.score <= 1, order: a.orderSpecific,
				zh: kefuCore.analyze("请问你们的退货政策是什么？").lang, oOrder: o.orderSpecific, oText: 'text' in o, oIntent: typeof o.intent,
				long: kefuCore.answer(long), longLang: kefuCore.analyze(long).lang, num: kefuCore.answer(42),
				again: kefuCore.answer("What is your return policy?").text === a.text};
		})()`)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"lang": "en", "faq": "return_policy", "text": "You can return", "score": true, "order": false,
			"zh": "zh", "oOrder": true, "oText": false, "oIntent": "string", "long": nil, "longLang": "", "num": nil, "again": true}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %#v, want %#v (all: %v)", k, got[k], v, got)
			}
		}
	})

	t.Run("local answers send no frame", func(t *testing.T) {
		// The Chinese pack in (a question in a language whose pack is not
		// does not wait for it: TestOtherLanguageDoesNotWaitForItsPack),
		// the labels back in English for the next subtest.
		err := browsertest.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`Kefu.setLanguage('zh-CN')`, chromedp.EvalAwaitPromise),
			chromedp.Poll[chromedp.Void](`/[\u4e00-\u9fff]/.test((kefuCore.answer("退货政策是什么?") || {}).text)`, chromedp.WithPollingTimeout(30*time.Second)),
			chromedp.Evaluate[chromedp.Void](`Kefu.setLanguage('en')`, chromedp.EvalAwaitPromise),
			chromedp.Poll[chromedp.Void](`Kefu.lang() === 'en'`, chromedp.WithPollingTimeout(10*time.Second)),
		)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct{ text, want string }{
			{"What is your return policy?", "You can return"},
			{"退货政策是什么?", "收货后30天内"},
		} {
			m, err := eval[jsMsg](ctx, `Kefu.send(`+jsString(q.text)+`)`)
			if err != nil {
				t.Fatal(err)
			}
			if m.Source != "local" || m.Role != "bot" || m.FAQID != "return_policy" || !strings.HasPrefix(m.Text, q.want) {
				t.Fatalf("send(%q) = %+v", q.text, m)
			}
		}
		if n := len(edge.received(chat.FrameMessage)); n != 0 {
			t.Fatalf("%d message frames sent for local answers", n)
		}
		// The shopper wrote Chinese: the Chinese intent model pair came
		// with its pack (zh-CN and zh-TW share intent.zh), and no other.
		poll.Until(t, 10*time.Second, func() error {
			if got := edge.modelsFetched(); got != "intent.en.2.kmod,intent.en.kmod,intent.zh.2.kmod,intent.zh.kmod,langid.kmod" {
				return fmt.Errorf("models fetched: %s (want langid and the pairs intent.en and intent.zh)", got)
			}
			return nil
		})
		// Hits go by beacon, never on the socket.
		if _, err := eval[bool](ctx, `dispatchEvent(new Event('pagehide'))`); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 5*time.Second, func() error {
			edge.mu.Lock()
			defer edge.mu.Unlock()
			if len(edge.hits) == 0 || !strings.Contains(string(edge.hits[0]), `"faq_id":"return_policy"`) {
				return errors.New("no hits beacon with return_policy")
			}
			return nil
		})
	})

	t.Run("labels follow the shopper's language", func(t *testing.T) {
		// The Chinese question above switched the widget's labels to Chinese.
		poll.Until(t, 10*time.Second, func() error {
			got, err := eval[[]string](ctx, `[Kefu.lang(), document.getElementById('kefu-widget').shadowRoot.querySelector('textarea').placeholder,
				document.getElementById('kefu-widget').getAttribute('lang')]`)
			if err != nil || len(got) != 3 || got[0] != "zh-CN" || got[1] != "输入消息…" || got[2] != "zh-CN" {
				return fmt.Errorf("labels %q %v", got, err)
			}
			return nil
		})
	})

	t.Run("remote message is accepted and answered", func(t *testing.T) {
		m, err := eval[jsMsg](ctx, `Kefu.send("Where is my order 12345678?")`)
		if err != nil {
			t.Fatal(err)
		}
		if m.Role != "shopper" || m.Source != "edge" || !chat.ValidID(m.ID) || len(m.ID) != chat.IDLen {
			t.Fatalf("accepted message = %+v", m)
		}
		msgs := edge.received(chat.FrameMessage)
		if len(msgs) != 1 || msgs[0].ID != m.ID || msgs[0].Lang != "en" || msgs[0].Context["url"] == "" || msgs[0].Context["sku"] != "AUR-STORM-M-BLU" {
			t.Fatalf("frames = %+v", msgs)
		}
		hello := edge.received(chat.FrameHello)
		if len(hello) != 1 || hello[0].Site != "demo" || hello[0].Visitor == "" {
			t.Fatalf("hello = %+v", hello)
		}
		poll.Until(t, 10*time.Second, func() error {
			agent, err := eval[[]jsMsg](ctx, `__msgs.filter(m => m.role === 'agent')`)
			if err != nil {
				return err
			}
			if len(agent) != 1 || agent[0].Source != "central" || agent[0].Author != "Mia" {
				return errors.New("agent reply not rendered")
			}
			if len(edge.received(chat.FrameAck)) != 1 || edge.received(chat.FrameAck)[0].ID != agent[0].ID {
				return errors.New("reply not acked")
			}
			return nil
		})
	})

	t.Run("refused and oversized messages", func(t *testing.T) {
		type result struct {
			Code string `json:"code"`
		}
		res, err := eval[result](ctx, `Kefu.send("this is forbidden").then(() => ({code: "resolved"}), e => ({code: e.code}))`)
		if err != nil || res.Code != chat.CodeDropped {
			t.Fatalf("forbidden: %v %+v", err, res)
		}
		// welcome said max_text 200: refused in the browser, before any frame.
		before := len(edge.received(chat.FrameMessage))
		res, err = eval[result](ctx, `Kefu.send("x".repeat(201)).then(() => ({code: "resolved"}), e => ({code: e.code}))`)
		if err != nil || res.Code != chat.CodeTooLarge {
			t.Fatalf("too large: %v %+v", err, res)
		}
		if after := len(edge.received(chat.FrameMessage)); after != before {
			t.Fatalf("oversized message was sent")
		}
		notes, _ := eval[[]string](ctx, `[...document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.system')].map(e => e.textContent)`)
		// The labels follow the shopper's language: the English order question switched them back.
		if len(notes) < 2 || !strings.Contains(strings.Join(notes, "|"), "too long") {
			t.Fatalf("polite notes = %q", notes)
		}
	})

	t.Run("resend after reconnect keeps the id", func(t *testing.T) {
		m, err := eval[jsMsg](ctx, `Kefu.send("a flaky connection")`)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, f := range edge.received(chat.FrameMessage) {
			if strings.Contains(f.Text, "flaky") {
				ids = append(ids, f.ID)
			}
		}
		if len(ids) != 2 || ids[0] != ids[1] || ids[0] != m.ID {
			t.Fatalf("flaky message ids = %v, accepted %q", ids, m.ID)
		}
		hello := edge.received(chat.FrameHello)
		last := hello[len(hello)-1]
		if len(hello) < 2 || last.ConversationID == "" || last.ConversationID != hello[0].ConversationID && hello[0].ConversationID != "" || last.ResumeAfter == "" {
			t.Fatalf("resume hello = %+v", last)
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		// A fresh visitor: clear the stored conversation and reload.
		err := browsertest.Do(ctx,
			chromedp.Evaluate[chromedp.Void](`localStorage.clear()`),
			chromedp.Reload(),
			chromedp.Poll[chromedp.Void](`window.Kefu && typeof Kefu.send === 'function'`),
			chromedp.Evaluate[chromedp.Void](`Kefu.open()`),
			chromedp.Poll[chromedp.Void](`!!(window.kefuCore && kefuCore.ready)`, chromedp.WithPollingTimeout(30*time.Second)),
		)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"What is your return policy?", "退货政策是什么?", "Can I get this by Friday? My number is 13812345678"} {
			if _, err := eval[jsMsg](ctx, `Kefu.send(`+jsString(q)+`)`); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(600 * time.Millisecond) // let the entry animation finish
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		dir := os.Getenv("KEFU_ARTIFACTS")
		if dir == "" {
			dir = t.TempDir()
		}
		if err := os.WriteFile(filepath.Join(dir, "widget-demo.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

// TestOtherLanguageDoesNotWaitForItsPack: a question in a language whose
// FAQ pack the page does not hold yet goes over the WebSocket at once (it
// resolves while the pack is held back), the pack loads meanwhile, and the
// same question is answered in the browser once it is in.
func TestOtherLanguageDoesNotWaitForItsPack(t *testing.T) {
	srv, edge := newServer(t)
	ctx := browser(t)
	// The English pack (the page's language) is in: an English question is local.
	openWithEnglishPack(t, ctx, srv.URL+"/demo/")
	hold := make(chan struct{})
	edge.holdPack.Store(&hold)
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	const q = "退货政策是什么?"
	before := len(edge.received(chat.FrameMessage))
	m, err := eval[jsMsg](ctx, `Kefu.send(`+jsString(q)+`)`)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "edge" || m.Role != "shopper" {
		t.Fatalf("asked while the zh pack was held: %+v, want it sent over the WebSocket", m)
	}
	if got := edge.received(chat.FrameMessage); len(got) != before+1 || got[len(got)-1].Text != q {
		t.Fatalf("message frames %+v, want the question", got[before:])
	}
	// The pack was asked for while the question went out.
	poll.Until(t, 20*time.Second, func() error {
		edge.mu.Lock()
		defer edge.mu.Unlock()
		if !slices.Contains(edge.packs, "zh.json") {
			return fmt.Errorf("packs fetched %v, want zh.json", edge.packs)
		}
		return nil
	})
	release()
	if err := browsertest.Do(ctx, chromedp.Poll[chromedp.Void](`/[\u4e00-\u9fff]/.test((kefuCore.answer(`+jsString(q)+`) || {}).text)`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("zh pack never reached the core: %v", err)
	}
	before = len(edge.received(chat.FrameMessage))
	m, err = eval[jsMsg](ctx, `Kefu.send(`+jsString(q)+`)`)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != "local" || m.FAQID != "return_policy" || !strings.HasPrefix(m.Text, "收货后30天内") {
		t.Fatalf("asked again with the pack in: %+v, want the local Chinese answer", m)
	}
	if n := len(edge.received(chat.FrameMessage)); n != before {
		t.Fatalf("%d message frames for a local answer", n-before)
	}
}

// TestLocalAnswerCallbacksFirst: a local answer's message callbacks (the
// question's, then the answer's) run before their rows are drawn — the
// page's send → callback time is the core's, not the rendering's — and a
// question sent from inside such a callback is answered after them, its
// rows after theirs.
func TestLocalAnswerCallbacksFirst(t *testing.T) {
	srv, _ := newServer(t)
	ctx := browser(t)
	openWithEnglishPack(t, ctx, srv.URL+"/demo/")
	got, err := eval[map[string]any](ctx, `(async () => {
		const w = document.getElementById('kefu-widget').shadowRoot, seen = [];
		let again = null;
		const cb = m => {
			seen.push(m.role + ':' + (w.querySelector('[data-id="' + m.id + '"]') ? 'row' : 'none'));
			if (m.role === 'bot' && !again) again = Kefu.send("Which payment methods do you accept?");
		};
		Kefu.on('message', cb);
		const a = await Kefu.send("What is your return policy?");
		const b = await again;
		Kefu.off('message', cb);
		const ids = [...w.querySelectorAll('.row')].map(r => r.getAttribute('data-id'));
		const at = id => ids.indexOf(id);
		return {seen: seen.join(','), sources: a.source + ',' + b.source,
			order: [a.question.id, a.id, b.question.id, b.id].map(at).join(',') === [0, 1, 2, 3].map(i => ids.length - 4 + i).join(',')};
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	if got["seen"] != "shopper:none,bot:none,shopper:none,bot:none" || got["sources"] != "local,local" || got["order"] != true {
		t.Fatalf("callbacks and rows: %v", got)
	}
}

// openWithEnglishPack opens the page at url and the chat, and waits until
// the core is ready and answers an English FAQ question (the page's pack).
func openWithEnglishPack(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	open(t, ctx, url)
	if _, err := eval[bool](ctx, `Kefu.open(), true`); err != nil {
		t.Fatal(err)
	}
	waitCore(t, ctx)
	typeKey(t, ctx, "W")
	poll.Until(t, 20*time.Second, func() error {
		if ok, err := eval[bool](ctx, `!!(kefuCore.answer("What is your return policy?") || {}).text`); err != nil || !ok {
			return fmt.Errorf("English pack not in the core yet (%v)", err)
		}
		return nil
	})
}

// eval runs a script in the page, awaits it if it returns a promise, and
// decodes the result into T.
func eval[T any](ctx context.Context, expr string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestNewAnswerInView: after each answer's frame the whole answer is in
// view at the bottom of the log, however fast the questions come. The log
// scrolls to a new message at once: with the smooth scroll it had until 5
// December, each message restarted a scroll animation that redrew the log
// at every frame for a few hundred ms beside the next question, and forty
// quick answers left the log thousands of pixels short of the newest one.
func TestNewAnswerInView(t *testing.T) {
	srv, _ := newServer(t)
	ctx := browser(t)
	openWithEnglishPack(t, ctx, srv.URL+"/demo/")
	got, err := eval[map[string]any](ctx, `(async () => {
		const w = document.getElementById('kefu-widget').shadowRoot, log = w.querySelector('.log');
		const painted = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
		const short = [];
		for (let i = 0; i < 40; i++) {
			const a = await Kefu.send(i % 2 ? "What is your return policy?" : "Which payment methods do you accept?");
			await painted(); await painted();
			const row = w.querySelector('[data-id="' + a.id + '"]').getBoundingClientRect(), box = log.getBoundingClientRect();
			const left = log.scrollHeight - log.scrollTop - log.clientHeight;
			if (a.source !== "local" || row.bottom > box.bottom + 1 || left > 1) short.push(i + ":" + a.source + ":" + Math.round(left) + "px");
		}
		return {short: short.join(","), scroll: getComputedStyle(log).scrollBehavior};
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	if got["short"] != "" || got["scroll"] != "auto" {
		t.Fatalf("answers not fully in view after their frame (question:source:pixels left to scroll): %q; the log's scroll-behavior %v", got["short"], got["scroll"])
	}
}

// typeKey types text into the widget's input as a keyboard would (its
// input event; no composition), then empties the input again.
func typeKey(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	if err := browsertest.Do(ctx, chromedp.Poll[chromedp.Void](shadow(`!!w.querySelector('textarea')`))); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](ctx, shadow(`(() => { const i = w.querySelector('textarea'); i.value = `+jsString(text)+`;
		i.dispatchEvent(new InputEvent('input', {bubbles: true, data: `+jsString(text)+`, inputType: 'insertText'})); i.value = ''; return true; })()`)); err != nil {
		t.Fatal(err)
	}
}

// TestPackOfTheTypedScript: the chips under the greeting come with
// /w/config (&lang=, no FAQ pack fetched at open), and the first
// keystroke fetches the pack and the intent pair of the language its
// writing system says (the page's for Latin text) and no other; a shopper
// who writes Chinese on the English page from the first question on
// (Kefu.send, no keystroke) fetches no English pack nor pair either.
func TestPackOfTheTypedScript(t *testing.T) {
	tests := []struct {
		name, text, send, packs, models string
	}{
		{"latin keeps the page's", "Wh", "", "en.json", "intent.en.2.kmod,intent.en.kmod,langid.kmod"},
		{"han", "退", "", "zh.json", "intent.zh.2.kmod,intent.zh.kmod,langid.kmod"},
		{"kana", "へ", "", "ja.json", "intent.ja.2.kmod,intent.ja.kmod,langid.kmod"},
		{"first question in Chinese", "", "退货政策是什么?", "zh.json", "intent.zh.2.kmod,intent.zh.kmod,langid.kmod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, edge := newServer(t)
			ctx := browser(t)
			open(t, ctx, srv.URL+"/demo/")
			if _, err := eval[bool](ctx, `Kefu.open(), true`); err != nil {
				t.Fatal(err)
			}
			poll.Until(t, 10*time.Second, func() error {
				got, err := eval[[]string](ctx, shadow(`[...w.querySelectorAll('.chips .chip')].map(b => b.textContent)`))
				if err != nil || strings.Join(got, "|") != "What is your return policy?|How long does shipping take?|How much is shipping?" {
					return fmt.Errorf("chips %q %v, want the config's three English suggestions", got, err)
				}
				return nil
			})
			waitCore(t, ctx)
			time.Sleep(300 * time.Millisecond) // anything fetched at open is in by now
			if got := edge.packsFetched(); got != "" {
				t.Fatalf("packs fetched before the shopper typed: %s", got)
			}
			if tt.text != "" {
				typeKey(t, ctx, tt.text)
			} else if _, err := eval[jsMsg](ctx, `Kefu.send(`+jsString(tt.send)+`)`); err != nil {
				t.Fatal(err)
			}
			poll.Until(t, 20*time.Second, func() error {
				if got := edge.modelsFetched(); got != tt.models {
					return fmt.Errorf("models fetched: %s, want %s", got, tt.models)
				}
				return nil
			})
			time.Sleep(300 * time.Millisecond)
			if got := edge.packsFetched(); got != tt.packs {
				t.Fatalf("packs fetched: %s, want %s", got, tt.packs)
			}
		})
	}
}
