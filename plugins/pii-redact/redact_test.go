//go:build !wasip1

package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/pii"
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
			wantChecked := "ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT,PHONE"
			if tc.config["locales"] != "" {
				wantChecked = "" // a scan of some locales does not spare gdpr-residency its own
			} else if tc.config["types"] == "email" {
				wantChecked = "EMAIL"
			}
			if got := r.Labels["pii_checked"]; got != wantChecked {
				t.Fatalf("pii_checked = %q, want %q", got, wantChecked)
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
	pdk.Test.Grants = []string{} // no vault: no pii_tokens label
	out, err := pdk.Handle(pdk.HookInbound, []byte(`{"v":1,"tenant":"t","message":{"id":"a","text":"tel 13812345678","at":"2025-01-01T00:00:00Z"}}`))
	if err != nil || string(out) != `{"verdict":"modify","text":"tel [PHONE]","labels":{"pii":"PHONE","pii_checked":"ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT,PHONE"}}` {
		t.Fatalf("out = %s, %v", out, err)
	}
}

func TestVaultTokens(t *testing.T) {
	tests := []struct {
		name       string
		grants     []string
		text       string
		wantTokens string
		wantVault  []pdk.VaultEntry
	}{
		{"granted", []string{"vault"}, "call 13812345678 or a@b.de", "PHONE:tok1,EMAIL:tok2",
			[]pdk.VaultEntry{{Token: "tok1", Type: "PHONE", Value: "13812345678"}, {Token: "tok2", Type: "EMAIL", Value: "a@b.de"}}},
		{"not granted", []string{"kv"}, "call 13812345678 or a@b.de", "", nil},
		{"nothing found", []string{"vault"}, "where is my order 12345?", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pdk.ResetTest()
			pdk.Test.Grants = tc.grants
			r, err := pdk.Run(pdk.HookInbound, env(tc.text, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Labels["pii_tokens"]; got != tc.wantTokens {
				t.Errorf("pii_tokens = %q, want %q", got, tc.wantTokens)
			}
			if len(pdk.Test.Vault) != len(tc.wantVault) {
				t.Fatalf("vault %+v, want %+v", pdk.Test.Vault, tc.wantVault)
			}
			for i := range tc.wantVault {
				if pdk.Test.Vault[i] != tc.wantVault[i] {
					t.Errorf("vault[%d] = %+v, want %+v", i, pdk.Test.Vault[i], tc.wantVault[i])
				}
			}
		})
	}
}

func TestVaultTokensLabelLimit(t *testing.T) {
	spans := make([]pii.Span, 100)
	for i := range spans {
		spans[i] = pii.Span{Type: pii.Phone, Value: "13812345678"}
	}
	n := 0
	put := func(typ, value string) (string, error) {
		n++
		return "pii_" + strings.Repeat("x", 24), nil
	}
	got := vaultTokens(spans, put)
	if len(got) > maxLabel || len(got) < maxLabel-40 || strings.HasSuffix(got, ",") {
		t.Fatalf("label of %d bytes: %q", len(got), got)
	}
	calls := 0
	second := func(typ, value string) (string, error) { // the second put fails
		if calls++; calls == 2 {
			return "", fmt.Errorf("x: %w", pdk.ErrIO)
		}
		return fmt.Sprintf("pii_%d", calls), nil
	}
	got = vaultTokens(spans[:3], second)
	if got != "PHONE:pii_1,PHONE:-,PHONE:pii_3" {
		t.Fatalf("a failed put gave %q; want its slot kept as PHONE:-", got)
	}
	if p := chat.ParsePIITokens(got, "eu"); len(p) != 3 || p[1].Token != "" || p[2].Token != "pii_3" {
		t.Fatalf("central reads %+v", p)
	}
}

func BenchmarkRedact(b *testing.B) {
	e := env("Hi, my order 2024112512345678 hasn't arrived, call me on 138 1234 5678 or mail li.lei@example.com, address 北京市朝阳区建国路88号", nil)
	for b.Loop() {
		redact(e, optionsFromConfig(func(string) (string, bool) { return "", false }), nil)
	}
}

// TestRedactMasksShopperFields: every label the edge lists as shopper
// controlled (page context) is masked like the text, whether or not the
// text holds anything; other labels are left alone (issue 8 item 1).
func TestRedactMasksShopperFields(t *testing.T) {
	if shopperFields != chat.LabelShopperFields {
		t.Fatalf("shopperFields %q != chat.LabelShopperFields %q", shopperFields, chat.LabelShopperFields)
	}
	pdk.ResetTest()
	pdk.Test.Grants = []string{}
	labels := map[string]string{
		"url":            "https://shop.example/p?email=ctx.leak@example.com",
		"title":          "Jane card 4111111111111111",
		"custom.phone":   "+44 7700 900888",
		"sku":            "SKU-1",
		"site":           "demo 4111111111111111", // not listed: not the shopper's
		"shopper_fields": "custom.phone,sku,title,url",
	}
	r, err := pdk.Run(pdk.HookInbound, env("hello there", labels))
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != pdk.VerdictModify || r.Text != nil {
		t.Fatalf("want modify of labels only, got %+v", r)
	}
	want := map[string]string{
		"url": "https://shop.example/p?email=[EMAIL]", "title": "Jane card [CARD]", "custom.phone": "[PHONE]",
	}
	for k, v := range want {
		if r.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, r.Labels[k], v)
		}
	}
	for _, k := range []string{"sku", "site"} {
		if _, ok := r.Labels[k]; ok {
			t.Errorf("label %s changed: %q", k, r.Labels[k])
		}
	}
	if r.Labels["pii"] != "CARD,EMAIL,PHONE" || r.Labels["pii_tokens"] != "" {
		t.Errorf("pii = %q, pii_tokens = %q", r.Labels["pii"], r.Labels["pii_tokens"])
	}
}

// TestManifestDeclaresFailClosed: pii-redact asks the host to fail closed
// (issue 8 item 6).
func TestManifestDeclaresFailClosed(t *testing.T) {
	if pdk.Declared()&pdk.PolicyFailClosed == 0 {
		t.Fatal("pii-redact does not declare pdk.PolicyFailClosed")
	}
}

// TestScanRedactThroughHost: with the host's detector (pdk.PIIScan, here a
// TestHost wrapping pii.Scan) scanRedact gives what pii.Redact gives, with
// the options passed through; when the host refuses, it scans itself.
func TestScanRedactThroughHost(t *testing.T) {
	texts := []string{"call 13812345678 or a@b.de", "where is my order 12345?", "", "Hauptstraße 12, 10115 Berlin", "身份证 11010519491231002X"}
	opts := []pii.Options{{}, {Types: []pii.Type{pii.Email}}, {Locales: []string{"de", "en"}}}
	for _, o := range opts {
		for _, text := range texts {
			pdk.ResetTest()
			var calls int
			pdk.Test.PIIScan = func(text string, types, locales []string) []pdk.PIISpan {
				calls++
				var po pii.Options
				for _, ty := range types {
					po.Types = append(po.Types, pii.Type(ty))
				}
				po.Locales = locales
				var out []pdk.PIISpan
				for _, s := range pii.Scan(text, po) {
					out = append(out, pdk.PIISpan{Type: string(s.Type), Start: s.Start, End: s.End})
				}
				return out
			}
			want := pii.Redact(text, o)
			got := scanRedact(text, o)
			if calls != 1 || got.Text != want.Text || fmt.Sprint(got.Spans) != fmt.Sprint(want.Spans) {
				t.Fatalf("%+v %q: host (%d calls) %q %v, native %q %v", o, text, calls, got.Text, got.Spans, want.Text, want.Spans)
			}
			pdk.Test.PIIScan = nil // the host refuses: scanned in the guest
			if got := scanRedact(text, o); got.Text != want.Text || fmt.Sprint(got.Spans) != fmt.Sprint(want.Spans) {
				t.Fatalf("%+v %q without the host: %q %v", o, text, got.Text, got.Spans)
			}
		}
	}
}
