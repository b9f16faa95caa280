package vault

import (
	"bytes"
	"encoding/base32"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newVault(t *testing.T, region string, k []byte) *Vault {
	t.Helper()
	v, err := New(region, k, WithClock(func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPutReveal(t *testing.T) {
	var audit bytes.Buffer
	v, err := New("eu", key(1), WithAuditLog(&audit))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := v.Put("shop1", "conv1", "PHONE", "+49 151 23456789")
	if err != nil || !strings.HasPrefix(tok, "pii_") {
		t.Fatalf("Put = %q, %v", tok, err)
	}
	tok2, _ := v.Put("shop1", "conv1", "PHONE", "+49 151 23456789")
	if tok2 == tok {
		t.Fatal("tokens repeat")
	}
	ok := RevealRequest{Tenant: "shop1", Token: tok, Agent: "anna", AgentRegion: "eu", Reason: "courier needs to call"}
	got, err := v.Reveal(ok)
	if err != nil || got != "+49 151 23456789" {
		t.Fatalf("Reveal = %q, %v", got, err)
	}
	tests := []struct {
		name string
		req  RevealRequest
		want error
	}{
		{"other region", RevealRequest{Tenant: "shop1", Token: tok, Agent: "li", AgentRegion: "cn", Reason: "check"}, ErrWrongRegion},
		{"other tenant", RevealRequest{Tenant: "shop2", Token: tok, Agent: "anna", AgentRegion: "eu", Reason: "check"}, ErrWrongTenant},
		{"no reason", RevealRequest{Tenant: "shop1", Token: tok, Agent: "anna", AgentRegion: "eu"}, ErrNoReason},
		{"no agent", RevealRequest{Tenant: "shop1", Token: tok, AgentRegion: "eu", Reason: "check"}, ErrNoReason},
		{"unknown token", RevealRequest{Tenant: "shop1", Token: "pii_nope", Agent: "anna", AgentRegion: "eu", Reason: "check"}, ErrUnknownToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := v.Reveal(tc.req); !errors.Is(err, tc.want) || v != "" {
				t.Fatalf("Reveal = %q, %v; want %v", v, err, tc.want)
			}
		})
	}
	recs := v.Audit("shop1")
	if len(recs) != 5 || !recs[0].Granted || recs[0].Agent != "anna" || recs[0].Reason != "courier needs to call" || recs[0].Type != "PHONE" || recs[1].Granted {
		t.Fatalf("audit = %+v", recs)
	}
	if lines := strings.Count(audit.String(), "\n"); lines != 6 {
		t.Fatalf("audit log has %d lines, want 6", lines)
	}
	if strings.Contains(audit.String(), "23456789") {
		t.Fatal("audit log holds the value")
	}
}

func TestSaveLoad(t *testing.T) {
	v := newVault(t, "eu", key(1))
	tok, _ := v.Put("shop1", "c", "EMAIL", "a@b.de")
	var buf bytes.Buffer
	if err := v.Save(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "a@b.de") {
		t.Fatal("saved file holds clear text")
	}
	w := newVault(t, "eu", key(1))
	if err := w.Load(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if got, err := w.Reveal(RevealRequest{Tenant: "shop1", Token: tok, Agent: "a", AgentRegion: "eu", Reason: "recheck"}); err != nil || got != "a@b.de" {
		t.Fatalf("after load: %q %v", got, err)
	}
	// another key, or the same key in another region, does not open it
	for _, x := range []*Vault{newVault(t, "eu", key(2)), newVault(t, "us", key(1))} {
		if err := x.Load(bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrCorrupt) || x.Len() != 0 {
			t.Fatalf("foreign load: %v, %d entries", err, x.Len())
		}
	}
	if err := w.Load(strings.NewReader("{bad\n")); err == nil {
		t.Fatal("bad line accepted")
	}
	// a ciphertext moved to another token does not open
	tampered := strings.Replace(buf.String(), tok, "pii_aaaaaaaaaaaaaaaaaaaaaaaa", 1)
	if err := newVault(t, "eu", key(1)).Load(strings.NewReader(tampered)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("moved ciphertext: %v", err)
	}
}

func TestErase(t *testing.T) {
	v := newVault(t, "eu", key(1))
	v.Put("shop1", "c1", "PHONE", "1")
	v.Put("shop1", "c1", "EMAIL", "2")
	keep, _ := v.Put("shop1", "c2", "PHONE", "3")
	v.Put("shop2", "c1", "PHONE", "4")
	if n := v.EraseConversation("shop1", "c1"); n != 2 || v.Len() != 2 {
		t.Fatalf("erased %d, left %d", n, v.Len())
	}
	if _, err := v.Reveal(RevealRequest{Tenant: "shop1", Token: keep, Agent: "a", AgentRegion: "eu", Reason: "recheck"}); err != nil {
		t.Fatal(err)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New("eu", key(1)[:16]); !errors.Is(err, ErrBadKey) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := New("", key(1)); !errors.Is(err, ErrRegionMissing) {
		t.Fatalf("no region: %v", err)
	}
	v := newVault(t, "eu", key(1))
	if _, err := v.Put("t", "", "PHONE", ""); !errors.Is(err, ErrEmptyValue) {
		t.Fatalf("empty value: %v", err)
	}
}

func TestEraseVisitorAndChanges(t *testing.T) {
	v := newVault(t, "eu", key(1))
	c0 := v.Changes()
	a, _ := v.PutVisitor("shop1", "v1", "c1", "PHONE", "1")
	b, _ := v.PutVisitor("shop1", "v1", "c2", "EMAIL", "2")
	keep, _ := v.PutVisitor("shop1", "v2", "c3", "PHONE", "3")
	other, _ := v.PutVisitor("shop2", "v1", "c1", "PHONE", "4")
	if v.Changes() == c0 {
		t.Fatal("Put did not count as a change")
	}
	// Visitors survive Save and Load.
	var buf bytes.Buffer
	if err := v.Save(&buf); err != nil {
		t.Fatal(err)
	}
	w := newVault(t, "eu", key(1))
	if err := w.Load(&buf); err != nil {
		t.Fatal(err)
	}
	c1 := w.Changes()
	for _, tc := range []struct {
		tenant, visitor string
		want            int
	}{{"shop1", "", 0}, {"shop1", "nobody", 0}, {"shop1", "v1", 2}, {"shop1", "v1", 0}} {
		if n := w.EraseVisitor(tc.tenant, tc.visitor); n != tc.want {
			t.Errorf("EraseVisitor(%q, %q) = %d, want %d", tc.tenant, tc.visitor, n, tc.want)
		}
	}
	if w.Changes() != c1+1 {
		t.Fatalf("changes %d → %d, want one step for the erasure that deleted", c1, w.Changes())
	}
	if n := w.EraseConversation("shop1", ""); n != 0 {
		t.Fatalf("empty conversation erased %d", n)
	}
	for tok, want := range map[string]error{a: ErrUnknownToken, b: ErrUnknownToken, keep: nil} {
		if _, err := w.Reveal(RevealRequest{Tenant: "shop1", Token: tok, Agent: "x", AgentRegion: "eu", Reason: "recheck"}); !errors.Is(err, want) {
			t.Errorf("reveal %s: %v, want %v", tok, err, want)
		}
	}
	if _, err := w.Reveal(RevealRequest{Tenant: "shop2", Token: other, Agent: "x", AgentRegion: "eu", Reason: "recheck"}); err != nil {
		t.Errorf("another tenant's visitor v1 lost a value: %v", err)
	}
}

// TestRevealNeedsVisibleReason: a reason made only of invisible
// characters (zero-width space, bidi marks, no-break spaces) or too short
// is no reason (issue 8, smaller items).
func TestRevealNeedsVisibleReason(t *testing.T) {
	for _, tc := range []struct {
		reason string
		ok     bool
	}{
		{"\u200b\u200b\u200b\u200b\u200b\u200b", false}, {"\u202e\u2066\u00a0\u3000 \t", false}, {"ok", false},
		{"a\u200bb\u200bc", false}, {"核实地址", true}, {"verify address", true}, {"#123", true},
	} {
		if got := VisibleReason(tc.reason); got != tc.ok {
			t.Errorf("VisibleReason(%q) = %v, want %v", tc.reason, got, tc.ok)
		}
	}
}

// TestTokenEncoding: tokens are "pii_" and the standard base32 of 15 random
// bytes in lower case (as strings.ToLower of base32.StdEncoding made them
// before), and seal to the same additional data as aad.
func TestTokenEncoding(t *testing.T) {
	std := base32.StdEncoding.WithPadding(base32.NoPadding)
	for i := range 200 {
		raw := make([]byte, 15)
		for j := range raw {
			raw[j] = byte(i*31 + j*7)
		}
		if got, want := tokenEnc.EncodeToString(raw), strings.ToLower(std.EncodeToString(raw)); got != want {
			t.Fatalf("%x: %q, want %q", raw, got, want)
		}
	}
	v := newVault(t, "eu", key(1))
	tok, err := v.PutVisitor("shop1", "v1", "c1", "EMAIL", "a@b.example")
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != tokenLen || !regexp.MustCompile(`^pii_[a-z2-7]{24}$`).MatchString(tok) {
		t.Fatalf("token %q", tok)
	}
	if got, want := string(v.aad("shop1", tok)), "eu\x00shop1\x00"+tok; got != want {
		t.Fatalf("aad %q, want %q", got, want)
	}
}
