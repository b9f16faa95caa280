package stack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestShopperQueueInBrowser is the human queue as two shoppers and an
// agent see it, in real chromium against a real edge and central (the demo
// storefront's widget, the agent console):
//
//   - with nobody online, a shopper who asks for a person sees "No agent is
//     available right now." and the callback form; a bad contact is refused
//     in the page, an e-mail is accepted and becomes an open callback ticket
//     (contact masked by the PII plugin) that the console's Callbacks tab
//     lists;
//   - when the agent signs in, the first shopper is next in line and the
//     second number 2, both with a wait estimate (Kefu.on('queue') gets
//     {position, wait_s}); after the agent takes the first, the second is
//     next;
//   - the line the edge's plugin appends to the agent's reply (a promotion)
//     is shown to the agent under the reply (message.shown);
//   - the agent's typing shows dots to that shopper only while the agent
//     types (they go when the agent stops, and when the reply arrives),
//     never to the other shopper;
//   - closing asks for a 1–5 rating; 4 stars with a comment reach central
//     (stored, and csat.submitted updates the console's customer panel).
func TestShopperQueueInBrowser(t *testing.T) {
	t.Parallel()
	requireBuilt(t)
	const password = "queue-secret"
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), AgentPassword: password,
		Logger: quietLogger(), NoDemoKnowledge: true})
	must(t, err)
	defer s.Close()
	bearer := s.login(t, DemoSite, "agent@demo.kefu", password)

	browser := browsertest.New(t, 150*time.Second)
	newTab := func() context.Context {
		ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		return ctx
	}
	// until polls a JavaScript condition in a tab; w is the widget's shadow root.
	until := func(ctx context.Context, what, cond string) {
		t.Helper()
		js := `(() => { const w = document.getElementById('kefu-widget')?.shadowRoot; return !!(` + cond + `); })()`
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('kefu-widget')?.shadowRoot?.querySelector('.log, [role=log]')?.innerText || document.body.innerText`))
			t.Fatalf("%s: %v\npage: %s", what, err, html)
		}
	}
	run := func(ctx context.Context, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`(() => { const w = document.getElementById('kefu-widget').shadowRoot; `+js+`; return true; })()`)); err != nil {
			t.Fatal(err)
		}
	}
	lastQueue := func(ctx context.Context) map[string]any {
		t.Helper()
		q, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`window.__queue[window.__queue.length - 1] || null`))
		must(t, err)
		return q
	}
	openShop := func(ctx context.Context) {
		t.Helper()
		must(t, browsertest.Do(ctx,
			chromedp.Navigate(s.URL+"/demo/"),
			chromedp.Poll[chromedp.Void](`window.Kefu && Kefu.version === '2'`, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Evaluate[chromedp.Void](`window.__msgs = []; window.__queue = []; Kefu.on('message', m => __msgs.push(m)); Kefu.on('queue', q => __queue.push(q)); Kefu.open(); true`),
		))
	}
	const noAgent = `w.querySelector('.system.queue')?.textContent === 'No agent is available right now.'`
	const typing = `w.querySelector('.typing')`

	// 1. Nobody online: the first shopper asks for a person.
	anna := browser
	openShop(anna)
	send(t, anna, "I want to talk to a human agent please")
	until(anna, "no-agent state with the callback form", noAgent+` && w.querySelector('form.kefu-callback input')`)
	if q := lastQueue(anna); q["reason"] != "no_agent" {
		t.Fatalf("Kefu.on('queue') got %v, want reason no_agent", q)
	}
	// A contact that is neither an e-mail nor a phone is refused in the page…
	run(anna, `const f = w.querySelector('form.kefu-callback'); f.querySelector('input').value = 'call me maybe'; f.querySelector('button').click()`)
	until(anna, "bad contact refused", `[...w.querySelectorAll('.system')].some(e => e.textContent.includes('Please enter an e-mail address or a phone number.')) && w.querySelector('form.kefu-callback')`)
	// …an e-mail becomes a callback ticket, confirmed by the page and by central.
	run(anna, `const f = w.querySelector('form.kefu-callback'); f.querySelector('input').value = 'anna.callback@example.com'; f.querySelector('button').click()`)
	until(anna, "callback confirmed", `!w.querySelector('form.kefu-callback') && window.__msgs.some(m => m.role === 'system' && m.text.startsWith('Thank you! We will get back to you'))`)
	var ticket store.Ticket
	poll.Until(t, 15*time.Second, func() error {
		var list []store.Ticket
		if code := s.api(t, bearer, "GET", "/v1/tickets?status=open", &list); code != 200 {
			return fmt.Errorf("tickets: %d", code)
		}
		for _, tk := range list {
			if tk.Kind == store.TicketCallback {
				ticket = tk
				return nil
			}
		}
		return fmt.Errorf("no callback ticket in %+v", list)
	})
	if !strings.HasPrefix(ticket.Detail, "email: ") || strings.Contains(ticket.Detail, "anna.callback@example.com") {
		t.Fatalf("ticket detail %q: want the e-mail kind and the address masked", ticket.Detail)
	}

	// 2. A second shopper asks too, in the same words: the same anger, so
	// the one who waited longer is ahead.
	ben := newTab()
	openShop(ben)
	send(t, ben, "I want to talk to a human agent please")
	until(ben, "no-agent state for the second shopper", noAgent+` && w.querySelector('form.kefu-callback')`)

	// 3. The agent signs in: positions and wait estimates.
	agent := newTab()
	must(t, browsertest.Do(agent,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(s.URL+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), "agent@demo.kefu"),
		chromedp.SetValue(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".conn-on")),
		chromedp.Poll[chromedp.Void](`document.getElementById('count-tickets').textContent === '1'`, chromedp.WithPollingTimeout(20*time.Second)),
	))
	until(anna, "first shopper next in line", `/^You are next in line · Estimated wait: /.test(w.querySelector('.system.queue')?.textContent || '')`)
	until(ben, "second shopper number 2", `/^You are number 2 in the queue · Estimated wait: /.test(w.querySelector('.system.queue')?.textContent || '') && !w.querySelector('form.kefu-callback')`)
	for name, ctx := range map[string]context.Context{"anna": anna, "ben": ben} {
		q := lastQueue(ctx)
		want := map[string]float64{"anna": 1, "ben": 2}[name]
		if q["position"] != want || q["reason"] != nil {
			t.Fatalf("%s: Kefu.on('queue') got %v, want position %v without a reason", name, q, want)
		}
		if w, ok := q["wait_s"].(float64); !ok || w <= 0 {
			t.Fatalf("%s: wait_s %v", name, q["wait_s"])
		}
	}

	// 4. The agent takes the next: the first shopper; the second moves up.
	must(t, browsertest.Do(agent,
		chromedp.Click(chromedp.ID("take-next")),
		chromedp.WaitEnabled(chromedp.ID("reply-text")),
	))
	until(ben, "second shopper next after the claim", `/^You are next in line/.test(w.querySelector('.system.queue')?.textContent || '')`)
	until(anna, "first shopper out of the queue", `!w.querySelector('.system.queue') && !`+typing)

	// 5. Typing dots only while the agent types, only for that shopper.
	must(t, browsertest.Do(agent, chromedp.SendKeys(chromedp.ID("reply-text"), "Hello Anna, this is your agent")))
	until(anna, "typing dots while the agent types", typing)
	if n, err := chromedp.Run(ben, chromedp.Evaluate[int](`document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.typing').length`)); err != nil || n != 0 {
		t.Fatalf("the other shopper sees typing dots: %d %v", n, err)
	}
	until(anna, "typing dots gone once the agent stopped", `!`+typing)
	must(t, browsertest.Do(agent,
		chromedp.SendKeys(chromedp.ID("reply-text"), "!"),
	))
	until(anna, "typing dots again", typing)
	must(t, browsertest.Do(agent, chromedp.Click(chromedp.ID("send"))))
	until(anna, "the reply, and no dots", `window.__msgs.some(m => m.role === 'agent' && m.text.startsWith('Hello Anna, this is your agent!')) && !`+typing)
	// The agent reads what the shopper read: the line the edge's plugin
	// appended to the reply (a promotion) is shown under it in the console.
	shown, err := chromedp.Run(anna, chromedp.Evaluate[string](`window.__msgs.find(m => m.role === 'agent' && m.text.startsWith('Hello Anna')).text`))
	must(t, err)
	if shown == "Hello Anna, this is your agent!" {
		t.Fatal("the demo pipeline appended nothing to the reply: the check below would test nothing")
	}
	must(t, browsertest.Do(agent, chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#messages .shown')].some(e => e.textContent === 'Shopper saw: ' + `+strconv.Quote(shown)+`)`,
		chromedp.WithPollingTimeout(20*time.Second))))

	// 6. Close: the shopper rates 4 of 5 with a comment.
	_, err = chromedp.Run(agent, chromedp.Evaluate[any](`window.confirm = () => true`))
	must(t, err)
	must(t, browsertest.Do(agent, chromedp.Click(chromedp.ID("close"))))
	until(anna, "rating form", `w.querySelectorAll('form.kefu-csat button.star').length === 5`)
	run(anna, `const f = w.querySelector('form.kefu-csat'); f.querySelector('button.star[data-n="4"]').click(); f.querySelector('textarea').value = 'quick and kind'; f.querySelector('button[type=submit]').click()`)
	until(anna, "thanks for the rating", `[...w.querySelectorAll('.system')].some(e => e.textContent === 'Thank you for your feedback!')`)
	var conv string
	poll.Until(t, 15*time.Second, func() error {
		var list []central.ConversationView
		s.api(t, bearer, "GET", "/v1/conversations?status=closed", &list)
		for _, c := range list {
			var w central.WorkView
			if code := s.api(t, bearer, "GET", "/v1/conversations/"+c.ID+"/work", &w); code != 200 {
				return fmt.Errorf("work: %d", code)
			}
			for _, r := range w.CSAT {
				if r.ConversationID == c.ID && r.Rating == 4 && r.Comment == "quick and kind" {
					conv = c.ID
					return nil
				}
			}
		}
		return fmt.Errorf("no rating 4 stored yet")
	})
	// csat.submitted reached the console: its customer panel shows the rating.
	must(t, browsertest.Do(agent, chromedp.Poll[chromedp.Void](`document.getElementById('csat').textContent.includes('quick and kind')`, chromedp.WithPollingTimeout(20*time.Second))))
	if conv == "" {
		t.Fatal("no conversation with the rating")
	}
	screenshot(t, agent, "console-queue-closed-rated.png")
	screenshot(t, anna, "shopper-queue-rated.png")
}
