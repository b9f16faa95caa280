package pluginhost

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/edge/vault"
)

// vaultDirConfig runs the kitchen plugin with the vault granted in region
// "t", persisting to dir.
func vaultDirConfig(dir string) Config {
	cfg := region("k")
	cfg.Regions["t"].Plugins["k"] = Plugin{Grants: []string{CapVault}}
	cfg.VaultDir = dir
	return cfg
}

// putValue seals value for visitor/conversation through the plugin.
func putValue(t *testing.T, h *Host, visitor, conv, value string) string {
	t.Helper()
	env := envelope("vault PHONE " + value)
	env.Visitor, env.Message.ConversationID = visitor, conv
	out, err := h.Run(context.Background(), "t", HookInbound, env)
	tok, ok := strings.CutPrefix(out.Answer, "token ")
	if err != nil || !ok {
		t.Fatalf("vault_put: %q, %v", out.Answer, err)
	}
	return tok
}

// fileVault opens dir's vault file of region t with the key file, as the
// next start would.
func fileVault(t *testing.T, dir string) *vault.Vault {
	t.Helper()
	k, err := ReadVaultKeyFile(filepath.Join(dir, "vault.key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(k)
	v, err := vault.New("t", raw)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "t.vault"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := v.Load(f); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVaultPersists: with VaultDir, values survive a restart of the host
// (key file made once, 0600), reveals are audited in audit.jsonl across
// restarts, an erasure is on disk when EraseVault returns, and changed
// vaults are saved without a Close.
func TestVaultPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vault")
	ctx := context.Background()
	reveal := func(h *Host, tok string) (string, error) {
		return h.Reveal(ctx, "t", vault.RevealRequest{Tenant: "shop1", Token: tok, Agent: "ana", AgentRegion: "t", Reason: "courier"})
	}

	h1, _ := testHost(t, vaultDirConfig(dir), map[string][]byte{"k": testPlugin(t, "kitchen")})
	a := putValue(t, h1, "v1", "c1", "13812345678")
	b := putValue(t, h1, "v1", "c2", "13900000000")
	c := putValue(t, h1, "v2", "c3", "13711112222")
	if _, err := reveal(h1, a); err != nil {
		t.Fatal(err)
	}
	if err := h1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for name, want := range map[string]os.FileMode{"vault.key": 0o600, "t.vault": 0o600, "audit.jsonl": 0o600} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != want {
			t.Fatalf("%s: %v, mode %v; want %v", name, err, st.Mode().Perm(), want)
		}
	}
	saved, _ := os.ReadFile(filepath.Join(dir, "t.vault"))
	if bytes.Contains(saved, []byte("13812345678")) || !bytes.Contains(saved, []byte(a)) {
		t.Fatalf("vault file holds clear text or misses the token:\n%s", saved)
	}
	key, _ := os.ReadFile(filepath.Join(dir, "vault.key"))

	// Restart: same key file, values back.
	h2, _ := testHost(t, vaultDirConfig(dir), map[string][]byte{"k": testPlugin(t, "kitchen")})
	if k2, _ := os.ReadFile(filepath.Join(dir, "vault.key")); !bytes.Equal(key, k2) {
		t.Fatal("the key file was replaced")
	}
	for tok, want := range map[string]string{a: "13812345678", b: "13900000000", c: "13711112222"} {
		if v, err := reveal(h2, tok); err != nil || v != want {
			t.Fatalf("after restart: reveal %s = %q, %v; want %q", tok, v, err, want)
		}
	}
	if _, err := reveal(h2, "pii_unknown"); !errors.Is(err, vault.ErrUnknownToken) {
		t.Fatalf("unknown token: %v", err)
	}
	audit, _ := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	if n := bytes.Count(audit, []byte("\n")); n != 5 || bytes.Contains(audit, []byte("1381234")) ||
		!bytes.Contains(audit, []byte(`"reason":"courier"`)) || !bytes.Contains(audit, []byte(`"granted":false`)) {
		t.Fatalf("audit log (%d lines):\n%s", n, audit)
	}

	// An erasure of visitor v1 (both conversations, although the event
	// names one) is on disk when EraseVault returns.
	if n := h2.EraseVault("t", "shop1", "v1", "c2"); n != 2 {
		t.Fatalf("erased %d, want 2", n)
	}
	if v := fileVault(t, dir); v.Len() != 1 {
		t.Fatalf("vault file after erasure holds %d values, want 1", v.Len())
	}
	// A value put now reaches the file by the periodic save, no Close needed.
	d := putValue(t, h2, "v3", "c4", "13655556666")
	deadline := time.Now().Add(10 * time.Second)
	for fileVault(t, dir).Len() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("value %s never saved", d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestVaultDirBadPaths: a vault file that does not open with the key fails
// the start (no silent empty vault); a bad key file and vault_key_file
// without vault_dir are config errors.
func TestVaultDirBadPaths(t *testing.T) {
	dir := t.TempDir()
	h, _ := testHost(t, vaultDirConfig(dir), map[string][]byte{"k": testPlugin(t, "kitchen")})
	putValue(t, h, "v1", "c1", "13812345678")
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	start := func(cfg Config) error {
		cfg.Builtin = func(string) ([]byte, bool) { return testPlugin(t, "kitchen"), true }
		cfg.CacheDir, cfg.Logger = testCacheDir(t), discardLogger()
		h, err := NewHost(context.Background(), cfg)
		if err == nil {
			h.Close()
		}
		return err
	}
	other := vaultDirConfig(dir)
	other.VaultKeys = map[string]string{"t": base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))}
	if err := start(other); !errors.Is(err, vault.ErrCorrupt) {
		t.Fatalf("another key: %v", err)
	}
	badKey := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(badKey, []byte("not a key"), 0o600)
	cfg := vaultDirConfig(t.TempDir())
	cfg.VaultKeyFile = badKey
	if err := start(cfg); !errors.Is(err, ErrConfig) {
		t.Fatalf("bad key file: %v", err)
	}
	if _, err := ParseConfig([]byte("vault_key_file = \"/tmp/k\"\n")); !errors.Is(err, ErrConfig) {
		t.Fatalf("vault_key_file without vault_dir: %v", err)
	}
	if c, err := ParseConfig([]byte("vault_dir = \"/var/lib/kefu/vault\"\nvault_save_interval = \"5s\"\n")); err != nil ||
		c.VaultDir != "/var/lib/kefu/vault" || time.Duration(c.VaultSaveInterval) != 5*time.Second {
		t.Fatalf("vault_dir config: %+v %v", c, err)
	}
}
