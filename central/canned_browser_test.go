package central

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/internal/poll"
)

// TestCannedRepliesInBrowser drives the console's canned replies page in
// headless Chromium as the demo owner: the Canned link, the empty list, a
// shortcut refused in the page, a reply created with a variable inserted
// from its button and previewed with example values, edited and renamed,
// markup kept as text, searched, deleted; a plain agent's save refused by
// the server (settings:write) with the reason shown. Each change is checked
// in the store. Screenshots: test-artifacts/console-canned-desktop.png and
// console-canned-phone.png (390 px).
func TestCannedRepliesInBrowser(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addr := listen(t, a.app)
	addAgent(t, s, "demo", "plain@demo.kefu", "a long enough password")
	stored := func(want map[string]string) {
		t.Helper()
		poll.Until(t, 10*time.Second, func() error {
			l, err := s.Store().Canned(t.Context(), "demo")
			if err != nil {
				return err
			}
			got := map[string]string{}
			for _, c := range l {
				got[c.Shortcut] = c.Text
			}
			if len(got) != len(want) {
				return fmt.Errorf("stored %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					return fmt.Errorf("stored %v, want %v", got, want)
				}
			}
			return nil
		})
	}

	p := newBrowserPage(t, 60*time.Second)
	do, text, shot := p.do, p.text, p.shot
	eval := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[any](js)); err != nil {
			t.Fatal(err)
		}
	}
	do(
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("canned-link")),
		chromedp.Click(chromedp.ID("canned-link")),
		chromedp.WaitVisible(chromedp.ID("cn-form")),
		chromedp.WaitVisible(chromedp.Search(`//td[contains(., "No canned replies yet")]`)),
	)

	// A shortcut with spaces is refused before anything is sent.
	do(
		chromedp.SetValue(chromedp.ID("cn-shortcut"), "Bad Shortcut!"),
		chromedp.SetValue(chromedp.ID("cn-text"), "hello"),
		chromedp.Click(chromedp.ID("cn-save")),
		chromedp.WaitVisible(chromedp.ID("cn-error")),
	)
	if msg := text(chromedp.CSS("#cn-error")); !strings.Contains(msg, "shortcut") {
		t.Fatalf("error %q", msg)
	}
	stored(map[string]string{})

	// Created with {name} typed and {order} inserted by its button; the
	// preview fills both with example values.
	eval(`document.getElementById('cn-text').value = ''`)
	do(
		chromedp.SetValue(chromedp.ID("cn-shortcut"), "thanks"),
		chromedp.SendKeys(chromedp.ID("cn-text"), "Thanks {name}! Order "),
		chromedp.Click(chromedp.Search(`//button[contains(@class,"cn-var") and .="{order}"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="cn-preview" and contains(., "Thanks Anna! Order 12345")]`)),
		chromedp.Click(chromedp.ID("cn-save")),
		chromedp.WaitVisible(chromedp.CSS(`#cn-table tr[data-shortcut="thanks"]`)),
		chromedp.WaitNotVisible(chromedp.ID("cn-error")),
	)
	stored(map[string]string{"thanks": "Thanks {name}! Order {order}"})
	if row := text(chromedp.CSS(`#cn-table tr[data-shortcut="thanks"]`)); !strings.Contains(row, "/thanks") || !strings.Contains(row, "Thanks Anna! Order 12345") {
		t.Fatalf("row %q", row)
	}

	// A second one whose markup stays text.
	do(
		chromedp.SetValue(chromedp.ID("cn-shortcut"), "bold"),
		chromedp.SetValue(chromedp.ID("cn-text"), "<b>not bold</b> {agent}"),
		chromedp.Click(chromedp.ID("cn-save")),
		chromedp.WaitVisible(chromedp.CSS(`#cn-table tr[data-shortcut="bold"]`)),
	)
	stored(map[string]string{"thanks": "Thanks {name}! Order {order}", "bold": "<b>not bold</b> {agent}"})
	if row := text(chromedp.CSS(`#cn-table tr[data-shortcut="bold"] td.cn-text`)); row != "<b>not bold</b> {agent}" {
		t.Fatalf("markup row %q", row)
	}

	// Edited and renamed: /thanks becomes /thanks-order with a new text.
	do(
		chromedp.Click(chromedp.CSS(`#cn-table tr[data-shortcut="thanks"] .cn-edit`)),
		chromedp.WaitVisible(chromedp.Search(`//h2[@id="cn-form-title" and .="Edit /thanks"]`)),
		chromedp.SetValue(chromedp.ID("cn-shortcut"), "thanks-order"),
		chromedp.SetValue(chromedp.ID("cn-text"), "Thank you {name}, order {order} ships today."),
		chromedp.Click(chromedp.ID("cn-save")),
		chromedp.WaitVisible(chromedp.CSS(`#cn-table tr[data-shortcut="thanks-order"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#cn-table tr[data-shortcut="thanks"]`)),
	)
	stored(map[string]string{"thanks-order": "Thank you {name}, order {order} ships today.", "bold": "<b>not bold</b> {agent}"})

	// Search narrows the list.
	do(
		chromedp.SendKeys(chromedp.ID("cn-filter"), "ships"),
		chromedp.WaitNotPresent(chromedp.CSS(`#cn-table tr[data-shortcut="bold"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#cn-table tr[data-shortcut="thanks-order"]`)),
	)
	shot("console-canned-desktop.png")
	do(
		chromedp.EmulateViewport(390, 844),
		chromedp.WaitVisible(chromedp.CSS(`#cn-table tr[data-shortcut="thanks-order"]`)),
	)
	shot("console-canned-phone.png")
	do(chromedp.EmulateViewport(1280, 900))

	// Deleted (the page asks first).
	eval(`window.confirm = function () { return true; }`)
	do(
		chromedp.Click(chromedp.CSS(`#cn-table tr[data-shortcut="thanks-order"] .cn-delete`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#cn-table tr[data-shortcut="thanks-order"]`)),
	)
	stored(map[string]string{"bold": "<b>not bold</b> {agent}"})

	// A plain agent reads the list but may not change it: the server's
	// refusal is shown and nothing changes.
	tok := a.login("demo", "plain@demo.kefu", "a long enough password")
	eval(`sessionStorage.setItem('kefu.token', ` + strconv.Quote(tok) + `)`)
	do(
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#cn-table tr[data-shortcut="bold"]`)),
		chromedp.SetValue(chromedp.ID("cn-shortcut"), "mine"),
		chromedp.SetValue(chromedp.ID("cn-text"), "hello"),
		chromedp.Click(chromedp.ID("cn-save")),
		chromedp.WaitVisible(chromedp.ID("cn-error")),
	)
	if msg := text(chromedp.CSS("#cn-error")); !strings.Contains(msg, "owners and admins") {
		t.Fatalf("plain agent's error %q", msg)
	}
	stored(map[string]string{"bold": "<b>not bold</b> {agent}"})
}
