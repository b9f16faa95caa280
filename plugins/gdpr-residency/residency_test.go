//go:build !wasip1

package main

import (
	"strings"
	"testing"
	"unicode"

	"github.com/kefu-io/kefu/plugins/pdk"
)

func TestIsErasure(t *testing.T) {
	yes := []string{"Please DELETE my   data now", "请删除我的数据", "Bitte meine Daten löschen!", "je veux supprimer mes données",
		"quiero borrar mis datos", "I invoke my right to be forgotten", "удалите мои данные", "개인정보 삭제 해주세요", "احذف بياناتي"}
	no := []string{"where is my order 12345", "delete the second item from my cart", "my data plan is slow", "删除购物车里的商品"}
	for _, s := range yes {
		if !isErasure(s) {
			t.Errorf("isErasure(%q) = false", s)
		}
	}
	for _, s := range no {
		if isErasure(s) {
			t.Errorf("isErasure(%q) = true", s)
		}
	}
}

func run(t *testing.T, cfg map[string]string, e *pdk.Envelope) pdk.Result {
	t.Helper()
	pdk.ResetTest()
	pdk.Test.Config = cfg
	r, err := pdk.Run(pdk.HookInbound, e)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func env(text string, labels map[string]string) *pdk.Envelope {
	return &pdk.Envelope{V: 1, Tenant: "shop1", Region: "eu", Visitor: "v1", Message: pdk.Message{ID: "m1", ConversationID: "c1", Text: text}, Labels: labels}
}

func TestInbound(t *testing.T) {
	// plain message: labels only
	r := run(t, nil, env("where is my order 12345", map[string]string{"ip": "1.2.3.4", "sku": "A1"}))
	if r.Verdict != pdk.VerdictPass || r.Text != nil || r.Labels["residency"] != "eu" {
		t.Fatalf("plain: %+v", r)
	}
	if v, ok := r.Labels["ip"]; !ok || v != "" {
		t.Fatalf("ip label not stripped: %+v", r.Labels)
	}
	if _, ok := r.Labels["sku"]; ok {
		t.Fatalf("sku label touched: %+v", r.Labels)
	}
	// resident PII masked
	r = run(t, map[string]string{"resident": "PHONE"}, env("call 13812345678 or a@b.de", nil))
	if r.Verdict != pdk.VerdictModify || *r.Text != "call [PHONE] or a@b.de" || r.Labels["pii"] != "PHONE" {
		t.Fatalf("resident: %+v", r)
	}
	// erasure: escalate
	r = run(t, nil, env("Please delete my data", nil))
	if r.Verdict != pdk.VerdictEscalate || r.Reason != "gdpr-erasure" || r.Labels["erasure"] != "1" {
		t.Fatalf("erasure: %+v", r)
	}
	// erasure with PII: modify + escalate label (text needs masking)
	r = run(t, nil, env("删除我的数据，手机13812345678", nil))
	if r.Verdict != pdk.VerdictModify || r.Labels["escalate"] != "gdpr-erasure" || r.Labels["erasure"] != "1" || *r.Text != "删除我的数据，手机[PHONE]" {
		t.Fatalf("erasure+pii: %+v", r)
	}
	// erasure = label: no escalation
	r = run(t, map[string]string{"erasure": "label"}, env("Daten löschen bitte", nil))
	if r.Verdict != pdk.VerdictPass || r.Labels["erasure"] != "1" {
		t.Fatalf("label mode: %+v", r)
	}
	// resident = "" masks nothing
	r = run(t, map[string]string{"resident": ""}, env("call 13812345678", nil))
	if r.Text != nil {
		t.Fatalf("empty resident masked: %+v", r)
	}
	// pii_checked covering every resident type: no second scan
	all := "ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT,PHONE"
	r = run(t, nil, env("call 13812345678", map[string]string{"pii_checked": all}))
	if r.Text != nil || r.Labels["residency"] != "eu" {
		t.Fatalf("checked text scanned again: %+v", r)
	}
	r = run(t, map[string]string{"resident": "PHONE"}, env("call 13812345678", map[string]string{"pii_checked": "EMAIL,PHONE"}))
	if r.Text != nil {
		t.Fatalf("checked PHONE scanned again: %+v", r)
	}
	// a label that misses a resident type: scanned as before
	r = run(t, nil, env("call 13812345678", map[string]string{"pii_checked": "ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT"}))
	if r.Text == nil || *r.Text != "call [PHONE]" {
		t.Fatalf("partial pii_checked skipped the scan: %+v", r)
	}
}

func TestEvent(t *testing.T) {
	pdk.ResetTest()
	pdk.Test.KV = map[string][]byte{"consent:v1": []byte("yes"), "consent:v2": []byte("yes")}
	e := env("", map[string]string{"event": "conversation.erasure"})
	r, err := pdk.Run(pdk.HookEvent, e)
	if err != nil || r.Labels["erasure_edge"] != "done" {
		t.Fatalf("event: %+v %v", r, err)
	}
	if _, ok := pdk.Test.KV["consent:v1"]; ok || len(pdk.Test.KV) != 1 {
		t.Fatalf("kv after erasure: %v", pdk.Test.KV)
	}
	// other events pass; missing kv grant degrades
	e.Labels["event"] = "conversation.closed"
	if r, _ := pdk.Run(pdk.HookEvent, e); r.Verdict != pdk.VerdictPass || len(r.Labels) != 0 {
		t.Fatalf("closed: %+v", r)
	}
	pdk.Test.Grants = []string{}
	e.Labels["event"] = "conversation.erasure"
	if r, _ := pdk.Run(pdk.HookEvent, e); r.Labels["erasure_edge"] != "done" || len(pdk.Test.Logs) == 0 {
		t.Fatalf("no kv grant: %+v %v", r, pdk.Test.Logs)
	}
}

// FuzzIsErasure: the one-pass match over the folded buffer answers as
// strings.Contains of every phrase in the text lower-cased with its white
// space collapsed did before.
func FuzzIsErasure(f *testing.F) {
	for _, s := range []string{"Please DELETE my   data now", "请删除我的数据", "Bitte meine Daten LÖSCHEN!", "delete\u00a0my\tdata", "where is my order", "\xffdelete my data\xfe", "DROIT À L’OUBLI"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		folded := strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
		want := false
		for _, p := range erasurePhrases {
			want = want || strings.Contains(folded, p)
		}
		if got := isErasure(s); got != want {
			t.Fatalf("isErasure(%q) = %v, want %v", s, got, want)
		}
	})
}
