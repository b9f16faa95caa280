package stack

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/internal/browsertest"
)

const canaryDoc = `---
id: ship-canary-islands
title: Shipping to the Canary Islands
entity: destination: Canary Islands | Canarias | 加那利群岛
---
# Shipping to the Canary Islands

Delivery to the Canary Islands takes 7–12 business days and costs $14.90. The islands are outside the EU VAT area: import tax (IGIC, 7%) and a $6 customs handling fee are paid on delivery.
`

// TestKnowledgeIngestToWidget drives the storefront in real chromium
// while documents and catalogue items are added the way
// "kefu kb ingest --data" and "kefu kb catalog import --data" add them to
// a running kefu dev (a second connection to its SQLite file): the
// widget's question about a specific destination, answered locally by the
// generic shipping entry before, is answered by central with the specific
// fact after, within seconds and without a restart; a stock question on
// the product page gets a product card.
// Not parallel: the live answer has a fixed 15 s bound.
func TestKnowledgeIngestToWidget(t *testing.T) {
	requireBuilt(t)
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(),
		AgentPassword: "kb-secret", Logger: quietLogger(), NoDemoKnowledge: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	shop := browsertest.New(t, 120*time.Second)
	open := func() {
		must(t, browsertest.Do(shop,
			chromedp.Navigate(s.URL+"/demo/"),
			chromedp.Poll[chromedp.Void](`window.Kefu && window.Kefu.version`, chromedp.WithPollingTimeout(15*time.Second)),
			chromedp.Evaluate[chromedp.Void](`window.__msgs = []; Kefu.on('message', m => window.__msgs.push(m)); Kefu.open(); true`),
			chromedp.Poll[chromedp.Void](`!!(window.kefuCore && kefuCore.ready)`, chromedp.WithPollingTimeout(30*time.Second)),
		))
	}
	open()
	const q = "How long does delivery to the Canary Islands take?"
	if got := send(t, shop, q); got["source"] == "local" {
		t.Logf("before: answered locally with the generic entry: %q", got["text"])
	}

	st, err := store.OpenSQLite(t.Context(), s.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sum, err := central.IngestFiles(t.Context(), st, DemoSite, map[string][]byte{"canary.md": []byte(canaryDoc)}, "", nil)
	if err != nil || sum.Changed != 1 || sum.Entities != 1 {
		t.Fatalf("ingest: %+v %v", sum, err)
	}
	edited := time.Now()
	var answer map[string]any
	for attempt := 0; ; attempt++ {
		if time.Since(edited) > 15*time.Second {
			t.Fatalf("no live answer naming IGIC 15 s after the ingest (last: %v)", answer)
		}
		open()
		got := send(t, shop, q)
		if got["source"] == "local" {
			time.Sleep(300 * time.Millisecond) // the pack is not rebuilt yet: ask again on a fresh page
			continue
		}
		answer = waitMessage(t, shop, `m.role === 'bot' && m.source === 'central'`)
		if strings.Contains(fmt.Sprint(answer["text"]), "IGIC") {
			break
		}
	}
	live := time.Since(edited)
	// The time is reported, not asserted (a loaded machine stretches it;
	// the 15 s bound above catches a pack that is never rebuilt).
	t.Logf("edit → live answer in the browser: %s (goal ≤ 5 s) (%q)", live.Round(10*time.Millisecond), answer["text"])

	// Live stock on the product page the shopper is on (data-kefu-sku).
	items := []knowledge.Product{
		{SKU: "AUR-STORM-M-BLU", Product: "Aurora Storm Jacket", Name: "Aurora Storm Jacket", Color: "blue", Size: "M", Stock: 7, Price: "169.00", Currency: "USD", URL: "https://shop.example/aurora"},
		{SKU: "AUR-STORM-M-RED", Product: "Aurora Storm Jacket", Name: "Aurora Storm Jacket", Color: "red", Size: "M", Stock: 3, Price: "169.00", Currency: "USD", Promo: "−15% with AURORA15", URL: "https://shop.example/aurora"},
		{SKU: "AUR-STORM-L-RED", Product: "Aurora Storm Jacket", Name: "Aurora Storm Jacket", Color: "red", Size: "L", Stock: 0, Price: "169.00", Currency: "USD", URL: "https://shop.example/aurora"},
	}
	if err := central.PutProducts(t.Context(), st, DemoSite, items, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(shop, 30*time.Second)
	defer cancel()
	for {
		open()
		send(t, shop, "is the red one in size M in stock?")
		got := waitMessage(t, shop, `m.role === 'bot' && m.source === 'central'`)
		if strings.Contains(fmt.Sprint(got["text"]), "red / M") {
			if !strings.Contains(fmt.Sprint(got["text"]), "3 left") {
				t.Fatalf("stock answer %q lacks the variant's stock", got["text"])
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no product answer; last %v", got)
		}
	}
	card, err := chromedp.Run(ctx, chromedp.Poll[string](shadow(`(document.getElementById('kefu-widget').shadowRoot.querySelector('.card .card-name') || {}).textContent || ''`),
		chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || card != "Aurora Storm Jacket" {
		t.Fatalf("product card: %q %v", card, err)
	}
	screenshot(t, shop, "knowledge.png")
}

// shadow wraps an expression that yields "" until it holds.
func shadow(expr string) string { return `(() => { const v = ` + expr + `; return v || null; })()` }
