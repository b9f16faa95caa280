package stack

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/browsertest"
)

const revealPhone = "13812345678"

// TestRevealInConsole: a shopper writes their phone number; central stores
// only [PHONE] and the vault token; the agent clicks the placeholder in the
// console (real chromium), is asked for a reason, and sees the number,
// marked as revealed; the edge wrote an audit record. Bad paths over HTTP:
// no reason, an unknown token, another tenant's agent. Then `kefu dev`
// restarts on the same data folder: the value is still revealable, and a
// GDPR erasure removes it from the vault file on disk.
func TestRevealInConsole(t *testing.T) {
	t.Parallel()
	requireBuilt(t)
	data := t.TempDir()
	start := func() *Stack {
		s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: data, PluginCache: testPluginCache(),
			AgentPassword: "reveal-secret", Logger: quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := start()
	defer func() { s.Close() }()

	// The shopper, over the widget's WebSocket.
	ws, _ := dialShopper(t, s, chat.Frame{Visitor: "v-reveal"})
	for _, text := range []string{"Please call me on " + revealPhone + " or mail li.lei@example.com about my order", "转人工"} {
		id := chat.NewID()
		ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: text})
		ws.expectAccepted(id)
	}
	ws.c.CloseNow()
	checkStoreMasked(t, s.DBPath, revealPhone, "li.lei@example.com")

	agent := s.login(t, DemoSite, s.AgentEmail, "reveal-secret")
	conv, tok := s.phoneToken(t, agent)

	// The agent reveals it in the console.
	browser := browsertest.New(t, 90*time.Second)
	must(t, chromedp.Listen(browser, func(ev any) {
		if e, ok := ev.(*cdpruntime.EventExceptionThrown); ok {
			t.Logf("console page: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception)
		}
	}))
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	must(t, browsertest.Do(browser,
		chromedp.Navigate(s.URL+"/console/"),
		chromedp.WaitVisible(css(`#login-email`)),
		chromedp.SendKeys(css(`#login-email`), s.AgentEmail),
		chromedp.SendKeys(css(`#login-password`), "reveal-secret"),
		chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`#list li[data-id="`+conv+`"]`)),
		chromedp.Click(css(`#list li[data-id="`+conv+`"]`)),
		chromedp.WaitVisible(css(`#messages button.pii[data-type="PHONE"]`)),
	))
	placeholder, err := chromedp.Run(browser, chromedp.Text(css(`#messages button.pii[data-type="PHONE"]`)))
	must(t, err)
	if placeholder != "[PHONE]" {
		t.Fatalf("placeholder %q", placeholder)
	}
	// Without a reason nothing is asked of the edge.
	must(t, browsertest.Do(browser,
		chromedp.Click(css(`#messages button.pii[data-type="PHONE"]`)),
		chromedp.WaitVisible(css(`#reveal-reason`)),
		chromedp.Click(css(`#reveal-submit`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('reveal-error').textContent.includes('reason')`, chromedp.WithPollingTimeout(5*time.Second)),
	))
	if n := auditLines(t, data); n != 0 {
		t.Fatalf("a reveal without a reason reached the edge (%d audit lines)", n)
	}
	must(t, browsertest.Do(browser,
		chromedp.SendKeys(css(`#reveal-reason`), "courier needs to call the shopper"),
		chromedp.Click(css(`#reveal-submit`)),
		chromedp.WaitVisible(css(`#messages .pii-revealed`)),
	))
	shown, err := chromedp.Run(browser, chromedp.Text(css(`#messages .pii-revealed`)))
	must(t, err)
	tag, err := chromedp.Run(browser, chromedp.Text(css(`#messages .pii-tag`)))
	must(t, err)
	bubble, err := chromedp.Run(browser, chromedp.Text(css(`#messages li.msg-shopper .bubble`)))
	must(t, err)
	if shown != revealPhone || !strings.EqualFold(tag, "revealed") || !strings.Contains(bubble, "call me on "+revealPhone) || !strings.Contains(bubble, "[EMAIL]") {
		t.Fatalf("console shows %q, tag %q, bubble %q", shown, tag, bubble)
	}
	screenshot(t, browser, "console-reveal.png")
	// A refusal is shown in the form: here a token the vault does not know.
	must(t, browsertest.Do(browser,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#messages button.pii[data-type="EMAIL"]').dataset.token = 'pii_unknownunknownunknown'; true`),
		chromedp.Click(css(`#messages button.pii[data-type="EMAIL"]`)),
		chromedp.WaitVisible(css(`#reveal-reason`)),
		chromedp.SendKeys(css(`#reveal-reason`), "check"),
		chromedp.Click(css(`#reveal-submit`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('reveal-error').textContent.includes('Unknown or expired token')`, chromedp.WithPollingTimeout(10*time.Second)),
	))
	if n, err := chromedp.Run(browser, chromedp.Evaluate[int](`document.querySelectorAll('#messages .pii-revealed').length`)); err != nil || n != 1 {
		t.Fatalf("revealed values after a refusal: %d %v", n, err)
	}
	audit := readAudit(t, data)
	if len(audit) != 2 || audit[0]["granted"] != true || audit[0]["agent"] != s.AgentEmail || audit[0]["token"] != tok ||
		audit[0]["reason"] != "courier needs to call the shopper" || audit[0]["type"] != "PHONE" {
		t.Fatalf("audit records %v", audit)
	}

	// Bad paths.
	addAgent(t, s, "other-shop", "eve@other.example", "eve-password-1")
	eve := s.login(t, "other-shop", "eve@other.example", "eve-password-1")
	for _, tc := range []struct {
		name, bearer, body string
		code               int
		want               string
	}{
		{"no reason", agent, `{"token":"` + tok + `","reason":" "}`, 400, "reason is required"},
		{"unknown token", agent, `{"token":"pii_unknownunknownunknown","reason":"check"}`, 404, "unknown token"},
		{"another tenant's agent", eve, `{"token":"` + tok + `","reason":"curious"}`, 404, "unknown token"},
		{"no login", "not-a-token", `{"token":"` + tok + `","reason":"check"}`, 401, "unauthorized"},
	} {
		code, body := s.reveal(t, tc.bearer, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) || strings.Contains(body, revealPhone) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, code, body, tc.code, tc.want)
		}
	}
	if got := readAudit(t, data); len(got) != 4 || got[3]["granted"] != false || got[3]["tenant"] != "other-shop" {
		t.Fatalf("refusals not audited as expected: %v", got)
	}

	// Restart on the same data folder: the value is still there.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = start()
	if code, body := s.reveal(t, agent, `{"token":"`+tok+`","reason":"after restart"}`); code != 200 || !strings.Contains(body, revealPhone) {
		t.Fatalf("after restart: %d %s", code, body)
	}
	// A completed erasure removes it from the vault, on disk too.
	var r map[string]any
	if code := s.api(t, agent, "POST", "/v1/conversations/"+conv+"/erase", &r); code != 200 {
		t.Fatalf("erase: %d %v", code, r)
	}
	// The edge erases in memory first (a reveal answers 404 at once) and
	// then rewrites the file before its erasure handler returns.
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := s.reveal(t, agent, `{"token":"`+tok+`","reason":"after erasure"}`)
		b, err := os.ReadFile(filepath.Join(data, "vault", "local.vault"))
		if code == 404 && err == nil && !bytes.Contains(b, []byte(tok)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after erasure: reveal %d %s; vault file (%v) holds the token: %v", code, body, err, bytes.Contains(b, []byte(tok)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Stack) login(t *testing.T, tenant, email, password string) string {
	t.Helper()
	b, _ := json.Marshal(central.LoginRequest{Tenant: tenant, Email: email, Password: password})
	res, err := http.Post(s.URL+"/v1/login", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r central.LoginReply
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || r.Token == "" {
		t.Fatalf("login %s/%s: %d %v", tenant, email, res.StatusCode, err)
	}
	return r.Token
}

// api calls central's REST API and decodes the JSON answer into out.
func (s *Stack) api(t *testing.T, bearer, method, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

// phoneToken waits for the demo visitor's queued conversation and returns
// it with the vault token central keeps for its [PHONE].
func (s *Stack) phoneToken(t *testing.T, bearer string) (conv, token string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var list []central.ConversationView
		s.api(t, bearer, "GET", "/v1/conversations?status=queued", &list)
		for _, c := range list {
			if c.Region != "local" {
				t.Fatalf("conversation region %q, want local", c.Region)
			}
			var msgs []chat.Message
			s.api(t, bearer, "GET", "/v1/conversations/"+c.ID+"/messages", &msgs)
			for _, m := range msgs {
				if strings.Contains(m.Text, revealPhone) {
					t.Fatalf("central holds the clear number: %q", m.Text)
				}
				if len(m.PII) == 2 && m.PII[0].Type == "PHONE" && m.PII[1].Type == "EMAIL" && m.PII[0].Region == "local" &&
					strings.Contains(m.Text, "[PHONE] or mail [EMAIL]") {
					return c.ID, m.PII[0].Token
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no queued conversation with a [PHONE] token")
	return "", ""
}

func (s *Stack) reveal(t *testing.T, bearer, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/v1/reveal", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func addAgent(t *testing.T, s *Stack, tenant, email, password string) {
	t.Helper()
	h, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	st := s.central.Store()
	if err := st.PutTenant(t.Context(), store.Tenant{ID: tenant, Name: tenant}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutAgent(t.Context(), store.Agent{Tenant: tenant, Email: email, Name: email, PasswordHash: string(h)}); err != nil {
		t.Fatal(err)
	}
}

func readAudit(t *testing.T, data string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "vault", "audit.jsonl"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(revealPhone)) {
		t.Fatal("the audit log holds the clear number")
	}
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func auditLines(t *testing.T, data string) int { return len(readAudit(t, data)) }
