package widget_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/poll"
)

// StrictCSP is the policy the widget works under, as README documents it
// for a merchant whose edge is the page's own origin ('self'); with an edge
// elsewhere, its origin takes the place of 'self' in script-src, style-src
// and connect-src (https://EDGE and wss://EDGE).
const StrictCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; img-src 'self' https: data:"

// shadow evaluates expr with w bound to the widget's shadow root.
func shadow(expr string) string {
	return `(() => { const w = document.getElementById('kefu-widget').shadowRoot; return (` + expr + `); })()`
}

func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	err := browsertest.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Poll[chromedp.Void](`window.Kefu && Kefu.version === '2' && !!document.getElementById('kefu-widget')`, chromedp.WithPollingTimeout(20*time.Second)),
	)
	if err != nil {
		t.Fatal(err)
	}
}

func waitCore(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := browsertest.Do(ctx, chromedp.Poll[chromedp.Void](`!!(window.kefuCore && kefuCore.ready)`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatal(err)
	}
}

// TestRoughEdges: each rough edge of issue 13, fixed, in one session.
func TestRoughEdges(t *testing.T) {
	srv, e := newServer(t)
	hold := make(chan struct{})
	e.holdCore.Store(&hold)
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	ctx := browser(t)
	open(t, ctx, srv.URL+"/demo/")
	if _, err := eval[bool](ctx, `Kefu.open(), true`); err != nil {
		t.Fatal(err)
	}
	t.Run("chips under the greeting, which is no instant answer", func(t *testing.T) {
		poll.Until(t, 10*time.Second, func() error {
			got, err := eval[[]string](ctx, shadow(`[...w.querySelector('.log').children].map(e => e.className + (e.dataset.id ? '#' + e.dataset.id : ''))`))
			if err != nil || len(got) < 2 || got[0] != "row bot#greet" || got[1] != "chips" {
				return fmt.Errorf("log children %q %v", got, err)
			}
			return nil
		})
		if n, _ := eval[int](ctx, shadow(`w.querySelector('[data-id="greet"] .instant') ? 1 : 0`)); n != 0 {
			t.Fatal("the greeting is labelled as an instant answer")
		}
	})
	t.Run("the first question goes over the WebSocket before the core is ready", func(t *testing.T) {
		got, err := eval[map[string]any](ctx, `(async () => { const core = !!window.kefuCore; const m = await Kefu.send("What is your return policy?"); return {core, source: m.source}; })()`)
		if err != nil || got["core"] != false || got["source"] != "edge" {
			t.Fatalf("first question %v %v", got, err)
		}
	})
	release()
	waitCore(t, ctx)
	t.Run("too long: no Retry that can never succeed", func(t *testing.T) {
		if _, err := eval[string](ctx, `Kefu.send("y".repeat(300)).then(() => "sent", e => e.code)`); err != nil {
			t.Fatal(err)
		}
		got, err := eval[[]int](ctx, shadow(`[w.querySelectorAll('.row.failed').length, w.querySelectorAll('.row.failed .retry').length]`))
		if err != nil || got[0] != 1 || got[1] != 0 {
			t.Fatalf("failed rows / retry buttons = %v %v", got, err)
		}
	})
	t.Run("links show their real host; CJK punctuation is full-width; markup stays text", func(t *testing.T) {
		if _, err := eval[map[string]any](ctx, `Kefu.send("links please")`); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 10*time.Second, func() error {
			got, err := eval[[]string](ctx, shadow(`(() => { const b = [...w.querySelectorAll('.row.bot .bubble')].pop(); const a = b.querySelectorAll('a');
				return [b.textContent, String(a.length), a[0] ? a[0].textContent : '', a[0] ? a[0].href : '', String(b.querySelectorAll('b').length)]; })()`))
			if err != nil || len(got) != 5 || !strings.Contains(got[0], "退货请看这里，") {
				return fmt.Errorf("bubble %q %v", got, err)
			}
			if got[1] != "1" || got[2] != "evil.example/returns" || !strings.HasPrefix(got[3], "https://") || got[4] != "0" {
				t.Fatalf("links %q", got)
			}
			if !strings.Contains(got[0], "谢谢！") || !strings.Contains(got[0], "（7天内）") || !strings.Contains(got[0], "<b>bold</b>") {
				t.Fatalf("typography/text %q", got[0])
			}
			return nil
		})
	})
	t.Run("no typing indicator after a handoff", func(t *testing.T) {
		if _, err := eval[map[string]any](ctx, `Kefu.send("human please")`); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 10*time.Second, func() error {
			n, err := eval[int](ctx, shadow(`[...w.querySelectorAll('.system')].filter(e => /human|人工/.test(e.textContent)).length`))
			if err != nil || n == 0 {
				return fmt.Errorf("no handoff notice yet (%v)", err)
			}
			return nil
		})
		// The notice comes 1.5 s after the event; dots would have run 25 s.
		if n, _ := eval[int](ctx, shadow(`w.querySelectorAll('.typing').length`)); n != 0 {
			t.Fatal("typing dots after the handoff")
		}
	})
	t.Run("Arabic is right to left", func(t *testing.T) {
		if _, err := eval[string](ctx, `Kefu.setLanguage('ar')`); err != nil {
			t.Fatal(err)
		}
		got, err := eval[[]string](ctx, shadow(`[getComputedStyle(w.querySelector('.panel')).direction, w.host.getAttribute('lang'), w.querySelector('textarea').placeholder]`))
		if err != nil || got[0] != "rtl" || got[1] != "ar" || got[2] != "اكتب رسالة…" {
			t.Fatalf("arabic %q %v", got, err)
		}
		shot(t, ctx, "widget-arabic.png")
	})
}

// TestHostileCSS: a page whose global CSS attacks every element neither
// moves nor restyles the widget, and the widget's rules do not reach the
// page's elements of the same class names.
func TestHostileCSS(t *testing.T) {
	srv, _ := newServer(t)
	ctx := browser(t)
	open(t, ctx, srv.URL+"/pages/hostile.html")
	if err := browsertest.Do(ctx, chromedp.Poll[chromedp.Void](shadow(`getComputedStyle(w.host).visibility === 'visible'`), chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatal(err)
	}
	if _, err := eval[bool](ctx, `Kefu.open(), true`); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, func() error {
		got, err := eval[map[string]any](ctx, shadow(`(() => {
			const h = getComputedStyle(w.host), l = w.querySelector('.launcher'), ls = getComputedStyle(l), p = w.querySelector('.panel'), ps = getComputedStyle(p);
			const r = l.getBoundingClientRect();
			return {position: h.position, display: h.display, right: innerWidth - r.right, bottom: innerHeight - r.bottom, w: r.width,
				lcolor: ls.color, pfont: ps.fontSize, pfamily: ps.fontFamily, ptrans: ps.textTransform, popacity: ps.opacity, pwidth: p.getBoundingClientRect().width,
				tfont: getComputedStyle(w.querySelector('textarea')).fontSize};
		})()`))
		if err != nil {
			return err
		}
		want := map[string]any{"position": "fixed", "display": "block", "lcolor": "rgb(255, 255, 255)", "pfont": "14px", "ptrans": "none", "popacity": "1", "tfont": "14px"}
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
			}
		}
		if got["right"].(float64) != 20 || got["bottom"].(float64) != 20 || got["w"].(float64) != 60 || got["pwidth"].(float64) != 380 ||
			strings.Contains(got["pfamily"].(string), "Comic") {
			return fmt.Errorf("launcher or panel box changed: %v", got)
		}
		return nil
	})
	// The widget's .panel / .launcher rules stay in the shadow root.
	got, err := eval[[]string](ctx, `[getComputedStyle(document.getElementById('probe-panel')).opacity, getComputedStyle(document.getElementById('probe-launcher')).borderRadius,
		getComputedStyle(document.getElementById('probe-panel')).position]`)
	if err != nil || got[0] != "0.9" || got[1] != "0px" || got[2] != "static" {
		t.Fatalf("page elements styled by the widget: %q %v", got, err)
	}
	shot(t, ctx, "widget-hostile-css.png")
}

// TestChunkLater: the loader chats over the WebSocket while the rest of the
// widget (more.js) has not arrived; what needs the rest meanwhile — a
// product card, Kefu.identify, Kefu.sendPhoto — waits and is delivered, in
// order, when it arrives; then the core loads.
func TestChunkLater(t *testing.T) {
	srv, e := newServer(t)
	hold := make(chan struct{})
	e.holdChunk.Store(&hold)
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	ctx := browser(t)
	open(t, ctx, srv.URL+"/demo/")
	got, err := eval[map[string]any](ctx, `(async () => {
		Kefu.open();
		window.__msgs = [];
		Kefu.on('message', m => __msgs.push(m));
		const m = await Kefu.send("hello, cards please");
		window.__order = [];
		window.__id = Kefu.identify({id: 'u-1', hash: 'not hex'}).then(() => 'ok', e => (__order.push('identify'), e.code));
		window.__photo = Kefu.sendPhoto(new File([new Uint8Array(8)], 'a.gif', {type: 'image/gif'})).then(() => 'ok', e => (__order.push('photo'), e.code));
		return {source: m.source, core: !!window.kefuCore};
	})()`)
	if err != nil || got["source"] != "edge" || got["core"] != false {
		t.Fatalf("chat without the chunk: %v %v", got, err)
	}
	poll.Until(t, 20*time.Second, func() error {
		n, err := eval[int](ctx, shadow(`w.querySelectorAll('.cards').length * 10 + w.querySelectorAll('.card').length`))
		if err != nil || n != 10 {
			return fmt.Errorf("card box %d, want 10 (an empty box while the chunk is held) %v", n, err)
		}
		return nil
	})
	if s, _ := eval[string](ctx, `String(__order.length)`); s != "0" {
		t.Fatal("calls that need the chunk settled before it arrived")
	}
	release()
	poll.Until(t, 30*time.Second, func() error {
		got, err := eval[map[string]any](ctx, `(async () => ({id: await __id, photo: await __photo, order: __order.join(','),
			card: [...document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.card-name')].map(e => e.textContent).join(',')}))()`)
		if err != nil || got["id"] != "identity_refused" || got["photo"] != "bad_type" || got["order"] != "identify,photo" || got["card"] != "Linen tee" {
			return fmt.Errorf("after the chunk: %v %v", got, err)
		}
		return nil
	})
	waitCore(t, ctx)
	if m, err := eval[jsMsg](ctx, `Kefu.send("What is your return policy?")`); err != nil || m.Source != "local" {
		t.Fatalf("local answer after the chunk: %+v %v", m, err)
	}
}

// TestStrictCSP: under a policy with no inline script, no eval and
// 'wasm-unsafe-eval' only, the widget draws, loads its core, answers in
// the browser and chats over the WebSocket, and the page reports no
// violation.
func TestStrictCSP(t *testing.T) {
	srv, e := newServer(t)
	ctx := browser(t)
	open(t, ctx, srv.URL+"/pages/csp.html")
	if _, err := eval[bool](ctx, `Kefu.open(), true`); err != nil {
		t.Fatal(err)
	}
	waitCore(t, ctx)
	m, err := eval[jsMsg](ctx, `Kefu.send("What is your return policy?")`)
	if err != nil || m.Source != "local" {
		t.Fatalf("local answer under CSP: %+v %v", m, err)
	}
	before := len(e.received("message"))
	if m, err := eval[jsMsg](ctx, `Kefu.send("Where is my order 12345678?")`); err != nil || m.Source != "edge" {
		t.Fatalf("remote message under CSP: %+v %v", m, err)
	}
	if len(e.received("message")) != before+1 {
		t.Fatal("the remote message did not reach the edge")
	}
	v, err := eval[[]string](ctx, `window.__violations`)
	if err != nil || len(v) != 0 {
		t.Fatalf("CSP violations: %q %v", v, err)
	}
}

// TestQueuedCalls: Kefu calls made right after the bootstrap, before the
// loader arrived, are delivered in order, and send's promise settles.
func TestQueuedCalls(t *testing.T) {
	srv, _ := newServer(t)
	ctx := browser(t)
	if err := browsertest.Do(ctx, chromedp.Navigate(srv.URL+"/pages/queued.html")); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, func() error {
		got, err := eval[map[string]any](ctx, `({version: window.Kefu && Kefu.version, lang: Kefu.lang && Kefu.lang(), sent: window.__sent && window.__sent.text,
			log: __log.length, tracked: __tracked.join(','), open: document.getElementById('kefu-widget') && document.getElementById('kefu-widget').classList.contains('open')})`)
		if err != nil {
			return err
		}
		if got["version"] != "2" || got["lang"] != "de" || got["sent"] != "Wie kann ich etwas zurückgeben?" || got["open"] != true ||
			got["log"].(float64) < 1 || !strings.HasPrefix(got["tracked"].(string), "page_view,open") {
			return fmt.Errorf("queued calls: %v", got)
		}
		return nil
	})
}

// TestAccessibility: axe-core (npm, assets/widget/testdata/axe) finds no
// serious or critical violation in the closed and the open widget; a
// keyboard-only session opens, asks, keeps focus in the panel and closes
// back to the launcher; reduced motion turns animations off.
func TestAccessibility(t *testing.T) {
	axe, err := os.ReadFile("testdata/axe/node_modules/axe-core/axe.min.js")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is not installed (make test runs npm ci in assets/widget/testdata/axe): %v", err)
		}
		t.Skip("axe-core not installed: cd assets/widget/testdata/axe && npm ci")
	}
	srv, _ := newServer(t)
	ctx := browser(t)
	open(t, ctx, srv.URL+"/demo/")
	if err := browsertest.Do(ctx, chromedp.Evaluate[chromedp.Void](string(axe))); err != nil {
		t.Fatal(err)
	}
	audit := func(state string) {
		t.Helper()
		got, err := eval[[]string](ctx, `axe.run({include: [['#kefu-widget']]}).then(r =>
			[String(r.passes.length)].concat(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))`)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] == "0" || got[0] == "" {
			t.Fatalf("axe checked nothing in the %s widget", state)
		}
		t.Logf("axe, %s widget: %s rules passed", state, got[0])
		got = got[1:]
		if len(got) > 0 {
			t.Errorf("axe, %s widget: %d serious violations:\n%s", state, len(got), strings.Join(got, "\n"))
		}
	}
	audit("closed")

	// Keyboard only, from the launcher.
	if _, err := eval[bool](ctx, shadow(`(w.querySelector('.launcher').focus(), true)`)); err != nil {
		t.Fatal(err)
	}
	key := func(k string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatal(err)
		}
	}
	active := func() string {
		s, _ := eval[string](ctx, shadow(`(() => { const a = w.activeElement; return a ? a.tagName.toLowerCase() + '.' + a.className : 'none'; })()`))
		return s
	}
	key("\r")
	poll.Until(t, 5*time.Second, func() error {
		if a := active(); a != "textarea." {
			return fmt.Errorf("focus after opening with Enter: %s", a)
		}
		return nil
	})
	waitCore(t, ctx)
	key("What is your return policy?")
	key("\r")
	poll.Until(t, 10*time.Second, func() error {
		n, err := eval[int](ctx, shadow(`w.querySelectorAll('.row.bot .instant').length`))
		if err != nil || n == 0 {
			return fmt.Errorf("no local answer after typing and Enter (%v)", err)
		}
		return nil
	})
	for i := 0; i < 12; i++ { // Tab never leaves the open panel
		key(kb.Tab)
		if a := active(); a == "none" || strings.HasPrefix(a, "button.launcher") {
			t.Fatalf("Tab %d left the panel: %s", i+1, a)
		}
	}
	audit("open")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, func() error {
		if a := active(); a != "button.launcher" {
			return fmt.Errorf("focus after Escape: %s", a)
		}
		return nil
	})
	if open, _ := eval[bool](ctx, shadow(`w.host.classList.contains('open')`)); open {
		t.Fatal("Escape did not close the panel")
	}
	// ARIA: a dialog labelled by the title, a polite log as the live region, the launcher's state.
	got, err := eval[[]string](ctx, shadow(`[w.querySelector('.panel').getAttribute('role'), w.querySelector('.panel').getAttribute('aria-label'),
		w.querySelector('.log').getAttribute('role'), w.querySelector('.log').getAttribute('aria-live'), w.querySelector('.launcher').getAttribute('aria-expanded')]`))
	if err != nil || strings.Join(got, "|") != "dialog|Customer support|log|polite|false" {
		t.Fatalf("aria %q %v", got, err)
	}
	// Reduced motion.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}}); err != nil {
		t.Fatal(err)
	}
	if d, err := eval[string](ctx, shadow(`getComputedStyle(w.querySelector('.panel')).transitionDuration`)); err != nil || strings.Trim(strings.ReplaceAll(d, "0s", ""), ", ") != "" {
		t.Fatalf("transitions with reduced motion: %q %v", d, err)
	}
}

// TestPhone: on a 390×844 phone the demo page fits the screen, the open
// widget covers it, header and send button visible; screenshots of the
// phone and of the desktop go to test-artifacts/.
func TestPhone(t *testing.T) {
	srv, _ := newServer(t)
	ctx := browser(t)
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, srv.URL+"/demo/")
	w, err := eval[int](ctx, `Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)`)
	if err != nil || w > 390 {
		t.Fatalf("the demo page is %d px wide on a 390 px phone (%v)", w, err)
	}
	shot(t, ctx, "phone-demo.png")
	if _, err := eval[bool](ctx, `Kefu.open(), true`); err != nil {
		t.Fatal(err)
	}
	waitCore(t, ctx)
	if _, err := eval[jsMsg](ctx, `Kefu.send("What is your return policy?")`); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 5*time.Second, func() error {
		got, err := eval[[]float64](ctx, shadow(`(() => { const p = w.querySelector('.panel').getBoundingClientRect(), h = w.querySelector('.head').getBoundingClientRect(),
			s = w.querySelector('.send').getBoundingClientRect(), x = w.querySelector('.icon-btn').getBoundingClientRect();
			return [p.left, p.top, p.width, p.height, h.top, s.right, s.bottom, x.right, innerWidth, innerHeight]; })()`))
		if err != nil {
			return err
		}
		vw, vh := got[8], got[9]
		if got[0] != 0 || got[1] != 0 || got[2] != vw || got[3] != vh || got[4] < 0 || got[5] > vw || got[6] > vh || got[7] > vw {
			return fmt.Errorf("panel/header/send/close %v in a %vx%v viewport", got[:8], vw, vh)
		}
		return nil
	})
	shot(t, ctx, "phone-widget.png")

	desk := browser(t)
	open(t, desk, srv.URL+"/demo/")
	if _, err := eval[bool](desk, `Kefu.open(), true`); err != nil {
		t.Fatal(err)
	}
	waitCore(t, desk)
	for _, q := range []string{"What is your return policy?", "退货政策是什么?", "Where is my order 12345678?"} {
		if _, err := eval[jsMsg](desk, `Kefu.send(`+jsString(q)+`)`); err != nil {
			t.Fatal(err)
		}
	}
	shot(t, desk, "desktop-widget.png")
}

// shot saves a screenshot under $KEFU_ARTIFACTS, else test-artifacts/ at the repository root.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	time.Sleep(500 * time.Millisecond) // let the entry animations finish (the picture only)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("KEFU_ARTIFACTS")
	if dir == "" {
		// test-artifacts/ at the repository root: go test runs a package's
		// tests in its folder (runtime.Caller's file name is not a path
		// under -trimpath, which make test builds with).
		dir = filepath.Join("..", "..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", filepath.Join(dir, name))
}
