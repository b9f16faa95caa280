package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/webhook"
	"github.com/kefu-io/kefu/chat"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_764_763_200, 0)
	body := []byte(`{"id":"dlv_1","event":"message.created"}`)
	// Known answer: printf '1764763200.{"id":"dlv_1","event":"message.created"}' | openssl dgst -sha256 -hmac secret
	sig := webhook.Sign("secret", now.Unix(), body)
	if sig != "sha256=5dd55437020957d0879dcbbc7b779ca57542f5fdd378521c6660605b505ce8d3" {
		t.Fatalf("signature %q", sig)
	}
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(webhook.HeaderSignature, sig)
	tests := []struct {
		name   string
		secret string
		body   string
		now    time.Time
		want   error
	}{
		{"good", "secret", string(body), now, nil},
		{"a bit later", "secret", string(body), now.Add(4 * time.Minute), nil},
		{"replayed late", "secret", string(body), now.Add(6 * time.Minute), webhook.ErrStale},
		{"from the future", "secret", string(body), now.Add(-6 * time.Minute), webhook.ErrStale},
		{"wrong secret", "other", string(body), now, webhook.ErrBadSignature},
		{"changed body", "secret", string(body) + " ", now, webhook.ErrBadSignature},
	}
	for _, tt := range tests {
		err := webhook.Verify(tt.secret, h, []byte(tt.body), 5*time.Minute, tt.now)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// The timestamp is signed: moving it breaks the signature.
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10))
	if err := webhook.Verify("secret", h, body, 5*time.Minute, now); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("moved timestamp: %v", err)
	}
	h.Del(webhook.HeaderTimestamp)
	if err := webhook.Verify("secret", h, body, 5*time.Minute, now); !errors.Is(err, webhook.ErrStale) {
		t.Errorf("no timestamp: %v", err)
	}
}

func TestEvents(t *testing.T) {
	if err := webhook.CheckEvents([]string{"message.created", "*"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{nil, {"message.deleted"}, {""}} {
		if err := webhook.CheckEvents(bad); !errors.Is(err, webhook.ErrUnknownEvent) {
			t.Errorf("CheckEvents(%q) = %v", bad, err)
		}
	}
	for _, e := range []chat.EventType{chat.EventOpened, chat.EventMessage, chat.EventHandoff, chat.EventAssigned, chat.EventClosed, chat.EventCSAT} {
		if webhook.FromChat(e) == "" {
			t.Errorf("%s has no webhook event", e)
		}
	}
	if webhook.FromChat(chat.EventTyping) != "" {
		t.Error("typing is not a webhook event")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("1764763200", "sha256=00", []byte(`{}`))
	f.Add("", "", []byte(nil))
	f.Add("-99999999999999999999", "sha256=zz", []byte("x"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(webhook.HeaderTimestamp, ts)
		h.Set(webhook.HeaderSignature, sig)
		if webhook.Verify("secret", h, body, time.Minute, time.Unix(1_764_763_200, 0)) == nil && sig != webhook.Sign("secret", mustInt(ts), body) {
			t.Fatalf("accepted a wrong signature %q for ts %q", sig, ts)
		}
	})
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
