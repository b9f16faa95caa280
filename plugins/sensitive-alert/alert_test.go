//go:build !wasip1

package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func TestMatch(t *testing.T) {
	words := splitWords("投诉, 12315, 律师, chargeback, sue you，Lawyer")
	tests := []struct{ text, want string }{
		{"我要投诉你们", "投诉"},
		{"再不退款我就打12315", "12315"},
		{"电话 0123155555", ""},
		{"I'll file a CHARGEBACK", "chargeback"},
		{"my lawyer will call", "lawyer"},
		{"lawyers are expensive", ""},
		{"this issue you have", ""},
		{"I will sue you", "sue you"},
		{"where is my order", ""},
	}
	for _, tc := range tests {
		if got := match(tc.text, newWatch(words)); got != tc.want {
			t.Errorf("match(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func env(tenant, conv, text string) *pdk.Envelope {
	return &pdk.Envelope{V: 1, Tenant: tenant, Region: "cn", Visitor: "v1", Message: pdk.Message{ID: "m1", ConversationID: conv, Text: text}}
}

func TestInboundAlerts(t *testing.T) {
	for _, withKV := range []bool{true, false} {
		pdk.ResetTest()
		clear(limiter)
		if !withKV {
			pdk.Test.Grants = []string{"alert"}
		}
		pdk.Test.Config = map[string]string{"console_url": "https://kefu.example/console#c=", "cooldown": "1m", "words.shop2": "refund"}
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		get := pdk.Config
		r := inbound(env("shop1", "c1", "我要投诉，电话13812345678"), get, now)
		if r.Labels["alert"] != "投诉" || len(pdk.Test.Alerts) != 1 {
			t.Fatalf("kv=%v first: %+v alerts %v", withKV, r, pdk.Test.Alerts)
		}
		a := pdk.Test.Alerts[0]
		if a.Link != "https://kefu.example/console#c=c1" || a.Level != "high" || strings.Contains(a.Text, "13812345678") || !strings.Contains(a.Text, "[PHONE]") {
			t.Fatalf("alert = %+v", a)
		}
		// same conversation within the cooldown: suppressed
		r = inbound(env("shop1", "c1", "律师函已经准备好了"), get, now.Add(30*time.Second))
		if r.Labels["alert_suppressed"] != "1" || len(pdk.Test.Alerts) != 1 {
			t.Fatalf("kv=%v cooldown: %+v", withKV, r)
		}
		// another conversation alerts; after the cooldown the first alerts again
		inbound(env("shop1", "c2", "12315"), get, now.Add(30*time.Second))
		inbound(env("shop1", "c1", "12315"), get, now.Add(2*time.Minute))
		if len(pdk.Test.Alerts) != 3 {
			t.Fatalf("kv=%v alerts = %d, want 3", withKV, len(pdk.Test.Alerts))
		}
		// per-tenant list replaces the default
		if r := inbound(env("shop2", "c9", "投诉"), get, now); r.Labels["alert"] != "" {
			t.Fatalf("shop2 投诉: %+v", r)
		}
		if r := inbound(env("shop2", "c9", "I want a refund"), get, now); r.Labels["alert"] != "refund" {
			t.Fatalf("shop2 refund: %+v", r)
		}
	}
}

func TestAlertNotGranted(t *testing.T) {
	pdk.ResetTest()
	clear(limiter)
	pdk.Test.Grants = []string{"kv"}
	r := inbound(env("shop1", "c1", "chargeback!"), pdk.Config, time.Now())
	if r.Verdict != pdk.VerdictPass || !strings.Contains(r.Labels["alert_error"], "not granted") {
		t.Fatalf("no grant: %+v", r)
	}
}

// refMatch is match as it was written before the one-pass matcher: each
// word searched in turn in strings.ToLower(text).
func refMatch(text string, words []string) string {
	low := strings.ToLower(text)
	for _, w := range words {
		for from := 0; from < len(low); {
			i := strings.Index(low[from:], w)
			if i < 0 {
				break
			}
			i += from
			end := i + len(w)
			from = i + 1
			before, _ := utf8.DecodeLastRuneInString(low[:i])
			after, _ := utf8.DecodeRuneInString(low[end:])
			first, _ := utf8.DecodeRuneInString(w)
			last, _ := utf8.DecodeLastRuneInString(w)
			if i > 0 && isWord(first) && isWord(before) || end < len(low) && isWord(last) && isWord(after) {
				continue
			}
			return w
		}
	}
	return ""
}

// FuzzMatch: match answers as refMatch, with the default list and with a
// list that holds the fuzzer's word.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"我要投诉你们", "I'll file a CHARGEBACK", "this issue you have", "lawyers and a lawyer", "电话 0123155555 12315", "ANWALT!", "\xffsue you\xfe", "bbb-bbb"} {
		f.Add(s, "sue you")
	}
	def := newWatch(defaultWords)
	f.Fuzz(func(t *testing.T, text, word string) {
		if got, want := match(text, def), refMatch(text, defaultWords); got != want {
			t.Fatalf("match(%q) = %q, want %q", text, got, want)
		}
		words := splitWords(word + ",lawyer,投诉")
		if got, want := match(text, newWatch(words)), refMatch(text, words); got != want {
			t.Fatalf("match(%q, %q) = %q, want %q", text, words, got, want)
		}
	})
}

// FuzzTriggersCoverInbound: the trigger phrases the plugin gives the host
// (pdk.Triggers: its tenant's watch list) are a promise that a text
// without any of them passes untouched, so the host may skip the call:
// inbound changes or labels nothing on such a text, for the default list
// and a tenant's own.
func FuzzTriggersCoverInbound(f *testing.F) {
	for _, s := range []string{"我要投诉你们", "I'll file a CHARGEBACK", "this issue you have", "my LAWYER", "I want a Refund", "\xffsue you\xfe", "where is my order"} {
		f.Add(s)
	}
	pdk.ResetTest()
	pdk.Test.Config = map[string]string{"cooldown": "0s", "words.shop2": "Refund, 退款"}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		low := strings.ToLower(strings.ToValidUTF8(text, "\uFFFD"))
		for _, tenant := range []string{"shop1", "shop2"} {
			r := inbound(env(tenant, "c1", text), pdk.Config, now)
			if r.Verdict == pdk.VerdictPass && len(r.Labels) == 0 {
				continue
			}
			phrases, ok := pdk.EncodeTriggers(nil, wordsFor(pdk.Config, tenant))
			if !ok {
				t.Fatalf("%s: the watch list gives no filter", tenant)
			}
			found := false
			for _, w := range wordsFor(pdk.Config, tenant) {
				found = found || strings.Contains(low, strings.ToLower(w))
			}
			if !found {
				t.Fatalf("%s %q: %+v, but no trigger phrase occurs (%d bytes of phrases)", tenant, text, r, len(phrases))
			}
		}
	})
}
