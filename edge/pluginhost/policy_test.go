package pluginhost

import (
	"context"
	"errors"
	"testing"

	"github.com/kefu-io/kefu/internal/metric"
)

// TestDataProtectingPluginFailsClosedByDefault: a plugin whose manifest
// declares PolicyFailClosed is run fail-closed when the region config
// leaves `fail` out, a config that sets fail = "open" is refused, and only
// override_policy = true runs it open (issue 8 item 6).
func TestDataProtectingPluginFailsClosedByDefault(t *testing.T) {
	guard := testPlugin(t, "guard")
	withGuard := func(p Plugin) Config {
		c := region("guard")
		c.Regions["t"].Plugins["guard"] = p
		return c
	}

	t.Run("fail left out: a trap refuses the message", func(t *testing.T) {
		h, _ := testHost(t, withGuard(Plugin{}), map[string][]byte{"guard": guard})
		if out := run(t, h, "my secret"); out.Envelope.Message.Text != "my [X]" {
			t.Fatalf("text %q, want masked", out.Envelope.Message.Text)
		}
		out, err := h.Run(context.Background(), "t", HookInbound, envelope("attack"))
		if !errors.Is(err, ErrPluginFailed) {
			t.Fatalf("Run after a trap = %+v, %v; want ErrPluginFailed (nothing forwarded)", out, err)
		}
	})

	t.Run("fail = open without override is refused", func(t *testing.T) {
		cfg := withGuard(Plugin{Fail: FailOpen})
		cfg.Registerer = metric.NewRegistry()
		cfg.CacheDir = testCacheDir(t)
		cfg.Builtin = func(string) ([]byte, bool) { return guard, true }
		h, err := NewHost(context.Background(), cfg)
		if err == nil {
			defer h.Close()
			_, err = h.Run(context.Background(), "t", HookInbound, envelope("attack"))
			if !errors.Is(err, ErrPluginFailed) {
				t.Fatalf("a config weakening the manifest was accepted and the trap passed: %v", err)
			}
		}
		if !errors.Is(err, ErrWeakerPolicy) && !errors.Is(err, ErrPluginFailed) {
			t.Fatalf("err = %v, want ErrWeakerPolicy", err)
		}
	})

	t.Run("override_policy runs it open", func(t *testing.T) {
		h, _ := testHost(t, withGuard(Plugin{Fail: FailOpen, OverridePolicy: true}), map[string][]byte{"guard": guard})
		if out := run(t, h, "attack"); out.Envelope.Message.Text != "attack" {
			t.Fatalf("text %q, want the unmasked text (operator overrode the policy)", out.Envelope.Message.Text)
		}
	})

	t.Run("plugins without a manifest still default to open", func(t *testing.T) {
		h, _ := testHost(t, region("panic"), map[string][]byte{"panic": hostile(t, "panic")})
		if _, err := h.Run(context.Background(), "t", HookInbound, envelope("attack")); err != nil {
			t.Fatalf("fail-open default changed for plugins without a manifest: %v", err)
		}
	})
}
