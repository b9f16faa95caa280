package stack

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/internal/browsertest"
)

// TestReloadKeepsHistoryInBrowser: after a conversation with central's bot,
// reloading the page shows the same messages again — each exactly once,
// in order — and the conversation goes on in the same conversation id.
// Not parallel: beside other tests chromedp lost the reloaded page's context.
func TestReloadKeepsHistoryInBrowser(t *testing.T) {
	requireBuilt(t)
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger(), NoDemoKnowledge: true})
	must(t, err)
	defer s.Close()
	shop := browsertest.New(t, 120*time.Second)
	open := func() error {
		return browsertest.Do(shop,
			chromedp.Poll[chromedp.Void](`window.Kefu && Kefu.version === '2'`, chromedp.WithPollingTimeout(20*time.Second)),
			chromedp.Evaluate[chromedp.Void](`window.__msgs = []; Kefu.on('message', m => __msgs.push(m)); Kefu.open(); true`),
		)
	}
	must(t, browsertest.Do(shop, chromedp.Navigate(s.URL+"/demo/")))
	must(t, open())
	// Questions no FAQ entry matches: they go to central whether or not the
	// core has loaded.
	const q1, q2 = "Zebra-5521 quartz lamp: which colour is the cable?", "Zebra-5521 again: is that cable braided?"
	if m := send(t, shop, q1); m["source"] == "local" {
		t.Fatalf("answered in the page, want central: %v", m)
	}
	r1 := waitMessage(t, shop, `m.role !== 'shopper' && m.source === 'central'`)
	conv, err := chromedp.Run(shop, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('kefu:demo:conv'))`))
	must(t, err)
	rows := `[...document.getElementById('kefu-widget').shadowRoot.querySelectorAll('.row:not(.typing):not([data-id="greet"]) .bubble')].map(b => b.textContent)`
	before, err := chromedp.Run(shop, chromedp.Evaluate[[]string](rows))
	must(t, err)

	must(t, browsertest.Do(shop, chromedp.Reload()))
	must(t, open())
	// The history is drawn from the page's storage at once and the edge's
	// replay adds nothing twice: the same rows, in the same order.
	want := fmt.Sprintf("%q", before)
	wantJSON, _ := json.Marshal(before)
	lit, _ := json.Marshal(string(wantJSON))
	after, err := chromedp.Run(shop, chromedp.Poll[[]string](`(() => { const r = `+rows+`; return JSON.stringify(r) === `+string(lit)+` ? r : null; })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(shop, chromedp.Evaluate[[]string](rows))
		t.Fatalf("after reload the log is %q, want %q (%v)", got, before, err)
	}
	if len(after) < 2 || after[0] == "" {
		t.Fatalf("history %q", after)
	}
	found := false
	for _, r := range after {
		found = found || r == q1
	}
	if !found || r1["text"] == "" {
		t.Fatalf("the question %q is not in the history %q", q1, after)
	}
	// Wait a moment for a late replay, then count again: still no doubles.
	time.Sleep(300 * time.Millisecond)
	again, err := chromedp.Run(shop, chromedp.Evaluate[[]string](rows))
	if err != nil || fmt.Sprintf("%q", again) != want {
		t.Fatalf("the log changed after the replay: %q, want %q (%v)", again, before, err)
	}
	if m := send(t, shop, q2); m["source"] == "local" {
		t.Fatalf("answered in the page, want central: %v", m)
	}
	waitMessage(t, shop, fmt.Sprintf(`m.role !== 'shopper' && m.source === 'central' && m.id !== %q`, r1["id"]))
	conv2, err := chromedp.Run(shop, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('kefu:demo:conv'))`))
	if err != nil || conv2 != conv {
		t.Fatalf("conversation after reload %q, want %q (%v)", conv2, conv, err)
	}
}
