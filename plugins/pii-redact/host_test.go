//go:build !wasip1

package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/edge/vault"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// TestInRealHost runs the wasip1 build of this plugin in edge/pluginhost
// with and without the vault grant.
func TestInRealHost(t *testing.T) {
	path, err := wasmbuild.Cached(context.Background(), ".")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	region := func(grants ...string) pluginhost.Region {
		return pluginhost.Region{
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"pii-redact"}},
			Plugins:   map[string]pluginhost.Plugin{"pii-redact": {Grants: grants, Fail: pluginhost.FailClosed}},
		}
	}
	h, err := pluginhost.NewHost(context.Background(), pluginhost.Config{
		Regions:    map[string]pluginhost.Region{"eu": region(pluginhost.CapVault), "us": region()},
		Defaults:   pluginhost.Limits{Timeout: pluginhost.Duration(10 * time.Second)},
		Builtin:    func(string) ([]byte, bool) { return wasm, true },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: metric.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	envOf := func(region string) chat.Envelope {
		return chat.Envelope{V: 1, Tenant: "shop1", Region: region, Channel: chat.ChannelWeb, Visitor: "v1",
			Direction: chat.Inbound, Message: chat.Message{ID: "m1", ConversationID: "c1", Role: chat.RoleShopper,
				Text: "call 13812345678 or a@b.de", At: time.Now()}}
	}
	const masked = "call [PHONE] or [EMAIL]"

	out, err := h.Run(context.Background(), "eu", pluginhost.HookInbound, envOf("eu"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Envelope.Message.Text != masked || out.Envelope.Labels["pii"] != "EMAIL,PHONE" {
		t.Fatalf("granted: text %q labels %v", out.Envelope.Message.Text, out.Envelope.Labels)
	}
	items := strings.Split(out.Envelope.Labels["pii_tokens"], ",")
	want := []struct{ typ, value string }{{"PHONE", "13812345678"}, {"EMAIL", "a@b.de"}}
	if len(items) != len(want) {
		t.Fatalf("pii_tokens = %q", out.Envelope.Labels["pii_tokens"])
	}
	for i, w := range want {
		typ, tok, _ := strings.Cut(items[i], ":")
		if typ != w.typ {
			t.Fatalf("pii_tokens[%d] = %q, want type %s", i, items[i], w.typ)
		}
		v, err := h.Reveal(context.Background(), "eu", vault.RevealRequest{
			Tenant: "shop1", Token: tok, Agent: "ana", AgentRegion: "eu", Reason: "test"})
		if err != nil || v != w.value {
			t.Fatalf("reveal %s = %q, %v; want %q", tok, v, err, w.value)
		}
	}
	if recs := h.VaultAudit("eu", "shop1"); len(recs) != 2 || recs[0].Conversation != "c1" {
		t.Fatalf("audit %+v", recs)
	}

	out, err = h.Run(context.Background(), "us", pluginhost.HookInbound, envOf("us"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Envelope.Labels["pii_tokens"]; ok || out.Envelope.Message.Text != masked {
		t.Fatalf("ungranted: text %q labels %v", out.Envelope.Message.Text, out.Envelope.Labels)
	}
}
