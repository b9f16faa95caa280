//go:build !wasip1

package main

import (
	"testing"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func env(text string, labels map[string]string) *pdk.Envelope {
	return &pdk.Envelope{V: 1, Tenant: "shop1", Region: "eu", Message: pdk.Message{ID: "m1", Text: text}, Labels: labels}
}

func TestRedactHandler(t *testing.T) {
	tests := []struct {
		name      string
		config    map[string]string
		text      string
		labels    map[string]string
		wantText  string // "" = pass
		wantLabel string
	}{
		{"phone and mail", nil, "call 13812345678 or a@b.de", nil, "call [PHONE] or [EMAIL]", "EMAIL,PHONE"},
		{"order untouched", nil, "where is my order 12345?", nil, "", ""},
		{"types filter", map[string]string{"types": "email"}, "call 13812345678 or a@b.de", nil, "call 13812345678 or [EMAIL]", "EMAIL"},
		{"bad types mask all", map[string]string{"types": "NAME"}, "call 13812345678", nil, "call [PHONE]", "PHONE"},
		{"merges label", nil, "mail a@b.de", map[string]string{"pii": "PHONE"}, "mail [EMAIL]", "EMAIL,PHONE"},
		{"locales", map[string]string{"locales": "de"}, "身份证 11010519491231002X", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pdk.ResetTest()
			pdk.Test.Config = tc.config
			r, err := pdk.Run(pdk.HookInbound, env(tc.text, tc.labels))
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantText == "" {
				if r.Verdict != pdk.VerdictPass || r.Text != nil {
					t.Fatalf("want pass, got %+v", r)
				}
				return
			}
			if r.Verdict != pdk.VerdictModify || r.Text == nil || *r.Text != tc.wantText || r.Labels["pii"] != tc.wantLabel {
				t.Fatalf("got %+v (text %v)", r, deref(r.Text))
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestHandleWire(t *testing.T) {
	pdk.ResetTest()
	out, err := pdk.Handle(pdk.HookInbound, []byte(`{"v":1,"tenant":"t","message":{"id":"a","text":"tel 13812345678","at":"2025-01-01T00:00:00Z"}}`))
	if err != nil || string(out) != `{"verdict":"modify","text":"tel [PHONE]","labels":{"pii":"PHONE"}}` {
		t.Fatalf("out = %s, %v", out, err)
	}
}

func BenchmarkRedact(b *testing.B) {
	e := env("Hi, my order 2024112512345678 hasn't arrived, call me on 138 1234 5678 or mail li.lei@example.com, address 北京市朝阳区建国路88号", nil)
	for b.Loop() {
		redact(e, optionsFromConfig(func(string) (string, bool) { return "", false }))
	}
}
