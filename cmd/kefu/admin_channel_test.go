package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/edge/channels"
)

func TestAdminChannel(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutTenant(ctx, store.Tenant{ID: "shop", Name: "Shop"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	kefu := func(args ...string) (int, map[string]any) {
		var out, errb bytes.Buffer
		code := run(ctx, args, strings.NewReader(""), &out, &errb)
		var m map[string]any
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatalf("kefu %q printed %q (stderr %q), not one JSON object", args, out.String(), errb.String())
		}
		return code, m
	}
	code, m := kefu("admin", "--data", dir, "channel", "add", "--tenant", "shop", "--kind", "wechat", "--token", "tok", "--app-id", "wx1", "--aes-key", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	id, _ := m["channel"].(string)
	if code != 0 || id == "" || m["endpoint"] != "/channels/wechat/"+id || m["kind"] != "wechat" || m["tenant"] != "shop" || m["safe_mode"] != true {
		t.Fatalf("add: %d %v", code, m)
	}
	if strings.Contains(mustJSON(m), "tok") {
		t.Fatalf("add printed a secret: %v", m)
	}
	code, m = kefu("admin", "channel", "add", "--data", dir, "--tenant", "shop", "--kind", "webhook", "--id", "hook1", "--outbound-url", "https://shop.example/kefu", "--secret", "s")
	if code != 0 || m["channel"] != "hook1" || m["endpoint"] != "/channels/webhook/hook1" {
		t.Fatalf("add webhook: %d %v", code, m)
	}
	for _, bad := range [][]string{
		{"--kind", "wechat", "--token", "tok"}, // no app id
		{"--kind", "webhook", "--secret", "s"}, // no outbound URL
		{"--kind", "fax"},                      // unknown kind
		{"--kind", "wecom"},                    // not in this build
		{"--kind", "telegram", "--bot-token", "1:A", "--secret", "has space"},
	} {
		code, m := kefu(append([]string{"admin", "--data", dir, "channel", "add", "--tenant", "shop"}, bad...)...)
		if code == 0 || m["error"] == nil {
			t.Errorf("%q: %d %v, want an error", bad, code, m)
		}
	}
	if code, m := kefu("admin", "--data", dir, "channel", "add", "--tenant", "nobody", "--kind", "webhook", "--outbound-url", "https://x.example", "--secret", "s"); code == 0 {
		t.Fatalf("unknown tenant: %v", m)
	}
	if code, m := kefu("admin", "--data", dir, "channel", "add", "--tenant", "shop", "--kind", "email", "--address", "support@shop.example"); code != 0 || m["address"] != "support@shop.example" {
		t.Fatalf("add email: %d %v", code, m)
	}
	code, m = kefu("admin", "--data", dir, "channel", "list", "--tenant", "shop")
	list, _ := m["channels"].([]any)
	if code != 0 || len(list) != 3 {
		t.Fatalf("list: %d %v", code, m)
	}
	st, err = store.OpenSQLite(ctx, filepath.Join(dir, "kefu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Channel(ctx, "hook1")
	var cfg channels.Config
	if err != nil || json.Unmarshal(c.Config, &cfg) != nil || cfg.Secret != "s" || cfg.OutboundURL != "https://shop.example/kefu" || cfg.Validate() != nil {
		t.Fatalf("stored %+v %v", cfg, err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
