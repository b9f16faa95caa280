package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/assets/widget"
	"github.com/kefu-io/kefu/internal/browsertest"
)

// TestEndToEnd drives the demo storefront and the agent console in real
// headless chromium against a full in-process stack (issue 3, steps 2–4).
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	requireBuilt(t)
	data := t.TempDir()
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: data, PluginCache: testPluginCache(), AgentPassword: "e2e-secret", Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	shop := browsertest.New(t, 90*time.Second)

	frames := &frameLog{}
	must(t, chromedp.Listen(shop, func(ev any) {
		if f, ok := ev.(*network.EventWebSocketFrameSent); ok {
			frames.add(string(f.Response.PayloadData))
		}
	}))
	must(t, browsertest.Do(shop,
		chromedp.Navigate(s.URL+"/demo/"),
		chromedp.Poll[chromedp.Void](`window.Kefu && window.Kefu.version`, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Evaluate[chromedp.Void](`window.__msgs = []; Kefu.on('message', m => window.__msgs.push(m)); Kefu.open(); true`),
		chromedp.Poll[chromedp.Void](`!!(window.kefuCore && kefuCore.ready)`, chromedp.WithPollingTimeout(30*time.Second)),
	))

	// Step 2: FAQ questions answered in the browser, no frame on the socket.
	// A language's pack is fetched when its first question comes (the
	// page's English one too, since no pack is fetched at open); a question
	// whose pack is not in yet does not wait for it and goes to central, so
	// it is asked again once the core answers it from the pack.
	for _, ask := range []struct{ q, answer string }{
		{"退货政策是什么?", `/[\u4e00-\u9fff]/`}, // the answer of the pack in the question's language
		{"What is your return policy?", `/^You can return/`},
	} {
		q := ask.q
		before := frames.count()
		got := send(t, shop, q)
		if got["source"] != "local" {
			t.Logf("%s: asked before its pack was in; asked again", q)
			waitMessage(t, shop, `m.role === 'bot' && m.source === 'central'`)
			must(t, browsertest.Do(shop, chromedp.Poll[chromedp.Void](ask.answer+`.test((kefuCore.answer(`+strconv.Quote(q)+`) || {}).text)`, chromedp.WithPollingTimeout(30*time.Second))))
			before = frames.count()
			got = send(t, shop, q)
		}
		if got["source"] != "local" || got["role"] != "bot" || got["text"] == "" {
			t.Fatalf("%s: answer %v, want a local bot answer", q, got)
		}
		if sent := frames.since(before); containsAny(sent, q, `"type":"message"`) {
			t.Fatalf("%s: answered locally but frames were sent: %q", q, sent)
		}
	}

	// Step 3: a question the browser cannot answer goes edge → NATS → central.
	pii := "Could you call me on 13812345678 or write to li.lei@example.com about gift engraving?"
	send(t, shop, pii)
	reply := waitMessage(t, shop, `m.role === 'bot' && m.source === 'central'`)
	t.Logf("central answered: %q", reply["text"])
	if !frames.contains("13812345678") {
		t.Log("note: the widget pre-masked the phone before sending")
	}
	checkStoreMasked(t, s.DBPath, "13812345678", "li.lei@example.com")

	// An order question is answered at the edge by the order-status plugin,
	// from the demo store's order API.
	send(t, shop, "Where is my order 12345?")
	order := waitMessage(t, shop, `m.role === 'bot' && m.source === 'edge'`)
	if !strings.Contains(fmt.Sprint(order["text"]), "12345") {
		t.Fatalf("edge answer %q does not name the order", order["text"])
	}

	// Step 4: hand-off; the agent answers from the console.
	send(t, shop, "转人工")
	agentCtx, cancel := chromedp.NewContext(shop, chromedp.WithNewBrowserContext())
	defer cancel()
	agentCtx, cancel = context.WithTimeout(agentCtx, 60*time.Second)
	defer cancel()
	const agentReply = "Hi, this is Mia from the store team — happy to help with the engraving."
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	must(t, browsertest.Do(agentCtx,
		chromedp.Navigate(s.URL+"/console/"),
		chromedp.WaitVisible(css(`#login-email`)),
		chromedp.SendKeys(css(`#login-email`), s.AgentEmail),
		chromedp.SendKeys(css(`#login-password`), s.AgentPassword),
		chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`#list li`)),
		chromedp.Click(css(`#list li`)),
		chromedp.WaitVisible(css(`#messages li`)),
		chromedp.Click(css(`#claim`)),
		chromedp.WaitVisible(css(`#reply-text`)),
		chromedp.SendKeys(css(`#reply-text`), agentReply),
		chromedp.Click(css(`#send`)),
	))
	got := waitMessage(t, shop, `m.role === 'agent'`)
	if got["text"] != agentReply {
		t.Fatalf("shopper saw agent message %q, want %q", got["text"], agentReply)
	}
	screenshot(t, shop, "demo.png")
	screenshot(t, agentCtx, "console.png")
}

// send calls Kefu.send(text) in the page and returns what its promise resolved to.
func send(t *testing.T, ctx context.Context, text string) map[string]any {
	t.Helper()
	q, _ := json.Marshal(text)
	m, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`Kefu.send(`+string(q)+`)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("Kefu.send(%q): %v", text, err)
	}
	return m
}

func waitMessage(t *testing.T, ctx context.Context, cond string) map[string]any {
	t.Helper()
	js := fmt.Sprintf(`window.__msgs.find(m => %s) || null`, cond)
	m, err := chromedp.Run(ctx, chromedp.Poll[map[string]any](js, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		all, _ := chromedp.Run(ctx, chromedp.Evaluate[any](`window.__msgs`))
		t.Fatalf("no message with %s: %v; messages: %v", cond, err, all)
	}
	return m
}

// checkStoreMasked reads central's SQLite files raw: the clear values must
// not be anywhere in them, their placeholders must.
func checkStoreMasked(t *testing.T, db string, clear ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var all []byte
		for _, f := range []string{db, db + "-wal"} {
			b, _ := os.ReadFile(f)
			all = append(all, b...)
		}
		for _, c := range clear {
			if bytes.Contains(all, []byte(c)) {
				t.Fatalf("%q reached the central store in clear text", c)
			}
		}
		if bytes.Contains(all, []byte("[PHONE]")) && bytes.Contains(all, []byte("[EMAIL]")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the masked message ([PHONE], [EMAIL]) never reached the central store")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	time.Sleep(400 * time.Millisecond) // let animations settle
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	must(t, err)
	dir := artifactsDir(t)
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", filepath.Join(dir, name))
}

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("KEFU_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func repoRoot(t *testing.T) string {
	dir, _ := os.Getwd()
	for dir != "/" {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		dir = filepath.Dir(dir)
	}
	t.Fatal("no go.mod above the test")
	return ""
}

// requireBuilt fails when the widget's WASM was not built into the binary.
func requireBuilt(t *testing.T) {
	t.Helper()
	if _, err := widget.FS().Open("kefu.wasm"); err != nil {
		t.Fatal("assets/dist/kefu.wasm is missing: run `make wasm plugins` (make test does) before go test")
	}
}

type frameLog struct {
	mu     sync.Mutex
	frames []string
}

func (f *frameLog) add(s string) { f.mu.Lock(); f.frames = append(f.frames, s); f.mu.Unlock() }
func (f *frameLog) count() int   { f.mu.Lock(); defer f.mu.Unlock(); return len(f.frames) }
func (f *frameLog) since(i int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.frames[i:]...)
}
func (f *frameLog) contains(s string) bool { return containsAny(f.since(0), s) }

func containsAny(frames []string, subs ...string) bool {
	for _, fr := range frames {
		for _, s := range subs {
			if strings.Contains(fr, s) {
				return true
			}
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testPluginCache is wazero's compilation cache shared by the tests of this
// package and their reruns: compiling the built-in plugins is the slowest
// part of starting a stack, and the cache is keyed by module and wazero version.
func testPluginCache() string { return filepath.Join(os.TempDir(), "kefu-test-plugin-cache") }
