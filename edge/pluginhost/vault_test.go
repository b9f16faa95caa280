package pluginhost

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/edge/vault"
	"github.com/kefu-io/kefu/internal/syncbuf"
)

func TestVaultPut(t *testing.T) {
	var audit syncbuf.Buffer
	cfg := Config{
		Regions: map[string]Region{
			"t": {
				Pipelines: map[Hook][]string{HookInbound: {"k"}},
				Plugins:   map[string]Plugin{"k": {Grants: []string{CapVault}}},
			},
			"u": {
				Pipelines: map[Hook][]string{HookInbound: {"k"}},
				Plugins:   map[string]Plugin{"k": {Grants: []string{CapKV}}},
			},
		},
		VaultKeys:  map[string]string{"t": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))},
		VaultAudit: &audit,
	}
	h, _ := testHost(t, cfg, map[string][]byte{"k": testPlugin(t, "kitchen")})

	out := run(t, h, "vault PHONE 13812345678")
	token, ok := strings.CutPrefix(out.Answer, "token ")
	if !ok || !strings.HasPrefix(token, "pii_") {
		t.Fatalf("answer %q, want a token", out.Answer)
	}
	for _, tc := range []struct{ text, want string }{
		{"vault phone 1", "vault error: pdk: vault_put phone: pdk: invalid host call"},
		{"vault PHONE", "vault error: pdk: vault_put PHONE: pdk: invalid host call"},
		{"vault PHONE " + strings.Repeat("9", 5000), "pdk: value too large"},
	} {
		if out := run(t, h, tc.text); !strings.Contains(out.Answer, tc.want) {
			t.Errorf("%q: answer %q, want %q", tc.text, out.Answer, tc.want)
		}
	}

	// Not granted in region u: an answer, not a trap.
	env := envelope("vault PHONE 13812345678")
	env.Region = "u"
	got, err := h.Run(context.Background(), "u", HookInbound, env)
	if err != nil || !strings.Contains(got.Answer, "capability not granted") {
		t.Fatalf("ungranted: %q, %v", got.Answer, err)
	}

	ctx := context.Background()
	req := vault.RevealRequest{Tenant: "shop1", Token: token, Agent: "ana@shop1", AgentRegion: "t", Reason: "call back"}
	if v, err := h.Reveal(ctx, "t", req); err != nil || v != "13812345678" {
		t.Fatalf("Reveal = %q, %v", v, err)
	}
	bad := []struct {
		name   string
		region string
		mod    func(*vault.RevealRequest)
		want   error
	}{
		{"other tenant", "t", func(r *vault.RevealRequest) { r.Tenant = "shop2" }, vault.ErrWrongTenant},
		{"unknown token", "t", func(r *vault.RevealRequest) { r.Token = "pii_nope" }, vault.ErrUnknownToken},
		{"no reason", "t", func(r *vault.RevealRequest) { r.Reason = " " }, vault.ErrNoReason},
		{"other region's vault", "u", func(r *vault.RevealRequest) { r.AgentRegion = "u" }, vault.ErrUnknownToken},
		{"agent elsewhere", "t", func(r *vault.RevealRequest) { r.AgentRegion = "u" }, vault.ErrWrongRegion},
		{"no such region", "x", func(*vault.RevealRequest) {}, ErrNoVault},
	}
	for _, tc := range bad {
		r := req
		tc.mod(&r)
		if v, err := h.Reveal(ctx, tc.region, r); !errors.Is(err, tc.want) || v != "" {
			t.Errorf("%s: Reveal = %q, %v; want %v", tc.name, v, err, tc.want)
		}
	}
	recs := h.VaultAudit("t", "shop1")
	if len(recs) != 4 || !recs[0].Granted || recs[0].Agent != "ana@shop1" || recs[0].Reason != "call back" ||
		recs[0].Type != "PHONE" || recs[0].Conversation != "01JTESTCONV00000000000000001" || recs[1].Granted {
		t.Fatalf("audit %+v", recs)
	}
	if n := strings.Count(audit.String(), "\n"); n != 6 {
		t.Fatalf("audit log has %d lines:\n%s", n, audit.String())
	}
	if strings.Contains(audit.String(), "13812345678") {
		t.Fatal("audit log holds the clear value")
	}
}

func TestVaultKeysConfig(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{good, true},
		{"not base64!", false},
		{base64.StdEncoding.EncodeToString([]byte("short")), false},
	} {
		_, err := ParseConfig([]byte("[vault_keys]\neu = \"" + tc.key + "\"\n[regions.eu.plugins.pii-redact]\ngrants = [\"vault\"]\n"))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("key %q: err %v", tc.key, err)
		}
	}
}

func TestEraseVault(t *testing.T) {
	cfg := region("k")
	cfg.Regions["t"].Plugins["k"] = Plugin{Grants: []string{CapVault}}
	h, _ := testHost(t, cfg, map[string][]byte{"k": testPlugin(t, "kitchen")})
	ctx := context.Background()
	put := func(visitor, conv string) string {
		t.Helper()
		env := envelope("vault EMAIL a@b.de")
		env.Visitor, env.Message.ConversationID = visitor, conv
		out, err := h.Run(ctx, "t", HookInbound, env)
		tok, ok := strings.CutPrefix(out.Answer, "token ")
		if err != nil || !ok {
			t.Fatalf("put: %q, %v", out.Answer, err)
		}
		return tok
	}
	reveal := func(tok string) error {
		_, err := h.Reveal(ctx, "t", vault.RevealRequest{Tenant: "shop1", Token: tok, Agent: "a", AgentRegion: "t", Reason: "recheck"})
		return err
	}
	v1a, v1b, v2 := put("v1", "c1"), put("v1", "c2"), put("v2", "c3")
	for _, tc := range []struct {
		name                  string
		tenant, visitor, conv string
		want                  int
	}{
		{"other tenant", "shop2", "v1", "", 0},
		{"other region visitor", "shop1", "nobody", "", 0},
		{"visitor v1", "shop1", "v1", "", 2},
		{"again", "shop1", "v1", "", 0},
		{"by conversation", "shop1", "unknown-visitor", "c3", 1},
	} {
		if n := h.EraseVault("t", tc.tenant, tc.visitor, tc.conv); n != tc.want {
			t.Errorf("%s: erased %d, want %d", tc.name, n, tc.want)
		}
	}
	for _, tok := range []string{v1a, v1b, v2} {
		if err := reveal(tok); !errors.Is(err, vault.ErrUnknownToken) {
			t.Errorf("reveal %s after erasure: %v", tok, err)
		}
	}
	if n := h.EraseVault("nowhere", "shop1", "v1", "c1"); n != 0 {
		t.Errorf("unknown region erased %d", n)
	}
}

// BenchmarkVaultPut is one hook call that seals one value (kitchen's
// "vault" command: host call, AES-GCM, token back to the guest).
func BenchmarkVaultPut(b *testing.B) {
	cfg := region("k")
	cfg.Regions["t"].Plugins["k"] = Plugin{Grants: []string{CapVault}}
	h, _ := testHost(b, cfg, map[string][]byte{"k": testPlugin(b, "kitchen")})
	env := envelope("vault PHONE 13812345678")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if out, err := h.Run(ctx, "t", HookInbound, env); err != nil || !strings.HasPrefix(out.Answer, "token ") {
			b.Fatal(out.Answer, err)
		}
	}
}
