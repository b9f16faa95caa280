package central

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/central/proactive"
	"github.com/kefu-io/kefu/chat"
)

// TestReportsInBrowser drives the reports page in headless Chromium over
// 35 days of demo history and one staff alert: the key figures with the
// demo badge, four charts (uPlot), a click on a chart point that lists the
// conversations behind it, agents, channels, hot topics, the forecast with
// staffing, QA (with a promise outside policy quoted against the
// knowledge) and the alert (its shopper text rendered as text).
// Screenshots: test-artifacts/reports-*.png.
func TestReportsInBrowser(t *testing.T) {
	e, s, api, _ := analyticsService(t)
	end := time.Now()
	if _, _, err := s.SeedDemo(bg, demo.Options{Tenant: "demo", Days: 35, End: end, PerDay: 25, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	en := envelope("demo", "v-alert", "", chat.NewID(), "<b>lawyer</b> <img src=x onerror=alert(1)>", "en")
	en.SetLabel("alert", "lawyer")
	e.publish(en)
	e.consumerIdle()
	// An agent promises what the knowledge contradicts (QA's off_policy).
	ingestDemoDocs(t, s, "shipping/ship-canary-islands.md")
	agentConversation(t, s, "v-off-policy", "How much is shipping to Lanzarote?", "Hello! Shipping is free for you. Anything else?", end.Add(-time.Hour))
	addr := listen(t, api.app)
	tok := api.login("demo", demoEmail, demoPassword)
	if code := api.do("PUT", "/v1/proactive/rules/late", tok, proactive.Rule{ID: "late", Name: "Order delayed", Trigger: proactive.TriggerEvent,
		EventType: "order.delayed", Text: map[string]string{"en": "Your order is late."}, Enabled: true}, nil); code != 200 {
		t.Fatalf("put rule: %d", code)
	}

	p := newBrowserPage(t, 90*time.Second)
	p.quality = 90
	ctx, do, text, shot := p.ctx, p.do, p.text, p.shot
	do(
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("reports-link")),
		chromedp.Click(chromedp.ID("reports-link")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)),
	)
	kpis := text("#kpis")
	for _, want := range []string{"Conversations", "Deflection", "First response p50", "CSAT", "SLA met", "Conversion"} {
		if !strings.Contains(kpis, want) {
			t.Errorf("key figures lack %q: %s", want, kpis)
		}
	}
	if badge := text("#demo-badge"); badge != "demo data" {
		t.Errorf("demo badge %q", badge)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.chart canvas').length`))
	if err != nil || n < 5 {
		t.Fatalf("%d chart canvases: %v", n, err)
	}
	for sel, want := range map[string]string{"#agents": "(demo)", "#channels": "wechat", "#topics": "order_status", "#forecast-note": "Erlang C",
		"#proactive": "demo-order-delayed", "#proactive-note": "assumption of the generator", "#proactive-rules": "late — Order delayed"} {
		if got := text(chromedp.CSS(sel)); !strings.Contains(got, want) {
			t.Errorf("%s lacks %q: %s", sel, want, got)
		}
	}
	if qaText := text("#qa"); !strings.Contains(qaText, "Promise outside policy: “Shipping is free for you.”") || !strings.Contains(qaText, "$14.90") {
		t.Errorf("QA table lacks the off-policy finding: %s", qaText)
	}
	alerts := text("#alerts")
	if !strings.Contains(alerts, "<b>lawyer</b>") {
		t.Errorf("alert text not shown as text: %s", alerts)
	}
	if imgs, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#alerts img, #alerts b').length`)); imgs != 0 {
		t.Fatalf("shopper text became HTML (%d elements)", imgs)
	}
	shot("reports-overview.png")
	// Drill down: click the volume chart at 70% of its width (real mouse
	// events: uPlot follows the pointer, the page lists that day).
	xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(function(){var o=document.querySelector('#c-volume .u-over');o.scrollIntoView();
		var r=o.getBoundingClientRect();return [r.left+r.width*0.7, r.top+r.height/2]})()`))
	if err != nil || len(xy) != 2 {
		t.Fatalf("chart position %v %v", xy, err)
	}
	do(chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0]-5, xy[1]), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, xy[0], xy[1]), chromedp.MouseClickXY(xy[0], xy[1]))
	do(chromedp.WaitVisible(chromedp.CSS("#drill-rows tr")))
	if title := text("#drill-title"); !strings.Contains(title, "conversations") {
		t.Errorf("drill title %q", title)
	}
	shot("reports-drilldown.png")
}
