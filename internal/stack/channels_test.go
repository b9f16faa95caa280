package stack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/channels"
	"github.com/kefu-io/kefu/internal/poll"
)

// platform is a local stand-in for the platforms' outbound APIs (WeChat's
// customer-service API, Telegram's sendMessage, WhatsApp's messages
// endpoint, a merchant's webhook receiver). It checks what it receives as
// the real one would (tokens, signatures, bodies) and records it.
type platform struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	got   []sent
	kf    []string // WeCom sync_msg: the msg_list entries, the cursor is an index
	pulls int
}

type sent struct {
	kind, user, text string
}

const (
	wxAppID  = "wxb11529c136998cb6"
	wxSecret = "wx-app-secret"
	wxToken  = "pamtest"
	wxAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	hookKey  = "merchant-secret"
	tgToken  = "123456:ABC-DEF"
	waToken  = "EAAG-test"
	wcCorp   = "ww12345678910"
	wcSecret = "wecom-kf-secret"
	wcAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
)

func newPlatform(t *testing.T) *platform {
	p := &platform{t: t}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *platform) record(s sent) {
	p.mu.Lock()
	p.got = append(p.got, s)
	p.mu.Unlock()
}

func (p *platform) sent(kind, user string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.got {
		if s.kind == kind && s.user == user {
			out = append(out, s.text)
		}
	}
	return out
}

func (p *platform) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.URL.Path == "/wx/cgi-bin/token":
		if r.URL.Query().Get("appid") != wxAppID || r.URL.Query().Get("secret") != wxSecret {
			fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"ACCESS","expires_in":7200}`)
	case r.URL.Path == "/wx/cgi-bin/message/custom/send":
		var m struct {
			ToUser, MsgType string
			Text            struct{ Content string }
		}
		if r.URL.Query().Get("access_token") != "ACCESS" {
			fmt.Fprint(w, `{"errcode":40014,"errmsg":"invalid access_token"}`)
			return
		}
		if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "text" || m.ToUser == "" || m.Text.Content == "" {
			fmt.Fprint(w, `{"errcode":44002,"errmsg":"empty post data"}`)
			return
		}
		p.record(sent{"wechat", m.ToUser, m.Text.Content})
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
	case r.URL.Path == "/wecom/cgi-bin/gettoken":
		if r.URL.Query().Get("corpid") != wcCorp || r.URL.Query().Get("corpsecret") != wcSecret {
			fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","access_token":"WCAT","expires_in":7200}`)
	case r.URL.Path == "/wecom/cgi-bin/kf/sync_msg":
		var req struct{ Cursor, Token, OpenKfid string }
		if r.URL.Query().Get("access_token") != "WCAT" || json.Unmarshal(body, &req) != nil || req.Token != "NOTICE-TOKEN" {
			fmt.Fprint(w, `{"errcode":95000,"errmsg":"invalid token"}`)
			return
		}
		p.mu.Lock()
		p.pulls++
		from, _ := strconv.Atoi(req.Cursor)
		list := strings.Join(p.kf[min(from, len(p.kf)):], ",")
		next := len(p.kf)
		p.mu.Unlock()
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","next_cursor":"%d","has_more":0,"msg_list":[%s]}`, next, list)
	case r.URL.Path == "/wecom/cgi-bin/kf/send_msg":
		var m struct {
			ToUser   string `json:"touser"`
			OpenKfid string `json:"open_kfid"`
			Text     struct{ Content string }
		}
		if r.URL.Query().Get("access_token") != "WCAT" || json.Unmarshal(body, &m) != nil || m.OpenKfid == "" {
			fmt.Fprint(w, `{"errcode":40003,"errmsg":"invalid"}`)
			return
		}
		p.record(sent{"wecom", m.OpenKfid + "|" + m.ToUser, m.Text.Content})
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","msgid":"x"}`)
	case r.URL.Path == "/dy/im/send/msg/":
		var m struct {
			ToUserID       string `json:"to_user_id"`
			ConversationID string `json:"conversation_id"`
			Content        struct {
				MsgType int `json:"msg_type"`
				Text    struct{ Text string }
			}
		}
		if r.Header.Get("access-token") != "dy-token" || r.URL.Query().Get("open_id") != "ent-open-id" || json.Unmarshal(body, &m) != nil || m.Content.MsgType != 1 {
			fmt.Fprint(w, `{"err_no":2190008,"err_msg":"invalid"}`)
			return
		}
		p.record(sent{"douyin", m.ConversationID + "|" + m.ToUserID, m.Content.Text.Text})
		fmt.Fprint(w, `{"err_no":0,"err_msg":"","data":{"msg_id":"x"}}`)
	case r.URL.Path == "/hook":
		if err := channels.VerifySignature(hookKey, r.Header.Get(channels.HeaderTimestamp), r.Header.Get(channels.HeaderSignature), body, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var o channels.WebhookOut
		if err := json.Unmarshal(body, &o); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		p.record(sent{"webhook", o.User, o.Text})
	case r.URL.Path == "/tg/bot"+tgToken+"/sendMessage":
		var m struct {
			ChatID int64  `json:"chat_id"`
			Text   string `json:"text"`
		}
		if err := json.Unmarshal(body, &m); err != nil || m.ChatID == 0 || m.Text == "" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"ok":false,"description":"Bad Request"}`)
			return
		}
		p.record(sent{"telegram", strconv.FormatInt(m.ChatID, 10), m.Text})
		fmt.Fprint(w, `{"ok":true,"result":{"message_id":1}}`)
	case r.URL.Path == "/wa/106540352242922/messages":
		var m struct {
			Product string `json:"messaging_product"`
			To      string `json:"to"`
			Text    struct {
				Body string `json:"body"`
			} `json:"text"`
		}
		if r.Header.Get("Authorization") != "Bearer "+waToken {
			w.WriteHeader(401)
			return
		}
		if err := json.Unmarshal(body, &m); err != nil || m.Product != "whatsapp" || m.To == "" {
			w.WriteHeader(400)
			return
		}
		p.record(sent{"whatsapp", m.To, m.Text.Body})
		fmt.Fprint(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.out"}]}`)
	default:
		http.NotFound(w, r)
	}
}

func addChannel(t testing.TB, s *Stack, c channels.Config) {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(c)
	if err := s.Store().PutChannel(context.Background(), store.Channel{ID: c.ID, Tenant: c.Tenant, Kind: c.Kind, Config: b}); err != nil {
		t.Fatal(err)
	}
}

type response struct {
	status int
	body   string
	ctype  string
}

func do(t testing.TB, method, u string, h http.Header, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, string(b), resp.Header.Get("Content-Type")}
}

// history is the messages of the visitor's conversation at central.
func history(t *testing.T, s *Stack, visitor string) []chat.Message {
	t.Helper()
	ctx := context.Background()
	convs, err := s.Store().Conversations(ctx, DemoSite, store.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []chat.Message
	for _, c := range convs {
		if c.Visitor == visitor {
			msgs, err := s.Store().Messages(ctx, DemoSite, c.ID, "", 500)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, msgs...)
		}
	}
	return out
}

func shopperTexts(msgs []chat.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Role == chat.RoleShopper {
			out = append(out, m.Text)
		}
	}
	return out
}

// outboxDrained waits until the edge's channel-outbox consumer has nothing
// pending or unacknowledged.
func outboxDrained(t *testing.T, s *Stack) {
	t.Helper()
	js, err := jetstream.New(s.ncCen)
	if err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 20*time.Second, func() error {
		c, err := js.Consumer(context.Background(), chat.StreamChannelOut, "channels-local")
		if err != nil {
			return err
		}
		info, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("outbox: %d pending, %d unacknowledged", info.NumPending, info.NumAckPending)
		}
		return nil
	})
}

func wxQuery(token string, extra ...string) url.Values {
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), chat.NewID()[16:]
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {channels.WeChatSignature(token, ts, nonce)}, "openid": {"o1"}}
	for i := 0; i < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

func wxText(from, text string, msgID int64) []byte {
	return fmt.Appendf(nil, `<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>`,
		from, time.Now().Unix(), text, msgID)
}

type wxReply struct {
	ToUserName, FromUserName, MsgType, Content string
	Encrypt, MsgSignature, TimeStamp, Nonce    string
}

var xmlCT = http.Header{"Content-Type": {"text/xml"}}

// TestChannels drives every platform channel through a real edge and
// central (embedded NATS, SQLite, the built-in plugins in wazero) with a
// local stand-in for the platforms' APIs.
// Not parallel: WeChat's passive reply must come within the edge's PassiveWait (4 s).
func TestChannels(t *testing.T) {
	requireBuilt(t)
	mailRelay := newRelay(t)
	dataDir := t.TempDir()
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: dataDir, PluginCache: testPluginCache(),
		AgentPassword: "channels-secret", Logger: quietLogger(), SMTPAddr: "127.0.0.1:0",
		Channels: edge.ChannelOptions{SMTPRelay: mailRelay.ln.Addr().String(), Rate: 20, Burst: 50, PassiveWait: 1500 * time.Millisecond, RetryBase: 200 * time.Millisecond, CacheTTL: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := newPlatform(t)
	addChannel(t, s, channels.Config{ID: "wx1", Tenant: DemoSite, Kind: channels.KindWeChat, Token: wxToken, AppID: wxAppID, AppSecret: wxSecret, APIBase: p.srv.URL + "/wx"})
	addChannel(t, s, channels.Config{ID: "wx2", Tenant: DemoSite, Kind: channels.KindWeChat, Token: wxToken, AppID: wxAppID, AppSecret: wxSecret, AESKey: wxAESKey, APIBase: p.srv.URL + "/wx"})
	addChannel(t, s, channels.Config{ID: "wc1", Tenant: DemoSite, Kind: channels.KindWeCom, Token: wxToken, AESKey: wcAESKey, CorpID: wcCorp, CorpSecret: wcSecret, APIBase: p.srv.URL + "/wecom"})
	addChannel(t, s, channels.Config{ID: "dy1", Tenant: DemoSite, Kind: channels.KindDouyin, ClientSecret: "dy-secret", AccessToken: "dy-token", OpenID: "ent-open-id", APIBase: p.srv.URL + "/dy"})
	addChannel(t, s, channels.Config{ID: "hook1", Tenant: DemoSite, Kind: channels.KindWebhook, Secret: hookKey, OutboundURL: p.srv.URL + "/hook"})
	addChannel(t, s, channels.Config{ID: "tg1", Tenant: DemoSite, Kind: channels.KindTelegram, BotToken: tgToken, Secret: "tg_secret", APIBase: p.srv.URL + "/tg"})
	addChannel(t, s, channels.Config{ID: "wa1", Tenant: DemoSite, Kind: channels.KindWhatsApp, VerifyToken: "vt", AppSecret: "meta-secret", AccessToken: waToken, PhoneNumberID: "106540352242922", APIBase: p.srv.URL + "/wa"})

	t.Run("wechat", func(t *testing.T) {
		base := s.URL + "/channels/wechat/wx1"
		// URL verification.
		q := wxQuery(wxToken, "echostr", "5837397520521790331")
		if r := do(t, "GET", base+"?"+q.Encode(), nil, nil); r.status != 200 || r.body != "5837397520521790331" {
			t.Fatalf("verification: %+v", r)
		}
		q.Set("signature", strings.Repeat("a", 40))
		if r := do(t, "GET", base+"?"+q.Encode(), nil, nil); r.status != 403 {
			t.Fatalf("bad verification: %+v", r)
		}
		// A question the bot answers: the answer comes back passively.
		user := "oWX-shopper-1"
		msg := wxText(user, "What is your return policy?", 6046867556802961001)
		start := time.Now()
		r := do(t, "POST", base+"?"+wxQuery(wxToken).Encode(), xmlCT, msg)
		latency := time.Since(start)
		var rep wxReply
		if r.status != 200 || xml.Unmarshal([]byte(r.body), &rep) != nil || rep.MsgType != "text" || rep.ToUserName != user || rep.FromUserName != "gh_7f083739789a" || rep.Content == "" {
			t.Fatalf("passive reply: %+v", r)
		}
		t.Logf("passive reply in %s: %q", latency, rep.Content)
		// WeChat's retry of the same MsgId: stored once, answered once.
		if r := do(t, "POST", base+"?"+wxQuery(wxToken).Encode(), xmlCT, msg); r.status != 200 || r.body != "success" {
			t.Fatalf("retry: %+v, want success (answered already)", r)
		}
		visitor := chat.ChannelVisitor("wx1", user)
		if got := shopperTexts(history(t, s, visitor)); len(got) != 1 {
			t.Fatalf("shopper messages %q, want one", got)
		}
		outboxDrained(t, s)
		if got := p.sent("wechat", user); len(got) != 0 {
			t.Fatalf("the passive answer was also sent through the API: %q", got)
		}
		// PII is masked by the region's plugins before it reaches central.
		r = do(t, "POST", base+"?"+wxQuery(wxToken).Encode(), xmlCT, wxText(user, "请打电话 13812345678 给我", 6046867556802961002))
		if r.status != 200 {
			t.Fatalf("pii message: %+v", r)
		}
		for _, m := range history(t, s, visitor) {
			if strings.Contains(m.Text, "13812345678") {
				t.Fatalf("central stored the phone number in clear: %q", m.Text)
			}
		}
		// Signature failures: 403 and nothing stored.
		bad := wxQuery(wxToken)
		bad.Set("signature", strings.Repeat("0", 40))
		if r := do(t, "POST", base+"?"+bad.Encode(), xmlCT, wxText("oWX-intruder", "hi", 1)); r.status != 403 {
			t.Fatalf("bad signature: %+v", r)
		}
		if r := do(t, "POST", base+"?"+wxQuery("other-token").Encode(), xmlCT, wxText("oWX-intruder", "hi", 2)); r.status != 403 {
			t.Fatalf("other token: %+v", r)
		}
		// Hostile bodies: clear 4xx.
		for name, tc := range map[string]struct {
			h    http.Header
			body string
			want int
		}{
			"bad xml":          {xmlCT, "<xml><FromUserName>", 400},
			"entity expansion": {xmlCT, `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><xml><FromUserName>oWX-intruder</FromUserName><MsgType>text</MsgType><Content>&b;</Content><MsgId>3</MsgId></xml>`, 400},
			"invalid utf-8":    {xmlCT, "<xml><FromUserName>oWX-intruder</FromUserName><MsgType>text</MsgType><Content>\xff</Content><MsgId>4</MsgId></xml>", 400},
			"content type":     {http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, "a=b", 415},
			"huge body":        {xmlCT, "<xml>" + strings.Repeat("A", channels.MaxBody) + "</xml>", 413},
		} {
			if r := do(t, "POST", base+"?"+wxQuery(wxToken).Encode(), tc.h, []byte(tc.body)); r.status != tc.want {
				t.Errorf("%s: %+v, want %d", name, r, tc.want)
			}
		}
		if got := history(t, s, chat.ChannelVisitor("wx1", "oWX-intruder")); len(got) != 0 {
			t.Fatalf("refused requests stored %d messages", len(got))
		}
		// Unknown channel and wrong kind.
		if r := do(t, "POST", s.URL+"/channels/wechat/nope?"+wxQuery(wxToken).Encode(), xmlCT, msg); r.status != 404 {
			t.Fatalf("unknown channel: %+v", r)
		}
		if r := do(t, "POST", s.URL+"/channels/telegram/wx1", nil, nil); r.status != 404 {
			t.Fatalf("wrong kind: %+v", r)
		}

		// Handoff, then the agent's reply goes out through the
		// customer-service API (after the passive window).
		user2 := "oWX-shopper-2"
		do(t, "POST", base+"?"+wxQuery(wxToken).Encode(), xmlCT, wxText(user2, "转人工", 6046867556802961003))
		conv := conversationOf(t, s, chat.ChannelVisitor("wx1", user2))
		agentReply(t, s, conv, "您好，我是客服小王，马上为您查询。")
		poll.Until(t, 15*time.Second, func() error {
			if got := p.sent("wechat", user2); len(got) != 1 || !strings.HasPrefix(got[0], "您好，我是客服小王，马上为您查询。") {
				return fmt.Errorf("customer-service API got %q", got)
			}
			return nil
		})
	})

	t.Run("wechat safe mode", func(t *testing.T) {
		base := s.URL + "/channels/wechat/wx2"
		user := "oWX-safe-1"
		sealed, err := channels.WeChatSeal(wxAESKey, wxAppID, wxText(user, "What is your return policy?", 6046867556802962001))
		if err != nil {
			t.Fatal(err)
		}
		q := wxQuery(wxToken, "encrypt_type", "aes")
		q.Set("msg_signature", channels.WeChatSignature(wxToken, q.Get("timestamp"), q.Get("nonce"), sealed))
		body := []byte(`<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><Encrypt><![CDATA[` + sealed + `]]></Encrypt></xml>`)
		r := do(t, "POST", base+"?"+q.Encode(), xmlCT, body)
		var rep wxReply
		if r.status != 200 || xml.Unmarshal([]byte(r.body), &rep) != nil || rep.Encrypt == "" {
			t.Fatalf("encrypted passive reply: %+v", r)
		}
		if rep.MsgSignature != channels.WeChatSignature(wxToken, rep.TimeStamp, rep.Nonce, rep.Encrypt) {
			t.Fatalf("reply signature does not verify")
		}
		plain, err := channels.WeChatOpen(wxAESKey, wxAppID, rep.Encrypt)
		var inner wxReply
		if err != nil || xml.Unmarshal(plain, &inner) != nil || inner.ToUserName != user || inner.Content == "" {
			t.Fatalf("decrypted reply %s, %v", plain, err)
		}
		// A wrong msg_signature, and plain text to a safe-mode channel.
		q.Set("msg_signature", strings.Repeat("1", 40))
		if r := do(t, "POST", base+"?"+q.Encode(), xmlCT, body); r.status != 403 {
			t.Fatalf("bad msg_signature: %+v", r)
		}
		if r := do(t, "POST", base+"?"+wxQuery(wxToken).Encode(), xmlCT, wxText(user, "plain", 7)); r.status != 403 {
			t.Fatalf("plain text to a safe-mode channel: %+v", r)
		}
		if got := shopperTexts(history(t, s, chat.ChannelVisitor("wx2", user))); len(got) != 1 {
			t.Fatalf("stored %q, want one message", got)
		}
	})

	t.Run("webhook", func(t *testing.T) {
		u := s.URL + "/channels/webhook/hook1"
		body := []byte(`{"id":"order-42-msg-1","user":"customer-17","text":"What is your return policy?"}`)
		signed := func(secret string, b []byte) http.Header {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			return http.Header{"Content-Type": {"application/json"}, channels.HeaderTimestamp: {ts}, channels.HeaderSignature: {channels.Sign(secret, ts, b)}}
		}
		r := do(t, "POST", u, signed(hookKey, body), body)
		if r.status != 202 || !strings.Contains(r.body, `"accepted":"order-42-msg-1"`) {
			t.Fatalf("accepted: %+v", r)
		}
		if r := do(t, "POST", u, signed(hookKey, body), body); r.status != 202 { // the merchant's retry
			t.Fatalf("retry: %+v", r)
		}
		if r := do(t, "POST", u, signed("wrong", body), body); r.status != 401 {
			t.Fatalf("bad signature: %+v", r)
		}
		other := []byte(`{"id":"x","user":"intruder","text":"hi"}`)
		if r := do(t, "POST", u, http.Header{"Content-Type": {"application/json"}}, other); r.status != 401 {
			t.Fatalf("unsigned: %+v", r)
		}
		poll.Until(t, 15*time.Second, func() error {
			if got := p.sent("webhook", "customer-17"); len(got) != 1 {
				return fmt.Errorf("outbound URL got %q", got)
			}
			return nil
		})
		outboxDrained(t, s)
		if got := p.sent("webhook", "customer-17"); len(got) != 1 {
			t.Fatalf("reply sent %d times", len(got))
		}
		if got := shopperTexts(history(t, s, chat.ChannelVisitor("hook1", "customer-17"))); len(got) != 1 {
			t.Fatalf("stored %q, want one message", got)
		}
		if got := history(t, s, chat.ChannelVisitor("hook1", "intruder")); len(got) != 0 {
			t.Fatalf("unsigned request stored %d messages", len(got))
		}
	})

	t.Run("telegram", func(t *testing.T) {
		u := s.URL + "/channels/telegram/tg1"
		body := []byte(`{"update_id":10000,"message":{"message_id":1365,"from":{"id":1111111,"is_bot":false,"first_name":"Test"},"chat":{"id":1111111,"first_name":"Test","type":"private"},"date":` + strconv.FormatInt(time.Now().Unix(), 10) + `,"text":"What is your return policy?"}}`)
		h := http.Header{"Content-Type": {"application/json"}, channels.HeaderTelegramSecret: {"tg_secret"}}
		if r := do(t, "POST", u, h, body); r.status != 200 {
			t.Fatalf("update: %+v", r)
		}
		if r := do(t, "POST", u, h, body); r.status != 200 {
			t.Fatalf("retry: %+v", r)
		}
		if r := do(t, "POST", u, http.Header{"Content-Type": {"application/json"}, channels.HeaderTelegramSecret: {"nope"}}, body); r.status != 401 {
			t.Fatalf("bad secret: %+v", r)
		}
		poll.Until(t, 15*time.Second, func() error {
			if got := p.sent("telegram", "1111111"); len(got) != 1 {
				return fmt.Errorf("sendMessage got %q", got)
			}
			return nil
		})
		outboxDrained(t, s)
		if got := p.sent("telegram", "1111111"); len(got) != 1 {
			t.Fatalf("reply sent %d times", len(got))
		}
	})

	t.Run("whatsapp", func(t *testing.T) {
		u := s.URL + "/channels/whatsapp/wa1"
		if r := do(t, "GET", u+"?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1158201444", nil, nil); r.status != 200 || r.body != "1158201444" {
			t.Fatalf("verification: %+v", r)
		}
		if r := do(t, "GET", u+"?hub.mode=subscribe&hub.verify_token=no&hub.challenge=1", nil, nil); r.status != 403 {
			t.Fatalf("bad verification: %+v", r)
		}
		body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","timestamp":"` + strconv.FormatInt(time.Now().Unix(), 10) + `","type":"text","text":{"body":"What is your return policy?"}}]},"field":"messages"}]}]}`)
		h := http.Header{"Content-Type": {"application/json"}, channels.HeaderHubSignature: {"sha256=" + hmacHex("meta-secret", body)}}
		if r := do(t, "POST", u, h, body); r.status != 200 {
			t.Fatalf("message: %+v", r)
		}
		if r := do(t, "POST", u, h, body); r.status != 200 {
			t.Fatalf("retry: %+v", r)
		}
		if r := do(t, "POST", u, http.Header{"Content-Type": {"application/json"}, channels.HeaderHubSignature: {"sha256=00"}}, body); r.status != 401 {
			t.Fatalf("bad signature: %+v", r)
		}
		poll.Until(t, 15*time.Second, func() error {
			if got := p.sent("whatsapp", "16505551234"); len(got) != 1 {
				return fmt.Errorf("messages endpoint got %q", got)
			}
			return nil
		})
		outboxDrained(t, s)
		if got := p.sent("whatsapp", "16505551234"); len(got) != 1 {
			t.Fatalf("reply sent %d times", len(got))
		}
		// The phone number stays at the edge: central knows a pseudonym.
		if got := shopperTexts(history(t, s, chat.ChannelVisitor("wa1", channels.Pseudonym("wa1", "16505551234")))); len(got) != 1 {
			t.Fatalf("stored %q, want one", got)
		}
		noVisitorContains(t, s, "16505551234")
	})

	t.Run("wecom", func(t *testing.T) {
		u := s.URL + "/channels/wecom/wc1"
		sign := func(part string) url.Values {
			ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), chat.NewID()[18:]
			return url.Values{"msg_signature": {channels.WeChatSignature(wxToken, ts, nonce, part)}, "timestamp": {ts}, "nonce": {nonce}}
		}
		echo, _ := channels.WeChatSeal(wcAESKey, wcCorp, []byte("1616140317555161061"))
		q := sign(echo)
		q.Set("echostr", echo)
		if r := do(t, "GET", u+"?"+q.Encode(), nil, nil); r.status != 200 || r.body != "1616140317555161061" {
			t.Fatalf("verification: %+v", r)
		}
		notice := func() (url.Values, []byte) {
			ev := `<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[NOTICE-TOKEN]]></Token><OpenKfId><![CDATA[wkKEFU]]></OpenKfId></xml>`
			enc, _ := channels.WeChatSeal(wcAESKey, wcCorp, []byte(ev))
			return sign(enc), []byte(`<xml><ToUserName><![CDATA[ww12345678910]]></ToUserName><AgentID><![CDATA[218]]></AgentID><Encrypt><![CDATA[` + enc + `]]></Encrypt></xml>`)
		}
		p.mu.Lock()
		p.kf = append(p.kf, `{"msgid":"from_msgid_1","open_kfid":"wkKEFU","external_userid":"wmShopper1","send_time":`+strconv.FormatInt(time.Now().Unix(), 10)+`,"origin":3,"msgtype":"text","text":{"content":"What is your return policy?"}}`)
		p.mu.Unlock()
		q, body := notice()
		if r := do(t, "POST", u+"?"+q.Encode(), xmlCT, body); r.status != 200 || r.body != "success" {
			t.Fatalf("notice: %+v", r)
		}
		q, body = notice() // WeCom's second notice (or a retry): nothing new from the cursor
		if r := do(t, "POST", u+"?"+q.Encode(), xmlCT, body); r.status != 200 {
			t.Fatalf("second notice: %+v", r)
		}
		bad, _ := notice()
		bad.Set("msg_signature", strings.Repeat("f", 40))
		if r := do(t, "POST", u+"?"+bad.Encode(), xmlCT, body); r.status != 403 {
			t.Fatalf("bad signature: %+v", r)
		}
		user := "wkKEFU|wmShopper1"
		poll.Until(t, 15*time.Second, func() error {
			if got := p.sent("wecom", user); len(got) != 1 {
				return fmt.Errorf("send_msg got %q", got)
			}
			return nil
		})
		outboxDrained(t, s)
		if got := shopperTexts(history(t, s, chat.ChannelVisitor("wc1", user))); len(got) != 1 || len(p.sent("wecom", user)) != 1 {
			t.Fatalf("stored %q, sent %q: want one each", got, p.sent("wecom", user))
		}
		p.mu.Lock()
		pulls := p.pulls
		p.mu.Unlock()
		if pulls != 2 {
			t.Fatalf("%d sync_msg calls, want 2 (the bad signature pulls nothing)", pulls)
		}
	})

	t.Run("douyin", func(t *testing.T) {
		u := s.URL + "/channels/douyin/dy1"
		post := func(body []byte, secret string) response {
			return do(t, "POST", u, http.Header{"Content-Type": {"application/json"}, "Msg-Id": {"m-1"},
				channels.HeaderDouyinSignature: {channels.DouyinSignature(secret, body)}}, body)
		}
		verify := []byte(`{"event":"verify_webhook","client_key":"","content":{"challenge":12345}}`)
		if r := post(verify, "dy-secret"); r.status != 200 || r.body != `{"challenge":12345}` {
			t.Fatalf("verify_webhook: %+v", r)
		}
		body := []byte(`{"event":"im_receive_msg","client_key":"awkey","from_user_id":"_000user","to_user_id":"_000ent","content":"{\"message_type\":\"text\",\"text\":\"What is your return policy?\",\"server_message_id\":\"7298291263016046632\",\"conversation_short_id\":\"7298291150797095960\",\"create_time\":` + strconv.FormatInt(time.Now().UnixMilli(), 10) + `}"}`)
		for i := 0; i < 2; i++ { // Douyin retries with the same message
			if r := post(body, "dy-secret"); r.status != 200 {
				t.Fatalf("message: %+v", r)
			}
		}
		if r := post(body, "wrong"); r.status != 401 {
			t.Fatalf("bad signature: %+v", r)
		}
		user := "7298291150797095960|_000user"
		poll.Until(t, 15*time.Second, func() error {
			if got := p.sent("douyin", user); len(got) != 1 {
				return fmt.Errorf("send_msg got %q", got)
			}
			return nil
		})
		outboxDrained(t, s)
		if got := shopperTexts(history(t, s, chat.ChannelVisitor("dy1", user))); len(got) != 1 || len(p.sent("douyin", user)) != 1 {
			t.Fatalf("stored %q, sent %q: want one each", got, p.sent("douyin", user))
		}
	})

	t.Run("email", func(t *testing.T) {
		addChannel(t, s, channels.Config{ID: "mail1", Tenant: DemoSite, Kind: channels.KindEmail, Address: "support@shop.example"})
		msg := "From: Li Lei <li.lei@example.com>\r\nTo: support@shop.example\r\nSubject: Return question\r\n" +
			"Message-ID: <first-1@mail.example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>What is your return policy?</p><script>x()</script>\r\n" +
			"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=invoice.pdf\r\n\r\n%PDF-1.4 test\r\n--b--\r\n"
		if got := smtpSend(t, s.SMTPAddr(), "li.lei@example.com", "support@shop.example", msg); !strings.HasPrefix(got, "250") {
			t.Fatalf("DATA: %s", got)
		}
		if got := smtpSend(t, s.SMTPAddr(), "li.lei@example.com", "support@shop.example", msg); !strings.HasPrefix(got, "250") { // a sender's retry
			t.Fatalf("DATA again: %s", got)
		}
		if got := smtpSend(t, s.SMTPAddr(), "x@example.com", "nobody@shop.example", msg); !strings.HasPrefix(got, "550") {
			t.Fatalf("unknown recipient: %s", got)
		}
		visitor := chat.ChannelVisitor("mail1", channels.Pseudonym("mail1", "li.lei@example.com"))
		defer noVisitorContains(t, s, "li.lei@example.com")
		var reply *mail.Message
		poll.Until(t, 15*time.Second, func() error {
			if got := mailRelay.messages(); len(got) != 1 {
				return fmt.Errorf("relay got %d messages", len(got))
			}
			reply = mailRelay.messages()[0]
			return nil
		})
		h := reply.Header
		if h.Get("To") != "<li.lei@example.com>" || h.Get("From") != "<support@shop.example>" || h.Get("In-Reply-To") != "<first-1@mail.example.com>" ||
			h.Get("References") != "<first-1@mail.example.com>" || !strings.Contains(h.Get("Subject"), "Re: Return question") {
			t.Fatalf("reply headers %v", h)
		}
		body, _ := io.ReadAll(reply.Body)
		if len(body) == 0 {
			t.Fatal("empty reply")
		}
		outboxDrained(t, s)
		if n := len(mailRelay.messages()); n != 1 {
			t.Fatalf("%d replies for one message", n)
		}
		got := shopperTexts(history(t, s, visitor))
		if len(got) != 1 || !strings.HasPrefix(got[0], "What is your return policy?") || !strings.Contains(got[0], "[attachment] invoice.pdf") || strings.Contains(got[0], "x()") {
			t.Fatalf("stored %q", got)
		}
		files, _ := filepath.Glob(filepath.Join(dataDir, "attachments", "mail1", "*", "invoice.pdf"))
		if len(files) != 1 {
			t.Fatalf("attachment files %v", files)
		}
		if b, _ := os.ReadFile(files[0]); string(b) != "%PDF-1.4 test" {
			t.Fatalf("attachment %q", b)
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		// Per channel: burst 50 at 20 per second, then 429 with Retry-After
		// before anything is verified (every platform retries a refused
		// delivery; the retry's message id is stored once). The buckets
		// themselves are tested on a given clock: edge.TestChannelRateLimits.
		for i := 0; ; i++ {
			req, _ := http.NewRequest("POST", s.URL+"/channels/telegram/tg1", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 429 {
				if res.Header.Get("Retry-After") != "1" || !strings.Contains(string(b), "rate_limited") {
					t.Fatalf("429 without Retry-After or code: %v %s", res.Header, b)
				}
				t.Logf("limited after %d requests", i)
				break
			}
			if res.StatusCode != 401 || i > 2000 {
				t.Fatalf("request %d: %d %s (want 401 for the missing secret until limited)", i, res.StatusCode, b)
			}
		}
	})
}

func conversationOf(t *testing.T, s *Stack, visitor string) string {
	t.Helper()
	var id string
	poll.Until(t, 10*time.Second, func() error {
		convs, err := s.Store().Conversations(context.Background(), DemoSite, store.Filter{Limit: 1000})
		if err != nil {
			return err
		}
		for _, c := range convs {
			if c.Visitor == visitor {
				id = c.ID
				return nil
			}
		}
		return fmt.Errorf("no conversation of %s yet", visitor)
	})
	return id
}

func agentReply(t *testing.T, s *Stack, conv, text string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"tenant": DemoSite, "email": s.AgentEmail, "password": s.AgentPassword})
	r := do(t, "POST", s.URL+"/v1/login", http.Header{"Content-Type": {"application/json"}}, b)
	var login struct {
		Token string `json:"token"`
	}
	if r.status != 200 || json.Unmarshal([]byte(r.body), &login) != nil || login.Token == "" {
		t.Fatalf("login: %+v", r)
	}
	b, _ = json.Marshal(map[string]string{"text": text})
	r = do(t, "POST", s.URL+"/v1/conversations/"+conv+"/messages", http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + login.Token}}, b)
	if r.status != 201 {
		t.Fatalf("agent reply: %+v", r)
	}
}

func hmacHex(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// relay is a stand-in SMTP relay: it records each message it is given.
type relay struct {
	ln  net.Listener
	mu  sync.Mutex
	got []*mail.Message
}

func newRelay(t *testing.T) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(c)
		}
	}()
	return r
}

func (r *relay) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 relay ready")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
		case "EHLO", "HELO":
			tp.PrintfLine("250 relay")
		case "MAIL", "RCPT", "RSET", "NOOP":
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m, err := mail.ReadMessage(bytes.NewReader(b))
			if err != nil {
				tp.PrintfLine("554 bad message")
				continue
			}
			r.mu.Lock()
			r.got = append(r.got, m)
			r.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 no")
		}
	}
}

func (r *relay) messages() []*mail.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*mail.Message(nil), r.got...)
}

// smtpSend speaks to the edge's SMTP server and returns the reply to DATA.
func smtpSend(t *testing.T, addr, from, to, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tp := textproto.NewConn(c)
	expect := func(code int) string {
		_, m, err := tp.ReadResponse(code)
		if err != nil {
			t.Fatalf("smtp: %v %s", err, m)
		}
		return m
	}
	expect(220)
	tp.PrintfLine("EHLO test.example")
	expect(250)
	tp.PrintfLine("MAIL FROM:<%s>", from)
	expect(250)
	tp.PrintfLine("RCPT TO:<%s>", to)
	if code, m, err := tp.ReadResponse(250); err != nil {
		return strconv.Itoa(code) + " " + m
	}
	tp.PrintfLine("DATA")
	expect(354)
	w := tp.DotWriter()
	w.Write([]byte(msg))
	w.Close()
	code, m, _ := tp.ReadResponse(0)
	tp.PrintfLine("QUIT")
	return strconv.Itoa(code) + " " + m
}

// noVisitorContains fails when a conversation's visitor at central holds
// the personal id v (it must stay at the edge).
func noVisitorContains(t *testing.T, s *Stack, v string) {
	t.Helper()
	convs, err := s.Store().Conversations(context.Background(), DemoSite, store.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs {
		if strings.Contains(c.Visitor, v) {
			t.Fatalf("central's visitor %q holds %q", c.Visitor, v)
		}
	}
}
