package stack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/channels"
	"github.com/kefu-io/kefu/examples/appclient"
	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestOneCustomerAcrossChannels: a shopper writes on WeChat, then in the
// widget signed in (the hello identity signs the e-mail address and the
// WeChat openid), then by e-mail from that address: one contact, one
// conversation, each message with its channel (REST); replies go through
// the channel the shopper last used or the one the agent picks. Claims the
// hash does not sign are never linked, and a contact's visitor id without
// a verified identity is not taken.
func TestOneCustomerAcrossChannels(t *testing.T) {
	t.Parallel()
	requireBuilt(t)
	mailRelay := newRelay(t)
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger(),
		SMTPAddr: "127.0.0.1:0", Channels: edge.ChannelOptions{SMTPRelay: mailRelay.ln.Addr().String(), PassiveWait: time.Second,
			RetryBase: 200 * time.Millisecond, CacheTTL: time.Second}})
	must(t, err)
	defer s.Close()
	st := s.Store()
	adm := admin.New(st, 4)
	nt, err := adm.CreateTenant(t.Context(), "cli", "acme", "")
	must(t, err)
	_, err = adm.AddSite(t.Context(), "cli", "acme", "acme-shop", "", []string{"https://shop.acme.example"})
	must(t, err)
	_, _, err = adm.AddAgent(t.Context(), "cli", admin.NewAgent{Tenant: "acme", Email: "wang@acme.example", Name: "Wang", Role: store.RoleAgent, Password: "agent-password-1"})
	must(t, err)
	p := newPlatform(t)
	addChannel(t, s, channels.Config{ID: "wxacme", Tenant: "acme", Kind: channels.KindWeChat, Token: wxToken, AppID: wxAppID, AppSecret: wxSecret, APIBase: p.srv.URL + "/wx"})
	addChannel(t, s, channels.Config{ID: "mailacme", Tenant: "acme", Kind: channels.KindEmail, Address: "support@acme.example"})
	poll.Until(t, 30*time.Second, func() error {
		if code, _ := get(t, s.URL+"/w/config?site=acme-shop", ""); code != 200 {
			return fmt.Errorf("site not served yet: %d", code)
		}
		return nil
	})
	sign := func(text string) string {
		m := hmac.New(sha256.New, []byte(nt.IdentitySecret))
		m.Write([]byte(text))
		return hex.EncodeToString(m.Sum(nil))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dial := func() *wsClient {
		c, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http", "ws", 1)+"/ws?site=acme-shop", nil)
		must(t, err)
		t.Cleanup(func() { c.CloseNow() })
		return &wsClient{t: t, ctx: ctx, c: c}
	}
	wechat := func(user, text string, id int64) {
		t.Helper()
		if r := do(t, "POST", s.URL+"/channels/wechat/wxacme?"+wxQuery(wxToken).Encode(), xmlCT, wxText(user, text, id)); r.status != 200 {
			t.Fatalf("wechat message: %+v", r)
		}
	}
	const openid, email = "oACME-li-lei", "li.lei@example.com"
	contact := chat.ContactVisitor("acme", "cust-42")

	// 1. WeChat, anonymous: the channel's own visitor.
	wechat(openid, "转人工，我的订单 A1001 还没到", 7001)
	wxConv := conversationOfTenant(t, s, "acme", chat.ChannelVisitor("wxacme", openid))

	// 2. The widget, signed in with signed claims: the WeChat conversation
	// becomes the contact's and the widget continues it, history replayed.
	id := chat.Identity{ID: "cust-42", Name: "Li Lei", Email: "Li.Lei@example.com", Channels: map[string]string{"wxacme": openid}}
	id.Hash = sign(chat.IdentityClaims(id))
	w := dial()
	w.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Visitor: "anon-li", Identity: &id})
	welcome := w.expect(chat.FrameWelcome)
	if welcome.Visitor != contact || welcome.ConversationID != wxConv {
		t.Fatalf("welcome %+v, want contact %s in the WeChat conversation %s", welcome, contact, wxConv)
	}
	w.expectMessage(func(f chat.Frame) bool { return strings.Contains(f.Text, "A1001") })
	webID := chat.NewID()
	w.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: webID, Text: "I asked on WeChat about order A1001 too"})
	w.expectAccepted(webID)

	// 3. E-mail from the verified address: the same conversation.
	mail := "From: Li Lei <li.lei@example.com>\r\nTo: support@acme.example\r\nSubject: Order A1001\r\nMessage-ID: <a1001@mail.example.com>\r\n\r\nStill waiting for A1001, any news?\r\n"
	if got := smtpSend(t, s.SMTPAddr(), email, "support@acme.example", mail); !strings.HasPrefix(got, "250") {
		t.Fatalf("DATA: %s", got)
	}

	// One contact, one history, each message's channel (REST).
	tok := s.login(t, "acme", "wang@acme.example", "agent-password-1")
	var msgs []chat.Message
	poll.Until(t, 40*time.Second, func() error {
		msgs = nil
		s.api(t, tok, "GET", "/v1/conversations/"+wxConv+"/messages", &msgs)
		if got := shopperChannels(msgs); !slices.Equal(got, []string{"wechat/wxacme", "web/", "email/mailacme"}) {
			return fmt.Errorf("shopper messages by channel %v", got)
		}
		return nil
	})
	var conv central.ConversationView
	if code := s.api(t, tok, "GET", "/v1/conversations/"+wxConv, &conv); code != 200 || conv.Visitor != contact {
		t.Fatalf("conversation %d %+v, want the contact's", code, conv)
	}
	for _, c := range mustConvs(t, st, "acme") {
		if c.Visitor != contact {
			t.Fatalf("conversation %s of %s: not the contact's", c.ID, c.Visitor)
		}
	}
	noVisitorContainsTenant(t, s, "acme", email)
	var chs central.ReplyChannelsView
	s.api(t, tok, "GET", "/v1/conversations/"+wxConv+"/channels", &chs)
	if chs.Contact != contact || len(chs.Channels) != 3 || chs.Channels[0].ChannelID != "mailacme" || !chs.Channels[0].Last {
		t.Fatalf("reply channels %+v", chs)
	}

	// Replies: by default through the channel used last (e-mail, threaded)…
	reply := func(body map[string]string) (int, chat.Message) {
		b, _ := json.Marshal(body)
		r := do(t, "POST", s.URL+"/v1/conversations/"+wxConv+"/messages", http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + tok}}, b)
		var m chat.Message
		_ = json.Unmarshal([]byte(r.body), &m)
		return r.status, m
	}
	if code, m := reply(map[string]string{"text": "A1001 left our warehouse today."}); code != 201 || m.Channel != chat.ChannelEmail || m.ChannelID != "mailacme" {
		t.Fatalf("default reply: %d %+v", code, m)
	}
	poll.Until(t, 40*time.Second, func() error {
		for _, m := range mailRelay.messages() {
			if m.Header.Get("To") == "<"+email+">" && m.Header.Get("In-Reply-To") == "<a1001@mail.example.com>" {
				return nil
			}
		}
		return fmt.Errorf("relay got %d messages, none the agent's reply", len(mailRelay.messages()))
	})
	// …or through the one the agent picks (WeChat's customer-service API).
	if code, m := reply(map[string]string{"text": "微信上也通知您一下：已发货。", "channel": "wechat"}); code != 201 || m.Channel != chat.ChannelWeChat || m.ChannelID != "wxacme" {
		t.Fatalf("reply through wechat: %d %+v", code, m)
	}
	poll.Until(t, 40*time.Second, func() error {
		if got := p.sent("wechat", openid); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "微信上也通知您一下") }) {
			return fmt.Errorf("customer-service API got %q", got)
		}
		return nil
	})
	consoleReplyThroughWeChat(t, s, wxConv)
	poll.Until(t, 40*time.Second, func() error {
		if got := p.sent("wechat", openid); !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "Sent from the console") }) {
			return fmt.Errorf("customer-service API got %q", got)
		}
		return nil
	})
	if code, _ := reply(map[string]string{"text": "nope", "channel": "telegram"}); code != 400 {
		t.Fatalf("a channel the shopper never used: %d, want 400", code)
	}
	// The shopper writes on WeChat again: that is now the default.
	wechat(openid, "收到，谢谢", 7002)
	poll.Until(t, 40*time.Second, func() error {
		s.api(t, tok, "GET", "/v1/conversations/"+wxConv+"/channels", &chs)
		if len(chs.Channels) == 0 || chs.Channels[0].ChannelID != "wxacme" {
			return fmt.Errorf("reply channels %+v", chs)
		}
		return nil
	})

	// The native app (examples/appclient), signed in with an id-only hash:
	// the same contact continues the same conversation; a wrong hash is
	// refused and the app goes on anonymously.
	app, err := appclient.Dial(ctx, s.URL, "acme-shop", appclient.State{Identity: &chat.Identity{ID: "cust-42", Hash: sign("cust-42")}})
	must(t, err)
	if app.State.Visitor != contact || app.State.Conversation != wxConv || app.IdentityRefused != "" {
		t.Fatalf("app client signed in: %+v refused %q", app.State, app.IdentityRefused)
	}
	app.Close()
	app, err = appclient.Dial(ctx, s.URL, "acme-shop", appclient.State{Identity: &chat.Identity{ID: "cust-42", Hash: sign("cust-43")}})
	must(t, err)
	if app.State.Visitor == contact || app.IdentityRefused == "" {
		t.Fatalf("app client with a wrong hash: %+v refused %q", app.State, app.IdentityRefused)
	}
	app.Close()

	// Unsigned claims are not linked: the hash signs the id only.
	eve := chat.Identity{ID: "cust-77", Email: "victim@example.com", Channels: map[string]string{"wxacme": "oACME-victim"}, Hash: sign("cust-77")}
	e := dial()
	e.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Identity: &eve})
	if wv := e.expect(chat.FrameWelcome); wv.Visitor != chat.ContactVisitor("acme", "cust-77") {
		t.Fatalf("id-only hash: %+v", wv)
	}
	eveID := chat.NewID()
	e.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: eveID, Text: "hello"})
	e.expectAccepted(eveID)
	wechat("oACME-victim", "我是受害者", 7003)
	victim := conversationOfTenant(t, s, "acme", chat.ChannelVisitor("wxacme", "oACME-victim"))
	if c, err := st.Conversation(t.Context(), "acme", victim); err != nil || c.Visitor != chat.ChannelVisitor("wxacme", "oACME-victim") {
		t.Fatalf("unsigned claim linked the WeChat user: %+v %v", c, err)
	}
	if ids, _ := st.ContactIdentities(t.Context(), "acme", chat.ContactVisitor("acme", "cust-77")); len(ids) != 0 {
		t.Fatalf("unsigned claims linked: %v", ids)
	}
	// A contact's visitor id is not a credential.
	x := dial()
	x.send(chat.Frame{V: 1, Type: chat.FrameHello, Site: "acme-shop", Visitor: contact, ConversationID: wxConv})
	if wx := x.expect(chat.FrameWelcome); wx.Visitor == contact || wx.ConversationID == wxConv {
		t.Fatalf("an unverified hello took the contact's visitor: %+v", wx)
	}
}

// shopperChannels lists "channel/channel_id" of the shopper messages.
func shopperChannels(msgs []chat.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Role == chat.RoleShopper {
			out = append(out, string(m.Channel)+"/"+m.ChannelID)
		}
	}
	return out
}

func conversationOfTenant(t *testing.T, s *Stack, tenant, visitor string) string {
	t.Helper()
	var id string
	poll.Until(t, 30*time.Second, func() error {
		c, err := s.Store().LatestConversation(context.Background(), tenant, visitor)
		if err != nil {
			return err
		}
		id = c.ID
		return nil
	})
	return id
}

func noVisitorContainsTenant(t *testing.T, s *Stack, tenant, v string) {
	t.Helper()
	for _, c := range mustConvs(t, s.Store(), tenant) {
		if strings.Contains(strings.ToLower(c.Visitor), strings.ToLower(v)) {
			t.Fatalf("central's visitor %q holds %q", c.Visitor, v)
		}
	}
}

// consoleReplyThroughWeChat opens the conversation in the console (real
// chromium): each shopper message shows its channel, and the reply is sent
// through WeChat picked in the channel control (the default is e-mail, the
// shopper's latest channel).
func consoleReplyThroughWeChat(t *testing.T, s *Stack, conv string) {
	browser := browsertest.New(t, 2*time.Minute)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	item := `#list li[data-id="` + conv + `"]`
	must(t, browsertest.Do(browser,
		chromedp.Navigate(s.URL+"/console/"),
		chromedp.WaitVisible(css(`#login-email`)),
		chromedp.SetValue(css(`#login-tenant`), "acme"),
		chromedp.SendKeys(css(`#login-email`), "wang@acme.example"),
		chromedp.SendKeys(css(`#login-password`), "agent-password-1"),
		chromedp.Click(css(`#login-submit`)),
		chromedp.WaitVisible(css(`button.tab[data-status="mine"]`)),
		chromedp.Click(css(`button.tab[data-status="mine"]`)),
		chromedp.WaitVisible(css(item)),
		chromedp.Click(css(item)),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#messages li.msg-shopper .who[data-channel]').length === 3 &&
			document.querySelectorAll('#reply-channel option').length === 3`, chromedp.WithPollingTimeout(30*time.Second)),
	))
	got, err := chromedp.Run(browser, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#messages li.msg-shopper .who')).map(n => n.textContent.split(' · ')[1])`))
	must(t, err)
	if !slices.Equal(got, []string{"via WeChat (wxacme)", "via Web", "via E-mail (mailacme)"}) {
		t.Fatalf("console shows the shopper messages' channels as %q", got)
	}
	opts, err := chromedp.Run(browser, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#reply-channel option')).map(o => o.value + '=' + o.textContent)`))
	must(t, err)
	if len(opts) != 3 || opts[0] != "=Last used: E-mail (mailacme)" || !slices.Contains(opts, "wxacme=WeChat (wxacme)") {
		t.Fatalf("reply channel options %q", opts)
	}
	must(t, browsertest.Do(browser,
		chromedp.SetValue(css(`#reply-channel`), "wxacme"),
		chromedp.SendKeys(css(`#reply-text`), "Sent from the console through WeChat"),
		chromedp.Click(css(`#send`)),
		chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll('#messages li.msg-agent .who')).some(n => n.textContent.includes('via WeChat (wxacme)'))`,
			chromedp.WithPollingTimeout(30*time.Second)),
	))
	screenshot(t, browser, "console-channels.png")
}
