package channels

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// Fixtures in testdata/ follow the platforms' public documentation (the
// WeChat ones use the sample token, AppID and EncodingAESKey of WeChat's
// own encryption docs; the AES fixture was sealed with Python's
// cryptography package, not with this code). No real user data.

const (
	wxToken = "pamtest"
	wxAppID = "wxb11529c136998cb6"
	wxKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	wxUser  = "oia2TjuEGTNoeX76QEjQNrcURxG8"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func query(t testing.TB, name string) url.Values {
	q, err := url.ParseQuery(strings.TrimSpace(string(fixture(t, name))))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func wantRefusal(t *testing.T, err error, status int, code string) {
	t.Helper()
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("err = %v, want a refusal %d %s", err, status, code)
	}
	if e.Status != status || e.Code != code {
		t.Fatalf("refusal %d %s (%s), want %d %s", e.Status, e.Code, e.Reason, status, code)
	}
}

func TestWeChatSignature(t *testing.T) {
	// Computed with Python's hashlib over the sorted strings.
	if got := wechatSignature("pamtest", "1409304348", "xxxxxx"); got != "76480565cbe296026c53aaacd1ad523a1ddba24f" {
		t.Fatalf("signature %s", got)
	}
}

func TestWeChatHandle(t *testing.T) {
	plain := Config{ID: "c1", Tenant: "t", Kind: KindWeChat, Token: wxToken, AppID: wxAppID}
	safe := plain
	safe.AESKey = wxKey
	xmlCT := header("Content-Type", "text/xml")
	q := query(t, "wechat_text.query")
	qa := query(t, "wechat_aes_text.query")
	with := func(v url.Values, k, val string) url.Values {
		c := url.Values{}
		for kk, vv := range v {
			c[kk] = append([]string(nil), vv...)
		}
		c.Set(k, val)
		return c
	}
	verify := with(q, "echostr", "5837397520521790331")
	tests := []struct {
		name     string
		cfg      Config
		method   string
		q        url.Values
		h        http.Header
		body     []byte
		status   int    // refusal status, 0 for success
		code     string // refusal code
		text     string // message text, "" for a direct response
		platform string
		body200  string // direct response body
	}{
		{name: "url verification", cfg: plain, method: "GET", q: verify, body200: "5837397520521790331"},
		{name: "url verification bad signature", cfg: plain, method: "GET", q: with(verify, "signature", strings.Repeat("0", 40)), status: 403, code: "bad_signature"},
		{name: "url verification no signature", cfg: plain, method: "GET", q: url.Values{"echostr": {"x"}}, status: 403, code: "bad_signature"},
		{name: "text", cfg: plain, method: "POST", q: q, h: xmlCT, body: fixture(t, "wechat_text.xml"), text: "你好，我的订单什么时候发货？", platform: "6046867556802961468"},
		{name: "image", cfg: plain, method: "POST", q: q, h: xmlCT, body: fixture(t, "wechat_image.xml"), text: "[image] http://mmbiz.qpic.cn/example/0", platform: "6046867556802961469"},
		{name: "subscribe", cfg: plain, method: "POST", q: q, h: xmlCT, body: fixture(t, "wechat_subscribe.xml"), text: "[subscribed]", platform: "ev:" + wxUser + ":1407743400:subscribe"},
		{name: "menu click", cfg: plain, method: "POST", q: q, h: xmlCT, body: fixture(t, "wechat_click.xml"), text: "[menu] ORDER_STATUS", platform: "ev:" + wxUser + ":1407743600:CLICK"},
		{name: "unsubscribe is acknowledged only", cfg: plain, method: "POST", q: q, h: xmlCT, body: fixture(t, "wechat_unsubscribe.xml"), body200: "success"},
		{name: "bad signature is refused before the body is read", cfg: plain, method: "POST", q: with(q, "signature", "x"), h: xmlCT, body: []byte("<not xml"), status: 403, code: "bad_signature"},
		{name: "entity expansion", cfg: plain, method: "POST", q: q, h: xmlCT, body: fixture(t, "wechat_billion_laughs.xml"), status: 400, code: "bad_xml"},
		{name: "bad xml", cfg: plain, method: "POST", q: q, h: xmlCT, body: []byte("<xml><ToUserName>"), status: 400, code: "bad_xml"},
		{name: "invalid utf-8", cfg: plain, method: "POST", q: q, h: xmlCT, body: []byte("<xml><Content>\xff\xfe</Content></xml>"), status: 400, code: "bad_encoding"},
		{name: "wrong content type", cfg: plain, method: "POST", q: q, h: header("Content-Type", "application/json"), body: []byte("{}"), status: 415, code: "bad_content_type"},
		{name: "missing fields", cfg: plain, method: "POST", q: q, h: xmlCT, body: []byte("<xml><MsgType>text</MsgType></xml>"), status: 400, code: "bad_message"},
		{name: "empty text", cfg: plain, method: "POST", q: q, h: xmlCT, body: []byte("<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><Content> </Content><MsgId>1</MsgId></xml>"), status: 400, code: "bad_message"},
		{name: "safe mode", cfg: safe, method: "POST", q: qa, h: xmlCT, body: fixture(t, "wechat_aes_text.xml"), text: "你好，我的订单什么时候发货？", platform: "6046867556802961468"},
		{name: "safe mode bad msg_signature", cfg: safe, method: "POST", q: with(qa, "msg_signature", "00"), h: xmlCT, body: fixture(t, "wechat_aes_text.xml"), status: 403, code: "bad_signature"},
		{name: "safe mode wrong app id", cfg: func() Config { c := safe; c.AppID = "wxother"; return c }(), method: "POST", q: qa, h: xmlCT, body: fixture(t, "wechat_aes_text.xml"), status: 400, code: "bad_ciphertext"},
		{name: "safe-mode channel refuses plain text", cfg: safe, method: "POST", q: q, h: xmlCT, body: fixture(t, "wechat_text.xml"), status: 403, code: "encryption_required"},
		{name: "encrypted message to a plain channel", cfg: plain, method: "POST", q: qa, h: xmlCT, body: fixture(t, "wechat_aes_text.xml"), status: 400, code: "not_configured"},
		{name: "method", cfg: plain, method: "PUT", q: q, status: 405, code: "method_not_allowed"},
	}
	w := &WeChat{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.h
			if h == nil {
				h = http.Header{}
			}
			res, err := w.Handle(tc.cfg, Request{Method: tc.method, Query: tc.q, Header: h, Body: tc.body, Now: time.Now()})
			if tc.status != 0 {
				wantRefusal(t, err, tc.status, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.text == "" {
				if len(res.Messages) != 0 || res.Status != 200 || string(res.Body) != tc.body200 {
					t.Fatalf("result %+v, want 200 %q", res, tc.body200)
				}
				return
			}
			if len(res.Messages) != 1 || !res.PassiveOK {
				t.Fatalf("result %+v, want one message", res)
			}
			m := res.Messages[0]
			if m.Text != tc.text || m.PlatformID != tc.platform || m.User != wxUser || m.Passive.Account != "gh_7f083739789a" {
				t.Fatalf("message %+v, want text %q id %q", m, tc.text, tc.platform)
			}
		})
	}
}

func TestWeChatPassiveReply(t *testing.T) {
	w := &WeChat{}
	in := Inbound{User: wxUser, Passive: PassiveInfo{Account: "gh_7f083739789a"}}
	cfg := Config{ID: "c1", Tenant: "t", Kind: KindWeChat, Token: wxToken, AppID: wxAppID, AESKey: wxKey}
	now := time.Unix(1409304400, 0)
	_, body, err := w.PassiveReply(cfg, in, "已发货 ]]> <b>", now)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseWeChatXML(body)
	if err != nil || m.ToUserName != wxUser || m.FromUserName != "gh_7f083739789a" || m.MsgType != "text" || m.Content != "已发货 ]]> <b>" || m.CreateTime != now.Unix() {
		t.Fatalf("plain reply %s → %+v, %v", body, m, err)
	}
	in.Passive.Encrypted = true
	_, body, err = w.PassiveReply(cfg, in, "已发货", now)
	if err != nil {
		t.Fatal(err)
	}
	var enc struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xmlUnmarshal(body, &enc); err != nil {
		t.Fatal(err)
	}
	if enc.MsgSignature != wechatSignature(wxToken, enc.TimeStamp, enc.Nonce, enc.Encrypt) {
		t.Fatalf("encrypted reply signature does not verify: %s", body)
	}
	plain, err := wechatDecrypt(wxKey, wxAppID, enc.Encrypt)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := parseWeChatXML(plain); err != nil || m.Content != "已发货" {
		t.Fatalf("decrypted reply %s, %v", plain, err)
	}
}

func TestWeChatSend(t *testing.T) {
	var tokens, sends int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cgi-bin/token":
			tokens++
			if r.URL.Query().Get("appid") != wxAppID || r.URL.Query().Get("secret") != "s3cret" || r.URL.Query().Get("grant_type") != "client_credential" {
				w.Write([]byte(`{"errcode":40013,"errmsg":"invalid appid"}`))
				return
			}
			w.Write([]byte(`{"access_token":"TOKEN` + string(rune('0'+tokens)) + `","expires_in":7200}`))
		case "/cgi-bin/message/custom/send":
			sends++
			if r.URL.Query().Get("access_token") == "TOKEN1" { // the first token "expired"
				w.Write([]byte(`{"errcode":42001,"errmsg":"access_token expired"}`))
				return
			}
			var body struct {
				ToUser  string `json:"touser"`
				MsgType string `json:"msgtype"`
				Text    struct {
					Content string `json:"content"`
				} `json:"text"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ToUser != wxUser || body.MsgType != "text" || body.Text.Content != "您好" {
				w.Write([]byte(`{"errcode":40003,"errmsg":"bad body"}`))
				return
			}
			w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	w := For(KindWeChat, srv.Client()).(*WeChat)
	cfg := Config{ID: "c1", Tenant: "t", Kind: KindWeChat, Token: wxToken, AppID: wxAppID, AppSecret: "s3cret", APIBase: srv.URL}
	if err := w.Send(context.Background(), cfg, Outbound{User: wxUser, Text: "您好"}); err != nil {
		t.Fatal(err)
	}
	if tokens != 2 || sends != 2 {
		t.Fatalf("tokens %d sends %d, want 2 and 2 (an expired token is renewed once)", tokens, sends)
	}
	if err := w.Send(context.Background(), cfg, Outbound{User: wxUser, Text: "您好"}); err != nil || tokens != 2 {
		t.Fatalf("second send: %v, tokens %d (want the cached token)", err, tokens)
	}
	cfg.AppSecret = "wrong"
	if err := w.Send(context.Background(), cfg, Outbound{User: wxUser, Text: "您好"}); !errors.Is(err, ErrSend) {
		t.Fatalf("wrong secret: %v, want ErrSend", err)
	}
}

func TestWebhook(t *testing.T) {
	cfg := Config{ID: "c2", Tenant: "t", Kind: KindWebhook, Secret: "whsec", OutboundURL: "http://127.0.0.1:1/x"}
	now := time.Unix(1767225600, 0)
	body := fixture(t, "webhook_text.json")
	ts := "1767225600"
	good := header("Content-Type", "application/json", HeaderTimestamp, ts, HeaderSignature, Sign("whsec", ts, body))
	tests := []struct {
		name   string
		h      http.Header
		body   []byte
		method string
		status int
		code   string
	}{
		{name: "ok", h: good, body: body},
		{name: "no signature", h: header("Content-Type", "application/json"), body: body, status: 401, code: "bad_signature"},
		{name: "wrong secret", h: header("Content-Type", "application/json", HeaderTimestamp, ts, HeaderSignature, Sign("other", ts, body)), body: body, status: 401, code: "bad_signature"},
		{name: "body changed", h: good, body: []byte(strings.Replace(string(body), "parcel", "money", 1)), status: 401, code: "bad_signature"},
		{name: "stale", h: header("Content-Type", "application/json", HeaderTimestamp, "1767225000", HeaderSignature, Sign("whsec", "1767225000", body)), body: body, status: 401, code: "stale_timestamp"},
		{name: "content type", h: header("Content-Type", "text/plain", HeaderTimestamp, ts, HeaderSignature, Sign("whsec", ts, body)), body: body, status: 415, code: "bad_content_type"},
		{name: "method", h: good, body: body, method: "GET", status: 405, code: "method_not_allowed"},
	}
	for _, bad := range []struct{ name, body, code string }{
		{"malformed json", `{"id":`, "bad_json"},
		{"unknown field", `{"id":"1","user":"u","text":"x","admin":true}`, "bad_json"},
		{"no text", `{"id":"1","user":"u","text":""}`, "bad_message"},
		{"no user", `{"id":"1","text":"hi"}`, "bad_message"},
		{"two objects", `{"id":"1","user":"u","text":"a"}{"id":"2","user":"u","text":"b"}`, "bad_json"},
		{"invalid utf-8", "{\"id\":\"1\",\"user\":\"u\",\"text\":\"\xff\"}", "bad_encoding"},
	} {
		b := []byte(bad.body)
		tests = append(tests, struct {
			name   string
			h      http.Header
			body   []byte
			method string
			status int
			code   string
		}{name: bad.name, h: header("Content-Type", "application/json; charset=utf-8", HeaderTimestamp, ts, HeaderSignature, Sign("whsec", ts, b)), body: b, status: 400, code: bad.code})
	}
	w := &Webhook{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.method
			if m == "" {
				m = "POST"
			}
			res, err := w.Handle(cfg, Request{Method: m, Header: tc.h, Body: tc.body, Now: now})
			if tc.status != 0 {
				wantRefusal(t, err, tc.status, tc.code)
				return
			}
			if err != nil || len(res.Messages) != 1 {
				t.Fatalf("%+v, %v", res, err)
			}
			if in := res.Messages[0]; in.PlatformID != "order-42-msg-1" || in.User != "customer-17" || in.Text != "Where is my parcel?" {
				t.Fatalf("message %+v", in)
			}
		})
	}
}

func TestWebhookSend(t *testing.T) {
	got := make(chan WebhookOut, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := VerifySignature("whsec", r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, time.Now()); err != nil {
			http.Error(w, err.Error(), 401)
			return
		}
		var o WebhookOut
		json.Unmarshal(body, &o)
		got <- o
	}))
	defer srv.Close()
	cfg := Config{ID: "c2", Tenant: "t", Kind: KindWebhook, Secret: "whsec", OutboundURL: srv.URL}
	if err := (&Webhook{Client: srv.Client()}).Send(context.Background(), cfg, Outbound{ID: "r1", User: "customer-17", Text: "On its way", ReplyTo: "m1"}); err != nil {
		t.Fatal(err)
	}
	if o := <-got; o.ID != "r1" || o.User != "customer-17" || o.Text != "On its way" || o.ReplyTo != "m1" {
		t.Fatalf("got %+v", o)
	}
	cfg.Secret = "wrong"
	if err := (&Webhook{Client: srv.Client()}).Send(context.Background(), cfg, Outbound{ID: "r2", User: "u", Text: "x"}); !errors.Is(err, ErrSend) {
		t.Fatalf("refused delivery: %v, want ErrSend", err)
	}
}

func TestTelegram(t *testing.T) {
	cfg := Config{ID: "c3", Tenant: "t", Kind: KindTelegram, BotToken: "123:ABC", Secret: "tg-secret_1"}
	body := fixture(t, "telegram_text.json")
	tg := &Telegram{}
	res, err := tg.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderTelegramSecret, "tg-secret_1"), Body: body})
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	if in := res.Messages[0]; in.PlatformID != "u10000" || in.User != "1111111" || in.Text != "Where is my order 12345?" {
		t.Fatalf("message %+v", in)
	}
	_, err = tg.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderTelegramSecret, "nope"), Body: body})
	wantRefusal(t, err, 401, "bad_signature")
	_, err = tg.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json"), Body: body})
	wantRefusal(t, err, 401, "bad_signature")
	_, err = tg.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderTelegramSecret, "tg-secret_1"), Body: []byte(`{"update_id":`)})
	wantRefusal(t, err, 400, "bad_json")
	res, err = tg.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderTelegramSecret, "tg-secret_1"), Body: []byte(`{"update_id":5,"edited_message":{}}`)})
	if err != nil || len(res.Messages) != 0 || res.Status != 200 {
		t.Fatalf("an update without a message: %+v, %v", res, err)
	}

	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bot123:ABC/sendMessage" {
			w.WriteHeader(404)
			w.Write([]byte(`{"ok":false,"description":"Not Found"}`))
			return
		}
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got <- m
		w.Write([]byte(`{"ok":true,"result":{}}`))
	}))
	defer srv.Close()
	cfg.APIBase = srv.URL
	if err := (&Telegram{Client: srv.Client()}).Send(context.Background(), cfg, Outbound{User: "1111111", Text: "Shipped"}); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m["chat_id"] != float64(1111111) || m["text"] != "Shipped" {
		t.Fatalf("sendMessage body %v", m)
	}
	cfg.BotToken = "wrong"
	if err := (&Telegram{Client: srv.Client()}).Send(context.Background(), cfg, Outbound{User: "1", Text: "x"}); !errors.Is(err, ErrSend) {
		t.Fatalf("wrong token: %v, want ErrSend", err)
	}
}

func TestWhatsApp(t *testing.T) {
	cfg := Config{ID: "c4", Tenant: "t", Kind: KindWhatsApp, VerifyToken: "vt", AppSecret: "appsec", AccessToken: "EAAG", PhoneNumberID: "106540352242922"}
	wa := &WhatsApp{}
	res, err := wa.Handle(cfg, Request{Method: "GET", Query: url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt"}, "hub.challenge": {"1158201444"}}})
	if err != nil || string(res.Body) != "1158201444" || res.Status != 200 {
		t.Fatalf("verification %+v, %v", res, err)
	}
	_, err = wa.Handle(cfg, Request{Method: "GET", Query: url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"wrong"}, "hub.challenge": {"1"}}})
	wantRefusal(t, err, 403, "bad_signature")
	body := fixture(t, "whatsapp_text.json")
	sig := "sha256=" + hmacHex("appsec", body)
	res, err = wa.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderHubSignature, sig), Body: body})
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("%+v, %v", res, err)
	}
	if in := res.Messages[0]; in.User != "16505551234" || in.Text != "Does it come in another color?" || !strings.HasPrefix(in.PlatformID, "wamid.") {
		t.Fatalf("message %+v", in)
	}
	_, err = wa.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderHubSignature, "sha256=00"), Body: body})
	wantRefusal(t, err, 401, "bad_signature")
	status := fixture(t, "whatsapp_status.json")
	res, err = wa.Handle(cfg, Request{Method: "POST", Header: header("Content-Type", "application/json", HeaderHubSignature, "sha256="+hmacHex("appsec", status)), Body: status})
	if err != nil || len(res.Messages) != 0 || res.Status != 200 {
		t.Fatalf("status update: %+v, %v", res, err)
	}

	got := make(chan map[string]any, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/106540352242922/messages" || r.Header.Get("Authorization") != "Bearer EAAG" {
			w.WriteHeader(401)
			return
		}
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		got <- m
		w.Write([]byte(`{"messaging_product":"whatsapp","messages":[{"id":"wamid.X"}]}`))
	}))
	defer srv.Close()
	cfg.APIBase = srv.URL
	if err := (&WhatsApp{Client: srv.Client()}).Send(context.Background(), cfg, Outbound{User: "16505551234", Text: "Yes, in blue"}); err != nil {
		t.Fatal(err)
	}
	m := <-got
	if m["to"] != "16505551234" || m["messaging_product"] != "whatsapp" || m["text"].(map[string]any)["body"] != "Yes, in blue" {
		t.Fatalf("messages body %v", m)
	}
}

func TestMessageID(t *testing.T) {
	a, b := MessageID("c1", "42"), MessageID("c1", "42")
	if a != b || a == MessageID("c2", "42") || a == MessageID("c1", "43") || len(a) > 64 {
		t.Fatalf("ids %s %s", a, b)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		c  Config
		ok bool
	}{
		{Config{Tenant: "t", Kind: KindWeChat, Token: "x", AppID: "wx1"}, true},
		{Config{Tenant: "t", Kind: KindWeChat, Token: "x"}, false},
		{Config{Tenant: "t", Kind: KindWeChat, Token: "x", AppID: "wx1", AESKey: "short"}, false},
		{Config{Tenant: "t", Kind: KindWebhook, Secret: "s", OutboundURL: "https://shop.example/hook"}, true},
		{Config{Tenant: "t", Kind: KindWebhook, Secret: "s", OutboundURL: "ftp://x"}, false},
		{Config{Tenant: "t", Kind: KindTelegram, BotToken: "1:A", Secret: "ok_1"}, true},
		{Config{Tenant: "t", Kind: KindTelegram, BotToken: "1:A", Secret: "no spaces"}, false},
		{Config{Tenant: "t", Kind: KindWhatsApp, VerifyToken: "v", AppSecret: "a", AccessToken: "t", PhoneNumberID: "1"}, true},
		{Config{Tenant: "t", Kind: "fax"}, false},
		{Config{Kind: KindWebhook, Secret: "s", OutboundURL: "https://x"}, false},
	}
	for _, tc := range tests {
		if err := tc.c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok=%v", tc.c, err, tc.ok)
		}
	}
}
