// Package askeyword_test runs the AssemblyScript plugin in the real host.
// The .wasm comes from build.sh (`make plugins-as`); when it is missing the
// test builds it if npm is available, and fails in CI otherwise.
package askeyword_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
)

const wasmPath = "build/as-keyword.wasm"

func bundle(t *testing.T) []byte {
	t.Helper()
	if _, err := os.Stat(wasmPath); err != nil {
		if _, err := exec.LookPath("npm"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s missing and npm not found: run plugins/examples/as-keyword/build.sh", wasmPath)
			}
			t.Skip("npm not installed: cannot build the AssemblyScript plugin")
		}
		out, err := exec.Command("sh", "build.sh").CombinedOutput()
		if err != nil {
			t.Fatalf("build.sh: %v\n%s", err, out)
		}
	}
	b, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAssemblyScriptPluginInHost(t *testing.T) {
	wasm := bundle(t)
	cfg := pluginhost.Config{
		Regions: map[string]pluginhost.Region{
			"eu": {Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"as-keyword"}}},
			"cn": {
				Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"as-keyword"}},
				Plugins: map[string]pluginhost.Plugin{"as-keyword": {
					Fail:   pluginhost.FailClosed,
					Config: map[string]string{"keywords": "退款, refund"},
				}},
			},
		},
		Builtin:    func(string) ([]byte, bool) { return wasm, true },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: metric.NewRegistry(),
	}
	h, err := pluginhost.NewHost(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tests := []struct {
		region, text string
		verdict      pluginhost.Verdict
		answer       string
		reason       string
	}{
		{"eu", "ping", pluginhost.Answer, "pong from AssemblyScript", ""},
		{"eu", "I will call my LAWYER today", pluginhost.Escalate, "", "keyword: lawyer"},
		{"eu", "我要找律师", pluginhost.Escalate, "", "keyword: 律师"},
		{"eu", "a \"quoted\"\nchargeback\ttoo", pluginhost.Escalate, "", "keyword: chargeback"},
		{"eu", "where is my order?", pluginhost.Pass, "", ""},
		{"cn", "我要退款", pluginhost.Escalate, "", "keyword: 退款"},
		{"cn", "I will call my lawyer", pluginhost.Pass, "", ""}, // cn's keywords replace the defaults
	}
	for _, tc := range tests {
		env := chat.Envelope{V: 1, Tenant: "demo", Region: tc.region, Channel: chat.ChannelWeb, Visitor: "v",
			Direction: chat.Inbound, Labels: map[string]string{"text": "decoy"},
			Message: chat.Message{ID: chat.NewID(), Role: chat.RoleShopper, Text: tc.text, At: time.Now()}}
		out, err := h.Run(context.Background(), tc.region, pluginhost.HookInbound, env)
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		if out.Verdict != tc.verdict || out.Answer != tc.answer || out.Reason != tc.reason {
			t.Errorf("%s %q: %+v", tc.region, tc.text, out)
		}
		if tc.verdict == pluginhost.Escalate && out.Envelope.Labels["keyword"] == "" {
			t.Errorf("%q: no keyword label: %v", tc.text, out.Envelope.Labels)
		}
	}
}
