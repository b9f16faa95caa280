package edge

import (
	"testing"
	"time"

	"github.com/kefu-io/kefu/edge/channels"
)

// TestChannelRateLimits: each channel has its own token bucket, and a
// tenant's channels share one more; another tenant is never limited by
// them. Times are given, so the test does not depend on the clock.
func TestChannelRateLimits(t *testing.T) {
	n := &Node{ch: &channelState{opt: ChannelOptions{Rate: 1, Burst: 3, TenantRate: 1, TenantBurst: 5},
		limits: map[string]*tokenBucket{}}}
	t0 := time.Unix(1_700_000_000, 0)
	a1 := channels.Config{ID: "a1", Tenant: "a"}
	a2 := channels.Config{ID: "a2", Tenant: "a"}
	b1 := channels.Config{ID: "b1", Tenant: "b"}
	allowed := func(c channels.Config, k int, at time.Time) int {
		got := 0
		for range k {
			if n.allowChannel(c, at) {
				got++
			}
		}
		return got
	}
	for _, tc := range []struct {
		name string
		ch   channels.Config
		k    int
		at   time.Duration
		want int
	}{
		{"channel burst", a1, 10, 0, 3},
		{"second channel of the tenant: the tenant's burst is left", a2, 10, 0, 2},
		{"another tenant", b1, 10, 0, 3},
		{"refill: one per second per channel and tenant", a2, 10, 1 * time.Second, 1},
		{"the tenant's refill went to a2", a1, 10, 1 * time.Second, 0},
		{"later, both refilled", a1, 10, 4 * time.Second, 3},
	} {
		if got := allowed(tc.ch, tc.k, t0.Add(tc.at)); got != tc.want {
			t.Errorf("%s: %d of %d allowed, want %d", tc.name, got, tc.k, tc.want)
		}
	}
}
