package central

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/central/translate/translatetest"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/poll"
)

// artifactDir is test-artifacts/ at the repository root (git-ignored):
// go test runs a package's tests in its folder (runtime.Caller's file name
// is not a path under -trimpath, which make test builds with).
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestWorkspaceInBrowser drives the three-pane workspace in headless
// Chromium: the queue with team and tags; a German shopper's message with
// its English translation; the widget's local answer reported with its
// question; the customer panel with the page context and CSAT history; the
// knowledge base's suggested answer inserted and edited; a canned reply
// picked with "/" and its variables filled; an internal note that never
// reaches the shopper; a tag; the shopper typing; transfer to a colleague
// with a note; close and the rating shown; keyboard shortcuts (?, Alt+N).
// Screenshots: test-artifacts/console-workspace-*.png.
func TestWorkspaceInBrowser(t *testing.T) {
	srv := translatetest.NewLibreTranslate("")
	defer srv.Close()
	const german = "Wo ist meine Bestellung 12345? Ich möchte mit einem Mitarbeiter sprechen."
	srv.Add(german, "de", "en", "Where is my order 12345? I would like to talk to an employee.")
	srv.Add("Thanks for waiting, Visitor hans! Your order 12345 ships today. — Demo agent", "en", "de",
		"Danke fürs Warten, Visitor hans! Ihre Bestellung 12345 wird heute verschickt. — Demo agent")
	e := newEnv(t)
	cfg := e.config()
	cfg.WorkSettings = func(context.Context, string) (map[string]string, error) {
		return map[string]string{SettingTranslateProvider: "libretranslate", SettingTranslateURL: srv.URL}, nil
	}
	s := e.start(cfg)
	a := newApp(t, s)
	addr := listen(t, a.app)
	st := s.Store()
	addAgent(t, s, "demo", "bob@demo.kefu", "bobpassword")
	bob, _ := st.AgentByEmail(bg, "demo", "bob@demo.kefu")
	ann, _ := st.AgentByEmail(bg, "demo", demoEmail)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.PutAgentProfile(bg, store.AgentProfile{Tenant: "demo", Agent: ann.ID, Lang: "en", Capacity: 4, Teams: []string{"support"}}))
	must(st.PutAgentProfile(bg, store.AgentProfile{Tenant: "demo", Agent: bob.ID, Lang: "en", Capacity: 2, Teams: []string{"billing"}}))
	must(st.SetPresence(bg, "demo", bob.ID, store.Presence{Status: store.PresenceOnline, Seen: time.Now(), Active: time.Now()}))
	must(st.PutTeam(bg, store.Team{Tenant: "demo", ID: "billing", Name: "Billing"}))
	must(st.PutTeam(bg, store.Team{Tenant: "demo", ID: "support", Name: "Support"}))
	must(st.PutRules(bg, "demo", []store.Rule{{When: map[string]string{"lang": "de"}, Team: "support"}}))
	must(st.PutCanned(bg, store.Canned{Tenant: "demo", Shortcut: "thanks", Text: "Thanks for waiting, {name}! Your order {order} ships today. — {agent}"}))

	// A visitor who rated an earlier conversation, then comes back in German
	// from a product page, after the widget answered one question locally.
	old := envelope("demo", "hans", "", chat.NewID(), "hello", "en")
	e.publish(old)
	oldConv := e.event(chat.EventOpened).ConversationID
	e.consumerIdle()
	if _, err := st.CloseConversation(bg, "demo", oldConv, time.Now()); err != nil {
		t.Fatal(err)
	}
	must(st.PutCSAT(bg, "demo", oldConv, "hans", chat.CSAT{Rating: 4, Comment: "schnell"}, time.Now().Add(-24*time.Hour)))
	q := envelope("demo", "hans", "", chat.NewID(), "What is your return policy?", "en")
	q.SetLabel(chat.LabelLocalAnswerID, chat.NewID())
	q.SetLabel(chat.LabelLocalAnswerText, "You can return any item within 30 days.")
	q.SetLabel("url", "https://shop.example/p/storm-jacket")
	q.SetLabel("sku", "AUR-STORM-M-BLU")
	e.publish(q)
	e.consumerIdle()
	de := envelope("demo", "hans", "", chat.NewID(), german, "de")
	e.publish(de)
	conv := e.event(chat.EventHandoff).ConversationID
	// A second, English shopper asks about returns: the suggestion's case.
	e.publish(envelope("demo", "emma", "", chat.NewID(), "What is your return policy? I want a human", "en"))
	e.consumerIdle()

	ctx := browsertest.New(t, 90*time.Second)
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for i, step := range steps {
			sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err := browsertest.Do(sctx, step)
			cancel()
			if err != nil {
				if png, perr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); perr == nil {
					_ = os.WriteFile(filepath.Join(artifactDir(t), "console-workspace-failed.png"), png, 0o644)
				}
				_, _, line, _ := runtime.Caller(1)
				t.Fatalf("do at line %d, step %d: %v", line, i, err)
			}
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	eval := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](js)); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) string {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(artifactDir(t), name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	do(
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".conn-on")),
		chromedp.WaitVisible(chromedp.CSS(`#list li.item[data-id="`+conv+`"] .badge-team`)),
		chromedp.Click(chromedp.CSS(`#list li.item[data-id="`+conv+`"]`)),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"msg-shopper")]/div[contains(@class,"tr") and contains(., "talk to an employee")]`)),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"msg-bot")]/span[contains(., "Answered in the browser")]`)),
		chromedp.WaitVisible(chromedp.Search(`//dl[@id="page"]/dd[contains(., "AUR-STORM-M-BLU")]`)),
		chromedp.WaitVisible(chromedp.Search(`//ul[@id="csat"]/li[contains(., "schnell")]`)),
		chromedp.WaitVisible(chromedp.CSS("#sla .timer")),
	)
	// Claim, then a canned reply with its variables filled in.
	do(
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitNotVisible(chromedp.ID("claim")),
		chromedp.SendKeys(chromedp.ID("reply-text"), "/tha"),
		chromedp.WaitVisible(chromedp.CSS("#canned-pop li.active")),
		chromedp.KeyEvent("\r"),
	)
	reply, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("reply-text")))
	if err != nil || !strings.Contains(reply, "order 12345") || !strings.Contains(reply, "Visitor hans") || strings.Contains(reply, "{") {
		t.Fatalf("canned reply %q %v", reply, err)
	}
	do(chromedp.Click(chromedp.ID("send")), chromedp.WaitVisible(chromedp.CSS("#messages li.msg-agent")))
	if out := e.replyBy(chat.RoleAgent); !strings.Contains(out.Message.Text, "Ihre Bestellung 12345") || out.Message.Original == nil {
		t.Fatalf("canned reply delivered %+v", out.Message)
	}
	// An internal note: shown, stored, never sent to the shopper.
	do(
		chromedp.Click(chromedp.ID("mode-note")),
		chromedp.SendKeys(chromedp.ID("reply-text"), "Customer is a regular, offer free shipping"),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"msg-note")]/div[text()="Customer is a regular, offer free shipping"]`)),
		chromedp.Click(chromedp.ID("mode-reply")),
	)
	if n, _ := st.Notes(bg, "demo", conv); len(n) != 1 {
		t.Fatalf("notes %+v", n)
	}
	// A tag, and the shopper typing.
	do(
		chromedp.SendKeys(chromedp.ID("tag-input"), "shipping\r"),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="tags"]/span[contains(., "shipping")]`)),
	)
	typing := mustJSON(t, chat.Event{V: 1, Type: chat.EventTyping, Tenant: "demo", ConversationID: conv, Visitor: "hans", Reason: "shopper"})
	must(e.nc.Publish(chat.TypingSubject("demo"), typing))
	do(chromedp.WaitVisible(chromedp.ID("typing")))
	// The agent typing reaches the shopper as conversation.typing.
	do(chromedp.SendKeys(chromedp.ID("reply-text"), "One moment"))
	for ev := e.event(chat.EventTyping); ev.ConversationID != conv || ev.Agent == ""; ev = e.event(chat.EventTyping) {
	}
	path1 := shot("console-workspace-conversation.png")

	// The English shopper: the knowledge base suggests the return policy.
	eval(`document.getElementById('reply-text').value = ''`)
	emma := ""
	if list, _ := st.Conversations(bg, "demo", store.Filter{Status: store.StatusQueued}); len(list) == 1 && list[0].Visitor == "emma" {
		emma = list[0].ID
	} else {
		t.Fatalf("queue %+v", list)
	}
	do(
		chromedp.Click(chromedp.CSS(`#list li.item[data-id="`+emma+`"]`)),
		chromedp.WaitVisible(chromedp.ID("suggest")),
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitNotVisible(chromedp.ID("claim")),
		chromedp.Click(chromedp.ID("suggest-insert")),
	)
	sugg, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("reply-text")))
	if !strings.Contains(strings.ToLower(sugg), "30") {
		t.Fatalf("suggestion inserted %q", sugg)
	}
	// Transfer to Bob with a note.
	do(
		chromedp.Click(chromedp.ID("transfer")),
		chromedp.WaitVisible(chromedp.ID("transfer-form")),
		chromedp.SetValue(chromedp.ID("transfer-agent"), bob.ID),
		chromedp.SendKeys(chromedp.ID("transfer-note"), "Return label question, Bob knows the carrier"),
		chromedp.Click(chromedp.CSS(`#transfer-form button[type="submit"]`)),
		chromedp.WaitNotVisible(chromedp.ID("transfer-form")),
	)
	poll.Until(t, 5*time.Second, func() error {
		list, _ := st.Conversations(bg, "demo", store.Filter{Status: store.StatusAssigned})
		for _, c := range list {
			if c.Visitor == "emma" && c.Agent == bob.ID {
				return nil
			}
		}
		return errors.New("not transferred yet")
	})

	// Back to Hans: close; the shopper's rating shows in the panel.
	do(
		chromedp.Click(chromedp.CSS(`.tab[data-status="mine"]`)),
		chromedp.Click(chromedp.CSS(`#list li.item[data-id="`+conv+`"]`)),
		chromedp.WaitVisible(chromedp.ID("close")),
	)
	eval(`window.confirm = function () { return true; }`)
	do(chromedp.Click(chromedp.ID("close")), chromedp.WaitVisible(chromedp.ID("reopen")))
	e.event(chat.EventCSATRequest)
	rate := envelope("demo", "hans", conv, chat.NewID(), "Sehr hilfreich", "de")
	rate.SetLabel(chat.LabelCSAT, "5")
	e.publish(rate)
	do(chromedp.WaitVisible(chromedp.Search(`//ul[@id="csat"]/li[contains(., "Sehr hilfreich")]`)))
	if got := text("#csat"); !strings.Contains(got, "★★★★★") {
		t.Fatalf("csat panel %q", got)
	}
	path2 := shot("console-workspace-closed.png")
	// Keyboard: ? shows the shortcuts, Esc hides them.
	eval(`document.activeElement && document.activeElement.blur()`)
	do(chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.ID("shortcuts")))
	eval(`document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}))`)
	do(chromedp.WaitNotVisible(chromedp.ID("shortcuts")))
	// A phone (390 px): the conversation stays readable and the reply box usable.
	do(chromedp.EmulateViewport(390, 844), chromedp.WaitVisible(chromedp.ID("reply-text")))
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Fatalf("the console is %d px wide on a 390 px phone (%v)", w, err)
	}
	path3 := shot("console-workspace-phone.png")
	t.Logf("screenshots: %s, %s, %s", path1, path2, path3)
}
