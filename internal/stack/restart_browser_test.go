package stack

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestRestartMidConversationInBrowser: the shopper's edge (here the whole
// all-in-one kefu dev: edge, central and NATS) stops in the middle of a
// conversation; a question asked while it is down waits in the page, and
// once it is back on the same address and data folder the widget
// reconnects, resumes the conversation and sends it. Central stores every
// question and every answer exactly once, the page shows each once, and the
// conversation id does not change.
// Not parallel: the restart listens again on the port another test could take meanwhile.
func TestRestartMidConversationInBrowser(t *testing.T) {
	requireBuilt(t)
	data := t.TempDir()
	opts := Options{Addr: "127.0.0.1:0", DataDir: data, PluginCache: testPluginCache(), Logger: quietLogger(), NoDemoKnowledge: true}
	s, err := Start(t.Context(), opts)
	must(t, err)
	u, err := url.Parse(s.URL)
	must(t, err)
	shop := browsertest.New(t, 150*time.Second)
	must(t, browsertest.Do(shop,
		chromedp.Navigate(s.URL+"/demo/"),
		chromedp.Poll[chromedp.Void](`window.Kefu && Kefu.version === '2'`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate[chromedp.Void](`window.__msgs = []; Kefu.on('message', m => __msgs.push(m)); Kefu.open(); true`),
	))
	const q1, q2 = "Zebra-8812 quartz lamp: which colour is the cable?", "Zebra-8812 while you were away: is the cable braided?"
	if m := send(t, shop, q1); m["source"] == "local" {
		t.Fatalf("answered in the page, want central: %v", m)
	}
	waitMessage(t, shop, `m.role !== 'shopper' && m.source === 'central'`)
	conv, err := chromedp.Run(shop, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('kefu:demo:conv'))`))
	must(t, err)
	visitor, err := chromedp.Run(shop, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('kefu:demo:visitor'))`))
	must(t, err)

	if err := s.Close(); err != nil { // the restart matters here, not how tidy the stop was
		t.Logf("stopping the first run: %v", err)
	}
	// The widget notices and shows it is offline; the question waits.
	must(t, browsertest.Do(shop, chromedp.Poll[chromedp.Void](`document.getElementById('kefu-widget').shadowRoot.querySelector('.status.offline, .status.connecting')`,
		chromedp.WithPollingTimeout(15*time.Second))))
	must(t, browsertest.Do(shop, chromedp.Evaluate[chromedp.Void](`window.__p2 = Kefu.send(`+fmt.Sprintf("%q", q2)+`); true`)))

	opts.Addr = u.Host
	s2, err := Start(t.Context(), opts)
	must(t, err)
	defer s2.Close()
	got, err := chromedp.Run(shop, chromedp.Evaluate[map[string]any](`window.__p2`, chromedp.EvalAwaitPromise))
	if err != nil || got["text"] != q2 {
		t.Fatalf("the question asked while down: %v %v", got, err)
	}
	// Two central answers now (the one to q1 and the one to q2).
	must(t, browsertest.Do(shop, chromedp.Poll[chromedp.Void](`__msgs.filter(m => m.role !== 'shopper' && m.source === 'central' && m.role !== 'system').length >= 2`,
		chromedp.WithPollingTimeout(30*time.Second))))

	st, err := store.OpenSQLite(t.Context(), s2.DBPath)
	must(t, err)
	defer st.Close()
	poll.Until(t, 15*time.Second, func() error {
		c, err := st.LatestConversation(t.Context(), DemoSite, visitor)
		if err != nil {
			return err
		}
		if c.ID != conv {
			return fmt.Errorf("latest conversation %q, want %q", c.ID, conv)
		}
		msgs, err := st.Messages(t.Context(), DemoSite, conv, "", 0)
		if err != nil {
			return err
		}
		count := map[string]int{}
		ids := map[string]int{}
		for _, m := range msgs {
			count[m.Text]++
			ids[m.ID]++
		}
		for _, q := range []string{q1, q2} {
			if count[q] != 1 {
				return fmt.Errorf("%q stored %d times", q, count[q])
			}
		}
		for id, n := range ids {
			if n != 1 {
				return fmt.Errorf("message %s stored %d times", id, n)
			}
		}
		return nil
	})
	// The page shows every message once, in the same conversation.
	rows, err := chromedp.Run(shop, chromedp.Evaluate[[]string](`[...document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.row:not(.typing)')].map(r => r.getAttribute('data-id'))`))
	must(t, err)
	seen := map[string]bool{}
	for _, id := range rows {
		if seen[id] {
			t.Fatalf("message %s shown twice: %v", id, rows)
		}
		seen[id] = true
	}
	if c, err := chromedp.Run(shop, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('kefu:demo:conv'))`)); err != nil || c != conv {
		t.Fatalf("conversation after the restart %q, want %q (%v)", c, conv, err)
	}
}
