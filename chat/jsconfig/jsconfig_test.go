package jsconfig_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/chat/jsconfig"
)

func TestStream(t *testing.T) {
	tests := []struct {
		name      string
		spec      chat.StreamSpec
		subjects  []string
		retention jetstream.RetentionPolicy
		maxAge    time.Duration
	}{
		{"inbound", chat.InboundStream(), []string{"kefu.inbound.>"}, jetstream.LimitsPolicy, chat.InboundMaxAge},
		{"region", chat.RegionStream("edge-eu"), []string{"kefu.region.edge-eu.*.*", "kefu.region.edge-eu.*"}, jetstream.WorkQueuePolicy, 7 * 24 * time.Hour},
		{"region with odd domain", chat.RegionStream("a.b"), []string{"kefu.region.a_b.*.*", "kefu.region.a_b.*"}, jetstream.WorkQueuePolicy, 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := jsconfig.Stream(tt.spec)
			if cfg.Name != tt.spec.Name || !slices.Equal(cfg.Subjects, tt.subjects) || cfg.Storage != jetstream.FileStorage ||
				cfg.Duplicates != 2*time.Minute || cfg.Retention != tt.retention || cfg.MaxAge != tt.maxAge {
				t.Fatalf("Stream(%+v) = %+v", tt.spec, cfg)
			}
			cfg.Subjects[0] = "changed"
			if tt.spec.Subjects[0] == "changed" {
				t.Fatal("Stream shares the spec's subjects slice")
			}
		})
	}
}

// TestRegionWildcardMatchesSubject checks that a leaf edge's stream
// captures what it publishes.
func TestRegionWildcardMatchesSubject(t *testing.T) {
	for _, d := range []string{"edge-eu", "x y", ""} {
		w, s := chat.RegionWildcard(d), chat.RegionSubject(d, "shop 1", "v1")
		if !server.IsValidLiteralSubject(s) || !server.SubjectMatchesFilter(s, w) {
			t.Errorf("domain %q: wildcard %q does not cover subject %q", d, w, s)
		}
		if server.SubjectMatchesFilter(s, chat.RegionTenantWildcard(d)) {
			t.Errorf("domain %q: the old subjects' wildcard covers %q", d, s)
		}
	}
	if w, s := chat.OutboundWildcard("eu"), chat.OutboundSubject("eu", "t"); w[:len(w)-1] != s[:len(w)-1] {
		t.Errorf("outbound wildcard %q does not cover %q", w, s)
	}
}
