// Package alert delivers staff alerts (a shopper threatening a complaint,
// a very angry shopper) to the merchant's phones through the adapters
// Chinese and international teams use:
//
//   - WeCom (企业微信) group robot: POST the robot's webhook URL
//     (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY) with
//     {"msgtype":"markdown","markdown":{"content":…}} (at most 4096 bytes);
//     the answer {"errcode":0,"errmsg":"ok"} means delivered.
//   - DingTalk (钉钉) custom robot, signed: POST
//     URL&timestamp=MS&sign=SIGN where SIGN is the URL-encoded base64 of
//     HMAC-SHA256(key=secret, timestamp+"\n"+secret) (DingtalkSign), with
//     {"msgtype":"markdown","markdown":{"title":…,"text":…}}; errcode 0 is
//     delivered.
//   - a generic HTTP SMS gateway: POST the URL with JSON
//     {"to":…,"text":…,"tenant":…,"conversation":…}; any 2xx is delivered.
//   - e-mail over SMTP (net/smtp) to an address, through the configured relay.
//
// Every alert carries the tenant, a link to the conversation in the
// console, the shopper's text with personal data masked, and the matched
// words (or the anger score). A delivery that fails for a reason that may
// pass (network, 5xx, 429, a robot's rate-limit errcode) is ErrRetry; any
// other failure is permanent. Retrying, backoff and deduplication are the
// caller's (central's alert outbox); this package only speaks the formats.
package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of alert.
const (
	KindSensitive = "sensitive" // a watched word (sensitive-word plugin)
	KindAnger     = "anger"     // the anger score crossed the tenant's threshold
)

// Adapter names (Target.Adapter).
const (
	WeCom    = "wecom"
	DingTalk = "dingtalk"
	SMS      = "sms"
	Email    = "email"
)

// Sentinel errors.
var (
	// ErrRetry marks a failure worth retrying.
	ErrRetry = errors.New("alert: temporary failure")
	// ErrTarget refuses a malformed target.
	ErrTarget = errors.New("alert: bad target")
)

// Alert is what the staff receive.
type Alert struct {
	Tenant         string   `json:"tenant"`
	ConversationID string   `json:"conversation"`
	Kind           string   `json:"kind"`
	Words          []string `json:"words,omitempty"`
	Anger          float64  `json:"anger,omitempty"`
	// Text is the shopper's message with personal data masked.
	Text string `json:"text"`
	// Link opens the conversation in the console.
	Link string    `json:"link"`
	At   time.Time `json:"at"`
}

// Target is one configured adapter of a tenant.
type Target struct {
	Adapter string
	// URL is the robot webhook or SMS gateway URL.
	URL string
	// Secret signs DingTalk requests ("" = unsigned robot).
	Secret string
	// To is the e-mail address or SMS number.
	To string
}

// Name identifies the target in delivery records (adapter and host, no secrets).
func (t Target) Name() string {
	if t.Adapter == Email {
		return "email:" + t.To
	}
	if u, err := url.Parse(t.URL); err == nil {
		return t.Adapter + ":" + u.Host
	}
	return t.Adapter
}

// CheckURL validates a robot or gateway URL: absolute http(s).
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an http(s) URL", ErrTarget, raw)
	}
	return nil
}

// Title is the one-line headline of an alert.
func Title(a Alert) string {
	switch a.Kind {
	case KindAnger:
		return fmt.Sprintf("[Kefu] Angry shopper (%.2f) – %s", a.Anger, a.Tenant)
	}
	return fmt.Sprintf("[Kefu] Complaint risk: %s – %s", strings.Join(a.Words, ", "), a.Tenant)
}

// PlainText is the alert as plain text (SMS, e-mail, WeCom text).
func PlainText(a Alert) string {
	var b strings.Builder
	b.WriteString(Title(a))
	b.WriteString("\n")
	if len(a.Words) > 0 {
		b.WriteString("Words: " + strings.Join(a.Words, ", ") + "\n")
	}
	if a.Kind == KindAnger {
		b.WriteString("Anger: " + strconv.FormatFloat(a.Anger, 'f', 2, 64) + "\n")
	}
	b.WriteString("Shopper: " + a.Text + "\n")
	b.WriteString("Conversation: " + a.Link + "\n")
	b.WriteString("At: " + a.At.UTC().Format(time.RFC3339))
	return b.String()
}

// mdEscape keeps shopper text from becoming markdown (links, headings…).
var mdEscape = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`, "`", "\\`", `#`, `\#`, `<`, `&lt;`, `>`, `&gt;`, "\n", " ")

// Markdown is the alert in the robots' markdown subset; the shopper's text
// is escaped so that it renders as text.
func Markdown(a Alert) string {
	var b strings.Builder
	b.WriteString("### " + mdEscape.Replace(Title(a)) + "\n")
	if len(a.Words) > 0 {
		b.WriteString("> Words: **" + mdEscape.Replace(strings.Join(a.Words, ", ")) + "**\n")
	}
	if a.Kind == KindAnger {
		b.WriteString("> Anger: **" + strconv.FormatFloat(a.Anger, 'f', 2, 64) + "**\n")
	}
	b.WriteString("> Shopper: " + mdEscape.Replace(a.Text) + "\n\n")
	b.WriteString("[Open the conversation](" + a.Link + ")\n")
	return b.String()
}

// cut truncates s to at most n bytes on a rune boundary, with an ellipsis.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-3]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// DingtalkSign returns the sign parameter of a signed DingTalk robot
// request at timestamp ms: base64(HMAC-SHA256(secret, ms+"\n"+secret)),
// not yet URL-encoded.
func DingtalkSign(secret string, ms int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Sender delivers alerts. The zero value is not usable; use New.
type Sender struct {
	client   *http.Client
	smtpAddr string
	from     string
	now      func() time.Time
}

// Options configure a Sender.
type Options struct {
	// Client sends the HTTP requests. Default: a client with a 5 s timeout.
	Client *http.Client
	// SMTPAddr is the mail relay host:port for e-mail targets ("" = e-mail
	// alerts fail permanently).
	SMTPAddr string
	// From is the sender address of e-mails. Default "kefu-alerts@localhost".
	From string
	// Now is the clock (DingTalk timestamps). Default time.Now.
	Now func() time.Time
}

// New returns a Sender. It is safe for concurrent use.
func New(o Options) *Sender {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if o.From == "" {
		o.From = "kefu-alerts@localhost"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Sender{client: o.Client, smtpAddr: o.SMTPAddr, from: o.From, now: o.Now}
}

// robotReply is the answer of the WeCom and DingTalk robots.
type robotReply struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Rate-limit errcodes worth a retry: WeCom 45009 (api freq out of limit),
// DingTalk 130101 (send too fast) and -1 (system busy).
var retryCodes = map[int]bool{45009: true, 130101: true, -1: true}

// Send delivers a to t.
func (s *Sender) Send(ctx context.Context, t Target, a Alert) error {
	switch t.Adapter {
	case WeCom:
		if err := CheckURL(t.URL); err != nil {
			return err
		}
		body := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": cut(Markdown(a), 4096)}}
		return s.postRobot(ctx, t.URL, body)
	case DingTalk:
		if err := CheckURL(t.URL); err != nil {
			return err
		}
		u := t.URL
		if t.Secret != "" {
			ms := s.now().UnixMilli()
			sep := "&"
			if !strings.Contains(u, "?") {
				sep = "?"
			}
			u += sep + "timestamp=" + strconv.FormatInt(ms, 10) + "&sign=" + url.QueryEscape(DingtalkSign(t.Secret, ms))
		}
		body := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": cut(Title(a), 100), "text": cut(Markdown(a), 5000)}}
		return s.postRobot(ctx, u, body)
	case SMS:
		if err := CheckURL(t.URL); err != nil {
			return err
		}
		body := map[string]any{"to": t.To, "text": cut(PlainText(a), 1000), "tenant": a.Tenant, "conversation": a.ConversationID, "kind": a.Kind}
		_, err := s.post(ctx, t.URL, body)
		return err
	case Email:
		return s.mail(ctx, t, a)
	}
	return fmt.Errorf("%w: unknown adapter %q", ErrTarget, t.Adapter)
}

func (s *Sender) post(ctx context.Context, u string, body any) ([]byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("alert: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTarget, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRetry, redact(u), errors.Unwrap(err))
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500:
		return nil, fmt.Errorf("%w: %s answered %d", ErrRetry, redact(u), res.StatusCode)
	case res.StatusCode/100 != 2:
		return nil, fmt.Errorf("alert: %s answered %d: %s", redact(u), res.StatusCode, cut(string(out), 200))
	}
	return out, nil
}

func (s *Sender) postRobot(ctx context.Context, u string, body any) error {
	out, err := s.post(ctx, u, body)
	if err != nil {
		return err
	}
	var r robotReply
	if err := json.Unmarshal(out, &r); err != nil {
		return fmt.Errorf("alert: %s: answer is not the robot's JSON: %q", redact(u), cut(string(out), 200))
	}
	if r.ErrCode != 0 {
		if retryCodes[r.ErrCode] {
			return fmt.Errorf("%w: robot errcode %d %s", ErrRetry, r.ErrCode, r.ErrMsg)
		}
		return fmt.Errorf("alert: robot errcode %d: %s", r.ErrCode, r.ErrMsg)
	}
	return nil
}

// redact drops the query (robot keys, tokens, signatures) from a URL for
// error messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(url)"
	}
	p.RawQuery = ""
	return p.String()
}

// headerSafe drops CR and LF (header injection).
func headerSafe(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func (s *Sender) mail(ctx context.Context, t Target, a Alert) error {
	if s.smtpAddr == "" {
		return fmt.Errorf("%w: no SMTP relay configured for e-mail alerts", ErrTarget)
	}
	if t.To == "" || strings.ContainsAny(t.To, "\r\n<>") || !strings.Contains(t.To, "@") {
		return fmt.Errorf("%w: e-mail address %q", ErrTarget, t.To)
	}
	subject := headerSafe(Title(a))
	msg := "From: " + s.from + "\r\nTo: " + t.To + "\r\nSubject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?=\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrap(base64.StdEncoding.EncodeToString([]byte(PlainText(a))), 76)
	done := make(chan error, 1)
	go func() { done <- smtp.SendMail(s.smtpAddr, nil, s.from, []string{t.To}, []byte(msg)) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w: smtp %s: %v", ErrRetry, s.smtpAddr, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: smtp %s: %v", ErrRetry, s.smtpAddr, ctx.Err())
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\r\n")
		s = s[n:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}
