package central

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/browsertest"
)

// TestConsoleInBrowser drives the console page in headless Chromium: log in,
// see the queue sorted by priority with badges, open the top conversation,
// claim it and reply; the reply reaches the shopper's region on NATS.
// Set KEFU_SCREENSHOT=file.png to keep a screenshot.
func TestConsoleInBrowser(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addr := listen(t, a.app)

	calm := queued(t, e, "calm-visitor")
	en := envelope("demo", "vip-visitor", "", chat.NewID(), "This is a SCAM, WORST SHOP EVER!! I want a human", "en")
	en.SetLabel("vip", "1")
	e.publish(en)
	urgent := e.event(chat.EventHandoff).ConversationID
	e.consumerIdle()
	for len(e.out) > 0 {
		<-e.out
	}

	p := newBrowserPage(t, 60*time.Second)
	ctx, do, text := p.ctx, p.do, p.text
	attr := func(sel chromedp.CSS, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, name))
		if err != nil {
			t.Fatal(err)
		}
		return v.Value
	}
	do(
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#list li.item:nth-child(2)")),
		chromedp.WaitVisible(chromedp.CSS(".conn-on")),
		// The list re-renders on live events: wait for the badges themselves.
		chromedp.WaitVisible(chromedp.CSS("#list li.item:nth-child(1) .badge-vip")),
	)
	first, second := attr("#list li.item:nth-child(1)", "data-id"), attr("#list li.item:nth-child(2)", "data-id")
	badges := text("#list li.item:nth-child(1) .item-top")
	do(
		chromedp.Click(chromedp.CSS("#list li.item:nth-child(1)")),
		chromedp.WaitVisible(chromedp.CSS("#messages li.msg-shopper")),
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitNotVisible(chromedp.ID("claim")),
		chromedp.SendKeys(chromedp.ID("reply-text"), "Hello, I am here to help."),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.CSS("#messages li.msg-agent")),
	)
	head := text("#conv-meta")
	if first != urgent || second != calm {
		t.Fatalf("queue order %q, %q; want %q, %q", first, second, urgent, calm)
	}
	if b := strings.ToLower(badges); !strings.Contains(b, "vip") || !strings.Contains(b, "angry") {
		t.Fatalf("badges %q", badges)
	}
	if !strings.Contains(strings.ToLower(head), "assigned") {
		t.Fatalf("header %q", head)
	}
	out := e.replyBy(chat.RoleAgent)
	if out.Message.Text != "Hello, I am here to help." || out.Visitor != "vip-visitor" || out.Message.Role != chat.RoleAgent {
		t.Fatalf("outbound %+v", out)
	}
	// A new shopper message appears live in the open conversation.
	e.publish(envelope("demo", "vip-visitor", urgent, chat.NewID(), "thank you, finally", "en"))
	do(chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"msg-shopper")]/div[text()="thank you, finally"]`)))
	if path := os.Getenv("KEFU_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConsoleEraseInBrowser: an erasure request shows its badge in the
// queue; "Erase data" asks for confirmation, calls the endpoint, and the
// conversation then shows tombstones and the "data erased" badge.
func TestConsoleEraseInBrowser(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addr := listen(t, a.app)
	e.publish(erasureEnvelope("gdpr-visitor", chat.NewID(), "Please delete my data", "en"))
	id := e.erasureEvent(ErasureEventRequested).ConversationID
	e.consumerIdle()

	ctx := browsertest.New(t, 60*time.Second)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := browsertest.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	do(
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#list li.item .badge-erasure")),
		chromedp.Click(chromedp.CSS("#list li.item:nth-child(1)")),
		chromedp.WaitVisible(chromedp.ID("erase")),
	)
	// The confirm dialog: record its text and accept.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__asked = []; window.confirm = function (m) { window.__asked.push(m); return true; }; true`)); err != nil {
		t.Fatal(err)
	}
	do(
		chromedp.Click(chromedp.ID("erase")),
		chromedp.WaitVisible(chromedp.CSS("#conv-meta .badge-erased")),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"msg-shopper")]/div[text()="[erased]"]`)),
	)
	asked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__asked`))
	if err != nil || len(asked) != 1 || !strings.Contains(asked[0], "cannot be undone") {
		t.Fatalf("confirm dialog %q %v", asked, err)
	}
	if m, _ := s.Store().Messages(bg, "demo", id, "", 0); len(m) == 0 || m[0].Text != "[erased]" {
		t.Fatalf("store after console erase: %+v", m)
	}
}

// TestConsoleClickSurvivesListRefresh: the queue re-renders on live events;
// a row rebuilt between an agent's press and release swallowed the click
// (press and release on two different nodes), so the conversation did not
// open. The list now waits for the release before it re-renders.
func TestConsoleClickSurvivesListRefresh(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addr := listen(t, a.app)
	first := queued(t, e, "first-visitor")
	e.consumerIdle()

	p := newBrowserPage(t, 60*time.Second)
	p.do(
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#list li.item")),
		chromedp.WaitVisible(chromedp.CSS(".conn-on")),
	)
	xy, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]float64](`(function(){var r=document.querySelector('#list li.item').getBoundingClientRect();
		return [r.left+r.width/2, r.top+r.height/2]})()`))
	if err != nil || len(xy) != 2 {
		t.Fatalf("row position %v %v", xy, err)
	}
	p.do(chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, xy[0], xy[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	// A second shopper joins the queue while the button is down: the page
	// fetches the list again (the queue count shows it).
	queued(t, e, "second-visitor")
	p.do(chromedp.WaitVisible(chromedp.Search(`//*[@id="count-queued"][text()="2"]`)))
	p.do(
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, xy[0], xy[1], chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.WaitVisible(chromedp.CSS("#messages li.msg-shopper")),
		chromedp.WaitVisible(chromedp.CSS("#list li.item:nth-child(2)")), // the refresh held back, then drawn
	)
	if id, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector('#list li.item.selected').dataset.id`)); err != nil || id != first {
		t.Fatalf("selected %q %v, want %q", id, err, first)
	}
}
