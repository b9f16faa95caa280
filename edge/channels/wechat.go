package channels

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// WeChat is the WeChat Official Account adapter (微信公众号, "server
// configuration" in the MP admin console):
//
//   - GET ?signature&timestamp&nonce&echostr: URL verification; echostr is
//     returned when signature = SHA-1 of the sorted token, timestamp, nonce.
//   - POST with the same query (plain mode), plus encrypt_type=aes and
//     msg_signature in safe mode: one XML message (text, image, or an event:
//     subscribe, menu CLICK). signature is checked before the body is read;
//     in safe mode msg_signature too, before the ciphertext is opened.
//   - The answer is either a passive XML reply in the HTTP response (within
//     WeChat's 5-second window; encrypted in safe mode) or "success", after
//     which replies go through the customer-service message API
//     (/cgi-bin/message/custom/send, access token from /cgi-bin/token).
//
// WeChat retries a message it got no answer for three times with the same
// MsgId; events carry no MsgId and are identified by FromUserName and
// CreateTime, as WeChat's documentation advises.
type WeChat struct {
	Client *http.Client
	tokens *tokenCache
}

// wechatMsg is the XML of an inbound message (plain, or decrypted).
type wechatMsg struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	PicURL       string   `xml:"PicUrl"`
	MediaID      string   `xml:"MediaId"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
	Encrypt      string   `xml:"Encrypt"`
}

// Handle implements Adapter.
func (w *WeChat) Handle(cfg Config, r Request) (Result, error) {
	q := r.Query
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if ts == "" || nonce == "" || q.Get("signature") == "" {
		return Result{}, refuse(http.StatusForbidden, "bad_signature", "signature, timestamp and nonce are required")
	}
	if !equalString(wechatSignature(cfg.Token, ts, nonce), q.Get("signature")) {
		return Result{}, refuse(http.StatusForbidden, "bad_signature", "signature does not match the token")
	}
	switch r.Method {
	case http.MethodGet:
		echo := q.Get("echostr")
		if echo == "" {
			return Result{}, refuse(http.StatusBadRequest, "bad_request", "echostr is required")
		}
		return Result{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(echo)}, nil
	case http.MethodPost:
	default:
		return Result{}, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "GET or POST")
	}
	if mt := mediaType(r.Header); mt != "text/xml" && mt != "application/xml" && mt != "" {
		return Result{}, refuse(http.StatusUnsupportedMediaType, "bad_content_type", "content type %q; WeChat sends text/xml", clip(mt))
	}
	enc := q.Get("encrypt_type") == "aes"
	if enc && cfg.AESKey == "" {
		return Result{}, refuse(http.StatusBadRequest, "not_configured", "safe-mode message but the channel has no --aes-key")
	}
	if !enc && cfg.AESKey != "" && q.Get("encrypt_type") != "raw" {
		// A channel configured for safe mode takes no plain text: that is
		// what an attacker who learnt the token would send.
		return Result{}, refuse(http.StatusForbidden, "encryption_required", "this channel is in safe mode; the message is not encrypted")
	}
	m, err := parseWeChatXML(r.Body)
	if err != nil {
		return Result{}, err
	}
	if enc {
		if m.Encrypt == "" {
			return Result{}, refuse(http.StatusBadRequest, "bad_xml", "safe mode without an Encrypt element")
		}
		if !equalString(wechatSignature(cfg.Token, ts, nonce, m.Encrypt), q.Get("msg_signature")) {
			return Result{}, refuse(http.StatusForbidden, "bad_signature", "msg_signature does not match")
		}
		plain, err := wechatDecrypt(cfg.AESKey, cfg.AppID, m.Encrypt)
		if err != nil {
			return Result{}, refuse(http.StatusBadRequest, "bad_ciphertext", "%v", err)
		}
		if m, err = parseWeChatXML(plain); err != nil {
			return Result{}, err
		}
	}
	in, err := m.inbound()
	if err != nil {
		return Result{}, err
	}
	in.Passive = PassiveInfo{Account: m.ToUserName, Encrypted: enc}
	if in.Text == "" { // an event Kefu does not turn into a message (unsubscribe, view…)
		return Result{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("success")}, nil
	}
	return Result{Messages: []Inbound{in}, PassiveOK: true}, nil
}

// parseWeChatXML decodes one <xml> document. encoding/xml expands no
// entity but the five predefined ones and refuses a DTD's own, so entity
// expansion attacks fail with a syntax error.
func parseWeChatXML(b []byte) (wechatMsg, error) {
	var m wechatMsg
	if len(b) == 0 {
		return m, refuse(http.StatusBadRequest, "bad_xml", "empty body")
	}
	if !utf8.Valid(b) {
		return m, refuse(http.StatusBadRequest, "bad_encoding", "body is not valid UTF-8")
	}
	if bytes.Contains(b, []byte("<!DOCTYPE")) || bytes.Contains(b, []byte("<!ENTITY")) {
		return m, refuse(http.StatusBadRequest, "bad_xml", "document type declarations are not accepted")
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(&m); err != nil {
		return m, refuse(http.StatusBadRequest, "bad_xml", "%v", err)
	}
	return m, nil
}

func (m wechatMsg) inbound() (Inbound, error) {
	if m.FromUserName == "" || m.MsgType == "" {
		return Inbound{}, refuse(http.StatusBadRequest, "bad_message", "FromUserName and MsgType are required")
	}
	in := Inbound{User: m.FromUserName, Type: m.MsgType}
	if m.CreateTime > 0 {
		in.At = time.Unix(m.CreateTime, 0).UTC()
	}
	in.PlatformID = m.MsgID
	switch m.MsgType {
	case "text":
		in.Text = m.Content
	case "image":
		in.Text = "[image] " + m.PicURL
	case "event":
		in.Type = "event:" + strings.ToLower(m.Event)
		switch strings.ToLower(m.Event) {
		case "subscribe":
			in.Text = "[subscribed]"
			if m.EventKey != "" {
				in.Text += " " + m.EventKey
			}
		case "click":
			in.Text = "[menu] " + m.EventKey
		default:
			return in, nil // unsubscribe, VIEW, LOCATION…: acknowledged, not a message
		}
		in.PlatformID = "ev:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.Event
	default:
		in.Text = "[" + m.MsgType + "]"
	}
	if in.PlatformID == "" {
		in.PlatformID = "t:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10)
	}
	if strings.TrimSpace(in.Text) == "" {
		return in, refuse(http.StatusBadRequest, "bad_message", "empty %s message", m.MsgType)
	}
	return in, nil
}

// Ack implements Adapter: WeChat takes "success" (or an empty body) as
// "received, no passive reply".
func (w *WeChat) Ack(Config, []Inbound) (int, string, []byte) {
	return http.StatusOK, "text/plain; charset=utf-8", []byte("success")
}

// PassiveReply implements Passive: the text reply XML, encrypted in safe mode.
func (w *WeChat) PassiveReply(cfg Config, in Inbound, text string, now time.Time) (string, []byte, error) {
	var b bytes.Buffer
	b.WriteString("<xml><ToUserName>")
	cdata(&b, in.User)
	b.WriteString("</ToUserName><FromUserName>")
	cdata(&b, in.Passive.Account)
	b.WriteString("</FromUserName><CreateTime>")
	b.WriteString(strconv.FormatInt(now.Unix(), 10))
	b.WriteString("</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>")
	cdata(&b, text)
	b.WriteString("</Content></xml>")
	if !in.Passive.Encrypted {
		return "text/xml; charset=utf-8", b.Bytes(), nil
	}
	enc, err := wechatEncrypt(cfg.AESKey, cfg.AppID, b.Bytes())
	if err != nil {
		return "", nil, err
	}
	var nb [8]byte
	_, _ = rand.Read(nb[:])
	ts, nonce := strconv.FormatInt(now.Unix(), 10), hex.EncodeToString(nb[:])
	var e bytes.Buffer
	e.WriteString("<xml><Encrypt>")
	cdata(&e, enc)
	e.WriteString("</Encrypt><MsgSignature>")
	cdata(&e, wechatSignature(cfg.Token, ts, nonce, enc))
	e.WriteString("</MsgSignature><TimeStamp>" + ts + "</TimeStamp><Nonce>")
	cdata(&e, nonce)
	e.WriteString("</Nonce></xml>")
	return "text/xml; charset=utf-8", e.Bytes(), nil
}

func xmlDecode(b []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "bad_xml", "%v", err)
	}
	return nil
}

// cdata writes s as CDATA sections, splitting any "]]>" inside it.
func cdata(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// Send implements Adapter through the customer-service message API.
func (w *WeChat) Send(ctx context.Context, cfg Config, out Outbound) error {
	if cfg.AppSecret == "" {
		return fmt.Errorf("%w: wechat channel %s has no --app-secret for the customer-service API", ErrConfig, cfg.ID)
	}
	base := cfg.apiBase(WeChatAPIBase)
	for attempt := 0; ; attempt++ {
		tok, err := w.tokens.get(ctx, cfg.ID+"\x00"+cfg.AppSecret, func(ctx context.Context) (string, time.Duration, error) {
			return w.fetchToken(ctx, base, cfg)
		})
		if err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{"touser": out.User, "msgtype": "text", "text": map[string]string{"content": out.Text}})
		var rep struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := postJSON(ctx, w.Client, base+"/cgi-bin/message/custom/send?access_token="+url.QueryEscape(tok), body, nil, &rep); err != nil {
			return err
		}
		switch rep.ErrCode {
		case 0:
			return nil
		case 40001, 40014, 42001: // invalid or expired access token: fetch a new one once
			w.tokens.drop(cfg.ID + "\x00" + cfg.AppSecret)
			if attempt == 0 {
				continue
			}
		}
		return fmt.Errorf("%w: wechat errcode %d: %s", ErrSend, rep.ErrCode, clip(rep.ErrMsg))
	}
}

func (w *WeChat) fetchToken(ctx context.Context, base string, cfg Config) (string, time.Duration, error) {
	u := base + "/cgi-bin/token?grant_type=client_credential&appid=" + url.QueryEscape(cfg.AppID) + "&secret=" + url.QueryEscape(cfg.AppSecret)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("channels: wechat access token: %w", err)
	}
	defer resp.Body.Close()
	var rep struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		ErrCode     int    `json:"errcode"`
		ErrMsg      string `json:"errmsg"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&rep); err != nil {
		return "", 0, fmt.Errorf("channels: wechat access token: %s: %w", resp.Status, err)
	}
	if rep.AccessToken == "" {
		return "", 0, fmt.Errorf("%w: wechat access token: errcode %d: %s", ErrSend, rep.ErrCode, clip(rep.ErrMsg))
	}
	ttl := time.Duration(rep.ExpiresIn)*time.Second - 5*time.Minute
	if ttl < time.Minute {
		ttl = time.Minute
	}
	return rep.AccessToken, ttl, nil
}

// tokenCache keeps platform access tokens until shortly before they expire.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	tok string
	exp time.Time
}

func newTokenCache() *tokenCache { return &tokenCache{m: make(map[string]cachedToken)} }

func (c *tokenCache) get(ctx context.Context, key string, fetch func(context.Context) (string, time.Duration, error)) (string, error) {
	c.mu.Lock()
	t, ok := c.m[key]
	c.mu.Unlock()
	if ok && time.Now().Before(t.exp) {
		return t.tok, nil
	}
	tok, ttl, err := fetch(ctx)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.m[key] = cachedToken{tok: tok, exp: time.Now().Add(ttl)}
	c.mu.Unlock()
	return tok, nil
}

func (c *tokenCache) drop(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// postJSON POSTs body and decodes a JSON answer into rep (if not nil). A
// status outside 2xx is an error wrapping ErrSend, with the start of the
// answer.
func postJSON(ctx context.Context, client *http.Client, u string, body []byte, header http.Header, rep any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("channels: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("channels: post %s%s: %w", req.URL.Host, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: %s: %s", ErrSend, resp.Status, clip(string(data)))
	}
	if rep != nil {
		if err := json.Unmarshal(data, rep); err != nil {
			return fmt.Errorf("channels: answer of %s: %w", req.URL.Path, err)
		}
	}
	return nil
}
