package central

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestAdminConsoleInBrowser drives the console's admin page in headless
// Chromium as the demo owner: the Admin link in the navigation, a site
// added with an allowed origin, a server-side validation error shown, an
// agent added with role and language (its one-time password shown once),
// an API key created with scopes (the key shown once), a tenant setting
// refused with the server's reason and then set, and the
// audit log listing those actions; a webhook added from the page (its secret
// shown once) with its delivery in the log; markup in a name stays text. An agent
// with role "agent" sees no Admin link. The new agent signing in with the
// one-time password must choose its own first (POST /v1/password). Screenshots:
// test-artifacts/admin-desktop.png, admin-webhooks.png and admin-phone.png (390 px).
func TestAdminConsoleInBrowser(t *testing.T) {
	e := newEnv(t)
	s := e.start(fastWebhooks(e.config()))
	a := newApp(t, s)
	addr := listen(t, a.app)
	if _, _, err := s.Admin().AddAgent(t.Context(), admin.Actor("test"), admin.NewAgent{Tenant: "demo", Email: "plain@demo.kefu",
		Name: "Plain Agent", Role: store.RoleAgent, Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}

	p := newBrowserPage(t, 120*time.Second)
	ctx, do, text, shot := p.ctx, p.do, p.text, p.shot
	do(
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("admin-link")),
		chromedp.Click(chromedp.ID("admin-link")),
		chromedp.WaitVisible(chromedp.ID("site-form")),
		chromedp.WaitVisible(chromedp.CSS(`#key-scopes input[value="conversations:read"]`)),
	)

	// A site with a bad origin: the server's reason is shown, nothing added.
	do(
		chromedp.SetValue(chromedp.ID("site-key"), "shop-eu"),
		chromedp.SetValue(chromedp.ID("site-name"), "<b>EU shop</b>"),
		chromedp.SetValue(chromedp.ID("site-origins"), "not a url"),
		chromedp.Click(chromedp.CSS(`#site-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("adm-error")),
	)
	if msg := text("#adm-error"); !strings.Contains(msg, "origin") {
		t.Fatalf("validation error %q", msg)
	}
	do(
		chromedp.SetValue(chromedp.ID("site-origins"), "https://shop.example"),
		chromedp.Click(chromedp.CSS(`#site-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#site-table tr[data-site="shop-eu"]`)),
	)
	if row := text(`#site-table tr[data-site="shop-eu"]`); !strings.Contains(row, "<b>EU shop</b>") || !strings.Contains(row, "https://shop.example") {
		t.Fatalf("site row %q", row)
	}
	if site, err := s.st.Site(t.Context(), "shop-eu"); err != nil || len(site.Origins) != 1 || site.Origins[0] != "https://shop.example" {
		t.Fatalf("stored site %+v %v", site, err)
	}

	// An agent with role and language: the one-time password is shown once.
	do(
		chromedp.SetValue(chromedp.ID("agent-email"), "new.agent@demo.kefu"),
		chromedp.SetValue(chromedp.ID("agent-name"), "New Agent"),
		chromedp.SetValue(chromedp.ID("agent-role"), "admin"),
		chromedp.SetValue(chromedp.ID("agent-lang"), "de"),
		chromedp.Click(chromedp.CSS(`#agent-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("agent-password")),
		chromedp.WaitVisible(chromedp.CSS(`#agent-table tr[data-email="new.agent@demo.kefu"]`)),
	)
	pw := text("#agent-password")
	if len(pw) < 10 {
		t.Fatalf("one-time password %q", pw)
	}
	if row := text(`#agent-table tr[data-email="new.agent@demo.kefu"]`); !strings.Contains(row, "must set password") || !strings.Contains(row, "de") {
		t.Fatalf("agent row %q", row)
	}
	var lr LoginReply
	if code := a.do("POST", "/v1/login", "", LoginRequest{Tenant: "demo", Email: "new.agent@demo.kefu", Password: pw}, &lr); code != 200 || !lr.Agent.MustChangePassword || lr.Agent.Role != store.RoleAdmin || lr.Agent.Lang != "de" {
		t.Fatalf("one-time password login: %d %+v", code, lr)
	}

	// An API key with one scope: the key is shown once and works.
	do(
		chromedp.SetValue(chromedp.ID("key-name"), "shop backend"),
		chromedp.Click(chromedp.CSS(`#key-scopes input[value="conversations:read"]`)),
		chromedp.Click(chromedp.CSS(`#key-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("key-value")),
	)
	key := text("#key-value")
	var me MeView
	if code := a.do("GET", "/v1/me", key, nil, &me); code != 200 || len(me.Scopes) != 1 || me.Scopes[0] != "conversations:read" {
		t.Fatalf("new key: %d %+v", code, me)
	}
	if row := text(`#key-table tbody tr`); !strings.Contains(row, "shop backend") || !strings.Contains(row, "active") {
		t.Fatalf("key row %q", row)
	}

	// A webhook: a refused URL shows the server's reason; then one event
	// chosen, the signing secret shown once, the delivery in its log.
	rc := newReceiver(t, "")
	do(
		chromedp.WaitVisible(chromedp.CSS(`#hook-events input[value="conversation.created"]`)),
		chromedp.SetValue(chromedp.ID("hook-url"), "http://crm.example/hook"),
		chromedp.Click(chromedp.CSS(`#hook-events input[value="conversation.created"]`)),
		chromedp.Click(chromedp.CSS(`#hook-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("adm-error")),
	)
	if msg := text("#adm-error"); !strings.Contains(msg, "url") {
		t.Fatalf("webhook url error %q", msg)
	}
	do(
		chromedp.SetValue(chromedp.ID("hook-url"), rc.srv.URL+"/kefu"),
		chromedp.Click(chromedp.CSS(`#hook-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("hook-value")),
		chromedp.WaitVisible(chromedp.CSS(`#hook-table tbody tr[data-id]`)),
	)
	secret := text("#hook-value")
	rc.mu.Lock()
	rc.secret = secret
	rc.mu.Unlock()
	hooks, _ := s.st.Webhooks(bg, "demo")
	if len(hooks) != 1 || hooks[0].Secret != secret || len(hooks[0].Events) != 1 || hooks[0].Events[0] != "conversation.created" {
		t.Fatalf("stored webhooks %+v", hooks)
	}
	e.publish(envelope("demo", "v-admin-hook", "", chat.NewID(), "hello", "en"))
	poll.Until(t, 10*time.Second, func() error {
		if rc.count("conversation.created") != 1 {
			return errors.New("not delivered yet")
		}
		return nil
	})
	rc.check()
	poll.Until(t, 10*time.Second, func() error { // recorded just after the receiver's answer
		if log, _ := s.st.WebhookDeliveries(bg, "demo", hooks[0].ID, 0); len(log) != 1 || log[0].Status != store.DeliveryDelivered {
			return fmt.Errorf("log %+v", log)
		}
		return nil
	})
	do(
		chromedp.Click(chromedp.Search(`//table[@id="hook-table"]//button[.="Deliveries"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hook-log-table tr[data-status="delivered"][data-event="conversation.created"]`)),
	)
	if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("adm-webhooks"))); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(filepath.Join(artifactDir(t), "admin-webhooks.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	// Tenant settings: a bad value shows the server's reason; a good one is stored.
	row := `#set-table tr[data-key="forecast.default_promotions"]`
	do(
		chromedp.WaitVisible(chromedp.CSS(row+` input`)),
		chromedp.SetValue(chromedp.CSS(row+` input`), "perhaps"),
		chromedp.Click(chromedp.CSS(row+` button.primary`)),
		chromedp.WaitVisible(chromedp.ID("adm-error")),
	)
	if msg := text("#adm-error"); !strings.Contains(msg, "forecast.default_promotions") {
		t.Fatalf("settings error %q", msg)
	}
	do(
		chromedp.SetValue(chromedp.CSS(row+` input`), "false"),
		chromedp.Click(chromedp.CSS(row+` button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(row+` button.ghost`)),
	)
	var sv SettingsView
	if code := a.do("GET", "/v1/admin/settings", key, nil, &sv); code != 403 {
		t.Fatalf("read-only key reads settings: %d", code)
	}
	if code := a.do("POST", "/v1/login", "", LoginRequest{Tenant: "demo", Email: demoEmail, Password: demoPassword}, &lr); code != 200 {
		t.Fatal(code)
	}
	if code := a.do("GET", "/v1/admin/settings", lr.Token, nil, &sv); code != 200 || sv.Settings["forecast.default_promotions"] != "false" {
		t.Fatalf("stored settings: %d %v", code, sv.Settings)
	}

	// The audit log lists what was done, newest first.
	do(chromedp.WaitVisible(chromedp.Search(`//table[@id="audit-table"]//tr[@data-action="apikey.create"]`)))
	audit := text("#audit-table")
	for _, want := range []string{"shop-eu", "new.agent@demo.kefu", "shop backend", "webhook.create"} {
		if !strings.Contains(audit, want) {
			t.Fatalf("audit log lacks %q:\n%s", want, audit)
		}
	}
	shot("admin-desktop.png")
	do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#audit-table tr[data-action]`)))
	shot("admin-phone.png")

	// An agent-role login sees no Admin link, and the admin page refuses.
	do(
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), "plain@demo.kefu"),
		chromedp.SetValue(chromedp.ID("login-password"), "a long enough password"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.CSS(".conn-on")),
	)
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('admin-link').offsetParent === null`)); err != nil || !v {
		t.Fatalf("agent sees the Admin link: %v %v", v, err)
	}
	do(chromedp.Navigate("http://"+addr+"/console/admin.html"), chromedp.WaitVisible(chromedp.ID("adm-forbidden")))

	// First sign-in with the one-time password: choose a new one first; a
	// too short one is refused with the server's reason.
	do(
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), "new.agent@demo.kefu"),
		chromedp.SetValue(chromedp.ID("login-password"), pw),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("pw-new")),
		chromedp.SetValue(chromedp.ID("pw-new"), "short1"),
		chromedp.SetValue(chromedp.ID("pw-repeat"), "short1"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('pw-new').removeAttribute('minlength')`),
		chromedp.Click(chromedp.ID("pw-submit")),
		chromedp.WaitVisible(chromedp.ID("pw-error")),
	)
	if msg := text("#pw-error"); !strings.Contains(msg, "password") {
		t.Fatalf("short password error %q", msg)
	}
	do(
		chromedp.SetValue(chromedp.ID("pw-new"), "my own long password"),
		chromedp.SetValue(chromedp.ID("pw-repeat"), "my own long password"),
		chromedp.Click(chromedp.ID("pw-submit")),
		chromedp.WaitVisible(chromedp.ID("admin-link")),
	)
	if code := a.do("POST", "/v1/login", "", LoginRequest{Tenant: "demo", Email: "new.agent@demo.kefu", Password: "my own long password"}, &lr); code != 200 || lr.Agent.MustChangePassword {
		t.Fatalf("new password login: %d %+v", code, lr)
	}
}
