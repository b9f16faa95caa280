package stack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestIdentifyInBrowser: window.Kefu.identify() in real chromium against a
// real edge and central. The same customer signed in on two browser
// contexts gets one contact visitor id and the same history; a wrong hash
// is refused (promise rejected with identity_refused, 'identity' event) and
// the shopper stays anonymous; identify() called on the bootstrap's stub,
// before the loader has arrived, is queued and applied.
func TestIdentifyInBrowser(t *testing.T) {
	t.Parallel()
	requireBuilt(t)
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger(), NoDemoKnowledge: true})
	must(t, err)
	defer s.Close()
	st, err := store.OpenSQLite(t.Context(), s.DBPath)
	must(t, err)
	defer st.Close()
	var secret string
	poll.Until(t, 15*time.Second, func() error {
		tn, err := st.Tenant(t.Context(), DemoSite)
		if err != nil || tn.IdentitySecret == "" {
			return fmt.Errorf("demo tenant without identity secret yet (%v)", err)
		}
		secret = tn.IdentitySecret
		if code, body := get(t, s.URL+"/w/config?site="+DemoSite, ""); code != 200 || !strings.Contains(body, `"identify":true`) {
			return fmt.Errorf("edge does not verify identities for the demo site yet: %d %s", code, body)
		}
		return nil
	})
	hash := func(id string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(id))
		return hex.EncodeToString(m.Sum(nil))
	}
	const customer = "cust-4711"
	contact := chat.ContactVisitor(DemoSite, customer)
	identifyJS := func(id, h string) string {
		return fmt.Sprintf(`{id: %q, name: "Li Lei", email: "li@example.com", hash: %q}`, id, h)
	}
	// load opens the demo storefront and records messages and identity events.
	load := func(ctx context.Context) {
		t.Helper()
		must(t, browsertest.Do(ctx,
			chromedp.Navigate(s.URL+"/demo/"),
			chromedp.Poll[chromedp.Void](`window.Kefu && Kefu.version === '2'`, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Evaluate[chromedp.Void](`window.__msgs = []; window.__ids = []; Kefu.on('message', m => __msgs.push(m)); Kefu.on('identity', e => __ids.push(e)); Kefu.open(); true`),
		))
	}
	identify := func(ctx context.Context, id, h string) (map[string]any, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`Kefu.identify(`+identifyJS(id, h)+`)`, chromedp.EvalAwaitPromise))
	}
	visitorOf := func(ctx context.Context) string {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('kefu:demo:visitor') || '""')`))
		must(t, err)
		return v
	}
	shop := browsertest.New(t, 120*time.Second)
	newContext := func() context.Context {
		ctx, cancel := chromedp.NewContext(shop, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		return ctx
	}

	// Browser A: anonymous first, then signed in.
	a := shop
	load(a)
	anon := visitorOf(a)
	if anon == "" || strings.HasPrefix(anon, "u_") {
		t.Fatalf("anonymous visitor %q", anon)
	}
	got, err := identify(a, customer, hash(customer))
	if err != nil || got["visitor"] != contact {
		t.Fatalf("identify on A = %v, %v; want visitor %s", got, err, contact)
	}
	if v := visitorOf(a); v != contact {
		t.Fatalf("A stored visitor %q, want the contact's %q", v, contact)
	}
	ev, err := chromedp.Run(a, chromedp.Evaluate[[]map[string]any](`__ids`))
	if err != nil || len(ev) != 1 || ev[0]["ok"] != true || ev[0]["visitor"] != contact {
		t.Fatalf("identity events on A: %v %v", ev, err)
	}
	const text = "Signed in now: please gift-wrap order zebra-7731"
	if m := send(t, a, text); m["source"] == "local" {
		t.Fatalf("the test message was answered locally, it must reach central: %v", m)
	}
	poll.Until(t, 15*time.Second, func() error {
		c, err := st.LatestConversation(t.Context(), DemoSite, contact)
		if err != nil {
			return err
		}
		msgs, err := st.Messages(t.Context(), DemoSite, c.ID, "", 0)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Text == text {
				return nil
			}
		}
		return fmt.Errorf("message not in the contact's conversation yet")
	})

	t.Run("another browser shows the same history", func(t *testing.T) {
		b := newContext()
		load(b)
		got, err := identify(b, customer, hash(customer))
		if err != nil || got["visitor"] != contact {
			t.Fatalf("identify on B = %v, %v", got, err)
		}
		q := fmt.Sprintf(`__msgs.some(m => m.role === 'shopper' && m.text === %q) && [...document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.row')].some(r => r.textContent.includes(%q))`, text, text)
		if _, err := chromedp.Run(b, chromedp.Poll[chromedp.Void](q, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			all, _ := chromedp.Run(b, chromedp.Evaluate[any](`__msgs`))
			t.Fatalf("B does not show A's message: %v; messages %v", err, all)
		}
	})

	t.Run("a wrong hash is refused and the shopper stays anonymous", func(t *testing.T) {
		c := newContext()
		load(c)
		before := visitorOf(c)
		code, err := chromedp.Run(c, chromedp.Evaluate[[]string](`Kefu.identify(`+identifyJS(customer, hash("cust-4712"))+`).then(() => ["resolved"], e => [e.code, e.message])`, chromedp.EvalAwaitPromise))
		if err != nil || len(code) != 2 || code[0] != chat.CodeIdentityRefused || !strings.Contains(code[1], "HMAC") {
			t.Fatalf("wrong hash: %v %v", code, err)
		}
		ev, err := chromedp.Run(c, chromedp.Evaluate[[]map[string]any](`__ids`))
		if err != nil || len(ev) != 1 || ev[0]["ok"] != false || ev[0]["code"] != chat.CodeIdentityRefused {
			t.Fatalf("identity events: %v %v", ev, err)
		}
		if v := visitorOf(c); v != before || strings.HasPrefix(v, "u_") {
			t.Fatalf("visitor after a refused identity %q, was %q", v, before)
		}
		// Still anonymous: nothing of the contact's history shows up, and
		// the shopper can go on chatting.
		m := send(t, c, "Anonymous question about sizes zebra-9")
		if m["text"] == "" {
			t.Fatalf("send after refusal: %v", m)
		}
		if n, _ := chromedp.Run(c, chromedp.Evaluate[int](fmt.Sprintf(`__msgs.filter(m => m.text === %q).length`, text))); n != 0 {
			t.Fatal("a refused identity shows the contact's history")
		}
		// A malformed hash never leaves the page.
		code, err = chromedp.Run(c, chromedp.Evaluate[[]string](`Kefu.identify({id: "x", hash: "nope"}).then(() => ["resolved"], e => [e.code, e.message])`, chromedp.EvalAwaitPromise))
		if err != nil || code[0] != chat.CodeIdentityRefused || !strings.Contains(code[1], "64 hex") {
			t.Fatalf("malformed hash: %v %v", code, err)
		}
	})

	t.Run("identify before the loader arrived is queued", func(t *testing.T) {
		d := newContext()
		// Runs right after the bootstrap appended the loader's script tag:
		// Kefu is the bootstrap's stub then (no version), as on a page that
		// calls identify() next to the script tag.
		early := `new MutationObserver((_, o) => {
			if (!window.Kefu || !Kefu.identify || window.__idp) return;
			window.__early = !Kefu.version;
			window.__idp = Kefu.identify(` + identifyJS(customer, hash(customer)) + `).then(v => window.__idr = v, e => window.__idr = {error: e.code});
			o.disconnect();
		}).observe(document, {childList: true, subtree: true});`
		_, err := chromedp.Call(d, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: early})
		must(t, err)
		must(t, browsertest.Do(d, chromedp.Navigate(s.URL+"/demo/")))
		r, err := chromedp.Run(d, chromedp.Poll[map[string]any](`window.__idr ? {early: window.__early, r: window.__idr} : null`, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		res, _ := r["r"].(map[string]any)
		if r["early"] != true || res["visitor"] != contact {
			t.Fatalf("queued identify: %v", r)
		}
		if v := visitorOf(d); v != contact {
			t.Fatalf("visitor %q after the queued identify", v)
		}
	})
}
