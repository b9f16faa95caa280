package alert

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample() Alert {
	return Alert{Tenant: "demo", ConversationID: "C1", Kind: KindSensitive, Words: []string{"投诉"},
		Text: "再不退款我就去12315投诉 [PHONE] **bold** [x](http://evil)", Link: "https://kefu.example/console/#c=C1",
		At: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
}

// TestDingtalkSign checks the signature against Python's
// base64(hmac.new(secret, ts+"\n"+secret, sha256)) for the same inputs
// (DingTalk's documented algorithm).
func TestDingtalkSign(t *testing.T) {
	got := DingtalkSign("SEC0123456789abcdef", 1700000000000)
	if got != "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=" {
		t.Fatalf("sign %q", got)
	}
}

// dingtalkStandIn speaks the DingTalk robot API: it checks the token, the
// timestamp's age and the signature, and answers errcode 0 or 310000.
func dingtalkStandIn(t *testing.T, secret string, got chan<- map[string]any) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		reply := func(code int, msg string) {
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
		}
		if r.Method != http.MethodPost || r.URL.Path != "/robot/send" || q.Get("access_token") != "tok" {
			reply(300001, "token is not exist")
			return
		}
		if d := time.Since(time.UnixMilli(ts)); d > time.Hour || d < -time.Hour || q.Get("sign") != DingtalkSign(secret, ts) {
			reply(310000, "sign not match")
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["msgtype"] != "markdown" {
			reply(40035, "invalid body")
			return
		}
		got <- body
		reply(0, "ok")
	}))
}

func TestDingtalkSignedDelivery(t *testing.T) {
	got := make(chan map[string]any, 1)
	srv := dingtalkStandIn(t, "SECright", got)
	defer srv.Close()
	s := New(Options{})
	target := Target{Adapter: DingTalk, URL: srv.URL + "/robot/send?access_token=tok", Secret: "SECright"}
	if err := s.Send(context.Background(), target, sample()); err != nil {
		t.Fatal(err)
	}
	body := <-got
	md := body["markdown"].(map[string]any)
	text := md["text"].(string)
	if !strings.Contains(text, "投诉") || !strings.Contains(text, "https://kefu.example/console/#c=C1") || !strings.Contains(md["title"].(string), "demo") {
		t.Fatalf("markdown %q", text)
	}
	if strings.Contains(text, "[x](http://evil)") || strings.Contains(text, "**bold**") {
		t.Fatalf("shopper text rendered as markdown: %q", text)
	}
	target.Secret = "SECwrong"
	err := s.Send(context.Background(), target, sample())
	if err == nil || errors.Is(err, ErrRetry) || !strings.Contains(err.Error(), "310000") {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestWeComDelivery(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	busy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != "k1" {
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
			return
		}
		if busy { // the robot's 20-per-minute limit
			busy = false
			_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
			return
		}
		var b map[string]any
		_ = json.NewDecoder(r.Body).Decode(&b)
		bodies = append(bodies, b)
		_ = json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok"})
	}))
	defer srv.Close()
	s := New(Options{})
	tg := Target{Adapter: WeCom, URL: srv.URL + "/cgi-bin/webhook/send?key=k1"}
	if err := s.Send(context.Background(), tg, sample()); !errors.Is(err, ErrRetry) {
		t.Fatalf("rate limited: %v", err)
	}
	if err := s.Send(context.Background(), tg, sample()); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 1 || bodies[0]["msgtype"] != "markdown" {
		t.Fatalf("bodies %v", bodies)
	}
	content := bodies[0]["markdown"].(map[string]any)["content"].(string)
	if len(content) > 4096 || !strings.Contains(content, "投诉") {
		t.Fatalf("content %q", content)
	}
	long := sample()
	long.Text = strings.Repeat("投", 3000)
	if err := s.Send(context.Background(), tg, long); err != nil {
		t.Fatal(err)
	}
	if c := bodies[1]["markdown"].(map[string]any)["content"].(string); len(c) > 4096 {
		t.Fatalf("content of %d bytes", len(c))
	}
	if err := s.Send(context.Background(), Target{Adapter: WeCom, URL: srv.URL + "/cgi-bin/webhook/send?key=bad"}, sample()); err == nil || errors.Is(err, ErrRetry) {
		t.Fatalf("bad key: %v", err)
	}
	if err := s.Send(context.Background(), Target{Adapter: WeCom, URL: "ftp://x"}, sample()); !errors.Is(err, ErrTarget) {
		t.Fatalf("bad url: %v", err)
	}
}

func TestSMSDelivery(t *testing.T) {
	status := http.StatusServiceUnavailable
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	s := New(Options{})
	tg := Target{Adapter: SMS, URL: srv.URL + "/sms", To: "+8613800000000"}
	if err := s.Send(context.Background(), tg, sample()); !errors.Is(err, ErrRetry) {
		t.Fatalf("503: %v", err)
	}
	status = http.StatusBadRequest
	if err := s.Send(context.Background(), tg, sample()); err == nil || errors.Is(err, ErrRetry) {
		t.Fatalf("400: %v", err)
	}
	status = http.StatusAccepted
	if err := s.Send(context.Background(), tg, sample()); err != nil {
		t.Fatal(err)
	}
	if got["to"] != "+8613800000000" || got["conversation"] != "C1" || !strings.Contains(got["text"].(string), "12315") {
		t.Fatalf("sms body %v", got)
	}
	if err := s.Send(context.Background(), Target{Adapter: "pager"}, sample()); !errors.Is(err, ErrTarget) {
		t.Fatalf("unknown adapter: %v", err)
	}
}

// smtpStandIn is a minimal SMTP server (RFC 5321 greeting, EHLO, MAIL,
// RCPT, DATA, QUIT) that hands each message's data to got.
func smtpStandIn(t *testing.T, got chan<- string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { _, _ = io.WriteString(c, s+"\r\n") }
				say("220 stand-in ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250 stand-in")
					case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
						say("250 ok")
					case cmd == "DATA":
						say("354 go ahead")
						var b strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							b.WriteString(l)
						}
						got <- b.String()
						say("250 queued")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("502 unknown")
					}
				}
			}(c)
		}
	}()
	return ln.Addr().String()
}

func TestEmailDelivery(t *testing.T) {
	got := make(chan string, 1)
	addr := smtpStandIn(t, got)
	s := New(Options{SMTPAddr: addr})
	if err := s.Send(context.Background(), Target{Adapter: Email, To: "ops@shop.example"}, sample()); err != nil {
		t.Fatal(err)
	}
	data := <-got
	if !strings.Contains(data, "To: ops@shop.example") || !strings.Contains(data, "Subject: =?UTF-8?B?") {
		t.Fatalf("mail %q", data)
	}
	_, body, _ := strings.Cut(data, "\r\n\r\n")
	plain, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if err != nil || !strings.Contains(string(plain), "投诉") || !strings.Contains(string(plain), "#c=C1") {
		t.Fatalf("body %q %v", plain, err)
	}
	if err := s.Send(context.Background(), Target{Adapter: Email, To: "x@y\r\nBcc: all@z"}, sample()); !errors.Is(err, ErrTarget) {
		t.Fatalf("header injection: %v", err)
	}
	if err := New(Options{}).Send(context.Background(), Target{Adapter: Email, To: "ops@shop.example"}, sample()); !errors.Is(err, ErrTarget) {
		t.Fatalf("no relay: %v", err)
	}
}
