package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WeCom is the WeCom customer-service adapter (企业微信 · 微信客服): WeChat
// users write to a customer-service account (open_kfid) of the merchant's
// corp; WeCom calls the callback URL with only a notice, and the messages
// are read through the kf/sync_msg API.
//
//   - GET ?msg_signature&timestamp&nonce&echostr: URL verification; echostr
//     is encrypted (WXBizMsgCrypt, receiver = CorpID); msg_signature is the
//     SHA-1 of the sorted token, timestamp, nonce and echostr; the answer is
//     the decrypted echostr.
//   - POST with the same query and <xml><Encrypt>…</Encrypt></xml>:
//     msg_signature is checked before the ciphertext is opened; the event
//     kf_msg_or_event carries a Token and the OpenKfId. The edge then pulls
//     the new messages (Pull) from the cursor it kept, publishes those the
//     customer wrote (origin 3), and saves the cursor; WeCom gets "success".
//   - Replies: kf/send_msg with an access token from gettoken
//     (corpid + the 微信客服 secret).
//
// The platform user of a WeCom shopper is "<open_kfid>|<external_userid>",
// so a reply knows which customer-service account to send from.
type WeCom struct {
	Client *http.Client
	tokens *tokenCache
}

// WeComAPIBase is WeCom's public API.
const WeComAPIBase = "https://qyapi.weixin.qq.com"

// PullRequest asks a Puller for the messages behind a notice.
type PullRequest struct {
	// Token is the notice's token (sync_msg needs it).
	Token string
	// Account is the customer-service account (open_kfid).
	Account string
}

// Puller is implemented by adapters whose platform sends notices and
// serves the messages through an API (WeCom). Pull returns the messages
// after cursor (all recent ones when cursor is "") and the next cursor.
type Puller interface {
	Pull(ctx context.Context, cfg Config, p PullRequest, cursor string) (msgs []Inbound, next string, err error)
}

type wecomEvent struct {
	ToUserName string `xml:"ToUserName"`
	MsgType    string `xml:"MsgType"`
	Event      string `xml:"Event"`
	Token      string `xml:"Token"`
	OpenKfID   string `xml:"OpenKfId"`
	Encrypt    string `xml:"Encrypt"`
}

// Handle implements Adapter.
func (w *WeCom) Handle(cfg Config, r Request) (Result, error) {
	q := r.Query
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
	if ts == "" || nonce == "" || sig == "" {
		return Result{}, refuse(http.StatusForbidden, "bad_signature", "msg_signature, timestamp and nonce are required")
	}
	switch r.Method {
	case http.MethodGet:
		echo := q.Get("echostr")
		if echo == "" || !equalString(wechatSignature(cfg.Token, ts, nonce, echo), sig) {
			return Result{}, refuse(http.StatusForbidden, "bad_signature", "msg_signature does not match echostr")
		}
		plain, err := wechatDecrypt(cfg.AESKey, cfg.CorpID, echo)
		if err != nil {
			return Result{}, refuse(http.StatusBadRequest, "bad_ciphertext", "%v", err)
		}
		return Result{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: plain}, nil
	case http.MethodPost:
	default:
		return Result{}, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "GET or POST")
	}
	if mt := mediaType(r.Header); mt != "text/xml" && mt != "application/xml" && mt != "" {
		return Result{}, refuse(http.StatusUnsupportedMediaType, "bad_content_type", "content type %q; WeCom sends XML", clip(mt))
	}
	var outer wecomEvent
	if err := decodeXML(r.Body, &outer); err != nil {
		return Result{}, err
	}
	if outer.Encrypt == "" {
		return Result{}, refuse(http.StatusBadRequest, "bad_xml", "no Encrypt element")
	}
	if !equalString(wechatSignature(cfg.Token, ts, nonce, outer.Encrypt), sig) {
		return Result{}, refuse(http.StatusForbidden, "bad_signature", "msg_signature does not match")
	}
	plain, err := wechatDecrypt(cfg.AESKey, cfg.CorpID, outer.Encrypt)
	if err != nil {
		return Result{}, refuse(http.StatusBadRequest, "bad_ciphertext", "%v", err)
	}
	var ev wecomEvent
	if err := decodeXML(plain, &ev); err != nil {
		return Result{}, err
	}
	if ev.MsgType != "event" || ev.Event != "kf_msg_or_event" {
		// Other callbacks of the corp's app: acknowledged, not messages.
		return Result{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte("success")}, nil
	}
	if ev.Token == "" || ev.OpenKfID == "" {
		return Result{}, refuse(http.StatusBadRequest, "bad_message", "kf_msg_or_event without Token or OpenKfId")
	}
	return Result{Pull: &PullRequest{Token: ev.Token, Account: ev.OpenKfID}}, nil
}

// decodeXML decodes one XML document with the checks parseWeChatXML makes.
func decodeXML(b []byte, v any) error {
	if _, err := parseWeChatXML(b); err != nil {
		return err
	}
	return xmlDecode(b, v)
}

// Ack implements Adapter.
func (w *WeCom) Ack(Config, []Inbound) (int, string, []byte) {
	return http.StatusOK, "text/plain; charset=utf-8", []byte("success")
}

type wecomSync struct {
	ErrCode    int    `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
	NextCursor string `json:"next_cursor"`
	HasMore    int    `json:"has_more"`
	MsgList    []struct {
		MsgID          string `json:"msgid"`
		OpenKfID       string `json:"open_kfid"`
		ExternalUserID string `json:"external_userid"`
		SendTime       int64  `json:"send_time"`
		Origin         int    `json:"origin"`
		MsgType        string `json:"msgtype"`
		Text           struct {
			Content string `json:"content"`
		} `json:"text"`
	} `json:"msg_list"`
}

// maxPullPages bounds the sync_msg pages read for one notice.
const maxPullPages = 20

// Pull implements Puller through kf/sync_msg.
func (w *WeCom) Pull(ctx context.Context, cfg Config, p PullRequest, cursor string) ([]Inbound, string, error) {
	base := cfg.apiBase(WeComAPIBase)
	var out []Inbound
	for page := 0; page < maxPullPages; page++ {
		tok, err := w.accessToken(ctx, base, cfg)
		if err != nil {
			return nil, cursor, err
		}
		body, _ := json.Marshal(map[string]any{"cursor": cursor, "token": p.Token, "limit": 1000, "open_kfid": p.Account})
		var rep wecomSync
		if err := postJSON(ctx, w.Client, base+"/cgi-bin/kf/sync_msg?access_token="+url.QueryEscape(tok), body, nil, &rep); err != nil {
			return nil, cursor, err
		}
		if rep.ErrCode != 0 {
			if rep.ErrCode == 40014 || rep.ErrCode == 42001 {
				w.tokens.drop(cfg.ID)
			}
			return nil, cursor, fmt.Errorf("%w: wecom sync_msg errcode %d: %s", ErrSend, rep.ErrCode, clip(rep.ErrMsg))
		}
		for _, m := range rep.MsgList {
			if m.Origin != 3 || m.MsgID == "" || m.ExternalUserID == "" { // 3: sent by the WeChat customer
				continue
			}
			text := m.Text.Content
			if m.MsgType != "text" {
				text = "[" + m.MsgType + "]"
			}
			if strings.TrimSpace(text) == "" {
				continue
			}
			in := Inbound{PlatformID: m.MsgID, User: m.OpenKfID + "|" + m.ExternalUserID, Text: text, Type: m.MsgType}
			if m.SendTime > 0 {
				in.At = time.Unix(m.SendTime, 0).UTC()
			}
			out = append(out, in)
		}
		if rep.NextCursor != "" {
			cursor = rep.NextCursor
		}
		if rep.HasMore == 0 {
			break
		}
	}
	return out, cursor, nil
}

func (w *WeCom) accessToken(ctx context.Context, base string, cfg Config) (string, error) {
	return w.tokens.get(ctx, cfg.ID, func(ctx context.Context) (string, time.Duration, error) {
		u := base + "/cgi-bin/gettoken?corpid=" + url.QueryEscape(cfg.CorpID) + "&corpsecret=" + url.QueryEscape(cfg.CorpSecret)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", 0, err
		}
		resp, err := w.Client.Do(req)
		if err != nil {
			return "", 0, fmt.Errorf("channels: wecom access token: %w", err)
		}
		defer resp.Body.Close()
		var rep struct {
			ErrCode     int    `json:"errcode"`
			ErrMsg      string `json:"errmsg"`
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&rep); err != nil {
			return "", 0, fmt.Errorf("channels: wecom access token: %s: %w", resp.Status, err)
		}
		if rep.AccessToken == "" {
			return "", 0, fmt.Errorf("%w: wecom access token: errcode %d: %s", ErrSend, rep.ErrCode, clip(rep.ErrMsg))
		}
		return rep.AccessToken, max(time.Duration(rep.ExpiresIn)*time.Second-5*time.Minute, time.Minute), nil
	})
}

// Send implements Adapter through kf/send_msg.
func (w *WeCom) Send(ctx context.Context, cfg Config, out Outbound) error {
	kf, user, ok := strings.Cut(out.User, "|")
	if !ok || kf == "" || user == "" {
		return fmt.Errorf("%w: wecom user %q is not open_kfid|external_userid", ErrConfig, clip(out.User))
	}
	base := cfg.apiBase(WeComAPIBase)
	tok, err := w.accessToken(ctx, base, cfg)
	if err != nil {
		return err
	}
	msg := map[string]any{"touser": user, "open_kfid": kf, "msgtype": "text", "text": map[string]string{"content": out.Text}}
	if out.ID != "" && len(out.ID) <= 32 {
		msg["msgid"] = out.ID // WeCom refuses a repeated msgid: a resend after a lost answer is not doubled
	}
	body, _ := json.Marshal(msg)
	var rep struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := postJSON(ctx, w.Client, base+"/cgi-bin/kf/send_msg?access_token="+url.QueryEscape(tok), body, nil, &rep); err != nil {
		return err
	}
	if rep.ErrCode != 0 {
		if rep.ErrCode == 40014 || rep.ErrCode == 42001 {
			w.tokens.drop(cfg.ID)
		}
		return fmt.Errorf("%w: wecom send_msg errcode %d: %s", ErrSend, rep.ErrCode, clip(rep.ErrMsg))
	}
	return nil
}
