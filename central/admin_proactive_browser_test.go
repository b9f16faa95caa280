package central

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/proactive"
)

// TestProactiveRulesInBrowser drives the Proactive notices section of the
// admin page in headless Chromium as the demo owner: an order.delayed
// event rule created through the form in two languages with its control
// group, frequency cap and quiet hours; a refused idle rule showing the
// server's reason, then an idle offer on product pages; a scheduled
// regional-promotion campaign; an edit that keeps the message; a rule
// disabled and one deleted. Each step is checked against GET
// /v1/proactive/rules; a rule's markup stays text. Screenshots:
// test-artifacts/admin-proactive.png (desktop) and
// admin-proactive-phone.png (390 px).
func TestProactiveRulesInBrowser(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addr := listen(t, a.app)
	tok := a.login("demo", demoEmail, demoPassword)
	old := proactive.Rule{ID: "old-promo", Name: "<b>Old</b>", Trigger: proactive.TriggerEvent, EventType: "order.shipped",
		Text: map[string]string{"en": `<img src=x onerror="document.title='owned'">Shipped!`}, Enabled: true}
	if code := a.do("PUT", "/v1/proactive/rules/old-promo", tok, old, nil); code != 200 {
		t.Fatalf("put rule: %d", code)
	}
	rules := func() map[string]RuleView {
		t.Helper()
		var list []RuleView
		if code := a.do("GET", "/v1/proactive/rules", tok, nil, &list); code != 200 {
			t.Fatalf("list rules: %d", code)
		}
		out := map[string]RuleView{}
		for _, r := range list {
			out[r.ID] = r
		}
		return out
	}

	p := newBrowserPage(t, 120*time.Second)
	ctx, do, text := p.ctx, p.do, p.text
	// trigger picks the rule's kind as a user does: the select changes and says so.
	trigger := func(v string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('rule-trigger');s.value=` + "'" + v + "'" +
			`;s.dispatchEvent(new Event('change'))})()`)
	}
	textRow := func(n int, part string) chromedp.CSS {
		return chromedp.CSS("#rule-texts .adm-text-row:nth-child(" + string(rune('0'+n)) + ") " + part)
	}
	submit := chromedp.Click(chromedp.ID("rule-submit"))
	do(
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("admin-link")),
		chromedp.Click(chromedp.ID("admin-link")),
		chromedp.WaitVisible(chromedp.ID("rule-form")),
		chromedp.WaitVisible(chromedp.CSS(`#rule-table tr[data-id="old-promo"]`)),
		// confirm() answers yes, as the owner would.
		chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`),
	)
	if row := text(`#rule-table tr[data-id="old-promo"]`); !strings.Contains(row, "<b>Old</b>") || !strings.Contains(row, "<img src=x") {
		t.Fatalf("rule markup not shown as text: %q", row)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rule-table img, #rule-table b').length`)); err != nil || n != 0 {
		t.Fatalf("rule text became HTML (%d elements): %v", n, err)
	}

	// An order.delayed message in English and Chinese with its limits.
	do(
		chromedp.SetValue(chromedp.ID("rule-id"), "late-orders"),
		chromedp.SetValue(chromedp.ID("rule-name"), "Order delayed"),
		trigger("event"),
		chromedp.SetValue(chromedp.ID("rule-event"), "order.delayed"),
		chromedp.SetValue(textRow(1, "textarea"), "Your order {order_id} is running late, sorry! It ships within 2 days."),
		chromedp.Click(chromedp.ID("rule-add-lang")),
		chromedp.WaitVisible(textRow(2, "input")),
		chromedp.SetValue(textRow(2, "input"), "zh"),
		chromedp.SetValue(textRow(2, "textarea"), "您的订单 {order_id} 延迟了，非常抱歉！"),
		chromedp.SetValue(chromedp.ID("rule-control"), "20"),
		chromedp.SetValue(chromedp.ID("rule-cap"), "2"),
		chromedp.SetValue(chromedp.ID("rule-window"), "48h"),
		chromedp.SetValue(chromedp.ID("rule-quiet"), "22:00-08:00 @Asia/Shanghai"),
		submit,
		chromedp.WaitVisible(chromedp.CSS(`#rule-table tr[data-id="late-orders"]`)),
	)
	r, ok := rules()["late-orders"]
	if !ok || r.Name != "Order delayed" || r.Trigger != proactive.TriggerEvent || r.EventType != "order.delayed" || !r.Enabled ||
		r.Text["en"] != "Your order {order_id} is running late, sorry! It ships within 2 days." || r.Text["zh"] != "您的订单 {order_id} 延迟了，非常抱歉！" ||
		r.ControlPct == nil || *r.ControlPct != 20 || r.Cap != 2 || time.Duration(r.CapWindow) != 48*time.Hour || r.QuietHours != "22:00-08:00 @Asia/Shanghai" {
		t.Fatalf("stored event rule %+v", r)
	}
	if row := text(`#rule-table tr[data-id="late-orders"]`); !strings.Contains(row, "event order.delayed") || !strings.Contains(row, "2 per 48h") ||
		!strings.Contains(row, "20%") || !strings.Contains(row, "zh: 您的订单") {
		t.Fatalf("event rule row %q", row)
	}

	// An idle offer: too short an idle time shows the server's reason.
	do(
		chromedp.SetValue(chromedp.ID("rule-id"), "idle-offer"),
		chromedp.SetValue(chromedp.ID("rule-name"), "Size help"),
		trigger("idle"),
		chromedp.WaitVisible(chromedp.ID("rule-idle")),
		chromedp.SetValue(chromedp.ID("rule-idle"), "2"),
		chromedp.SetValue(chromedp.ID("rule-url"), "/products/"),
		chromedp.Click(chromedp.ID("rule-sku")),
		chromedp.SetValue(textRow(1, "textarea"), "Need help choosing a size?"),
		submit,
		chromedp.WaitVisible(chromedp.ID("adm-error")),
	)
	if msg := text("#adm-error"); !strings.Contains(msg, "idle_s") {
		t.Fatalf("idle validation error %q", msg)
	}
	if _, ok := rules()["idle-offer"]; ok {
		t.Fatal("refused rule stored")
	}
	do(
		chromedp.SetValue(chromedp.ID("rule-idle"), "45"),
		submit,
		chromedp.WaitVisible(chromedp.CSS(`#rule-table tr[data-id="idle-offer"]`)),
	)
	if r := rules()["idle-offer"]; r.Trigger != proactive.TriggerIdle || r.IdleS != 45 || r.URLContains != "/products/" || !r.RequireSKU || r.Control() != 10 ||
		r.Text["en"] != "Need help choosing a size?" || r.EventType != "" {
		t.Fatalf("stored idle rule %+v", r)
	}

	// A scheduled regional promotion.
	do(
		chromedp.SetValue(chromedp.ID("rule-id"), "spring-eu"),
		chromedp.SetValue(chromedp.ID("rule-name"), "Spring sale"),
		trigger("campaign"),
		chromedp.WaitVisible(chromedp.ID("rule-at")),
		chromedp.SetValue(chromedp.ID("rule-at"), "2027-03-21T09:30"),
		chromedp.SetValue(chromedp.ID("rule-audience"), "60"),
		chromedp.SetValue(chromedp.ID("rule-region"), "eu"),
		chromedp.Click(chromedp.ID("rule-promotion")),
		chromedp.SetValue(textRow(1, "textarea"), "Spring offers are on."),
		chromedp.SetValue(chromedp.ID("rule-quiet"), "-"),
		submit,
		chromedp.WaitVisible(chromedp.CSS(`#rule-table tr[data-id="spring-eu"]`)),
	)
	if r := rules()["spring-eu"]; r.Trigger != proactive.TriggerCampaign || !r.At.Equal(time.Date(2027, 3, 21, 9, 30, 0, 0, time.UTC)) || r.AudienceDays != 60 ||
		r.Region != "eu" || !r.Promotion || r.QuietHours != "-" {
		t.Fatalf("stored campaign %+v", r)
	}

	// Edit: the form starts from the stored rule; the message stays.
	do(
		chromedp.Click(chromedp.Search(`//tr[@data-id="late-orders"]//button[.="Edit"]`)),
		chromedp.WaitVisible(chromedp.ID("rule-cancel")),
		chromedp.SetValue(chromedp.ID("rule-name"), "Order delayed (v2)"),
		submit,
		chromedp.WaitVisible(chromedp.Search(`//tr[@data-id="late-orders"]/td[contains(., "Order delayed (v2)")]`)),
	)
	if r := rules()["late-orders"]; r.Name != "Order delayed (v2)" || len(r.Text) != 2 || r.Cap != 2 || r.QuietHours != "22:00-08:00 @Asia/Shanghai" {
		t.Fatalf("edited rule %+v", r)
	}

	// Disable the idle offer; delete the old rule.
	do(
		chromedp.Click(chromedp.Search(`//tr[@data-id="idle-offer"]//button[.="Disable"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#rule-table tr[data-id="idle-offer"][data-enabled="false"]`)),
		chromedp.Click(chromedp.Search(`//tr[@data-id="old-promo"]//button[.="Delete"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#rule-table tr[data-id="old-promo"]`)),
	)
	all := rules()
	if r := all["idle-offer"]; r.Enabled || r.IdleS != 45 || r.Text["en"] == "" {
		t.Fatalf("disabled rule %+v", r)
	}
	if _, ok := all["old-promo"]; ok || len(all) != 3 {
		t.Fatalf("rules after delete: %+v", all)
	}
	if title, _ := chromedp.Run(ctx, chromedp.Title()); title == "owned" {
		t.Fatal("a rule's text ran as script")
	}

	// The admin page scrolls inside .adm: a viewport as tall as its
	// content lets the section be captured whole.
	section := func(name string, width int64, mobile bool) {
		t.Helper()
		h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.querySelector('.adm').scrollHeight`))
		if err != nil {
			t.Fatal(err)
		}
		var opts []chromedp.EmulateViewportOption
		if mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		do(chromedp.EmulateViewport(width, h+40, opts...), chromedp.WaitVisible(chromedp.CSS(`#rule-table tr[data-id="spring-eu"]`)))
		png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("adm-proactive")))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(artifactDir(t), name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	section("admin-proactive.png", 1280, false)
	do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#rule-table tr[data-id="spring-eu"]`)))
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("page is %d px wide on a 390 px phone: %v", w, err)
	}
	section("admin-proactive-phone.png", 390, true)
}
