package pluginhost

import (
	"context"
	"testing"
)

// TestPoolReusesLastInstance: the idle pool is last in, first out, so
// calls one after the other run on the instance used last (still in the
// CPU's caches), not round the whole pool; every live instance stays
// reachable.
func TestPoolReusesLastInstance(t *testing.T) {
	cfg := region("passthrough")
	cfg.Defaults.PoolSize = 3
	h, _ := testHost(t, cfg, map[string][]byte{"passthrough": passthrough(t)})
	d := h.slots["t"]["passthrough"].cur.Load()
	ctx := context.Background()
	var got []*instance
	for range 3 {
		in, err := d.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, in)
	}
	for _, in := range got {
		d.put(in, false)
	}
	for i := range 5 {
		in, err := d.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if in != got[2] {
			t.Fatalf("call %d ran on another instance than the one put back last", i)
		}
		d.put(in, false)
	}
	seen := map[*instance]bool{}
	for range 3 {
		in, err := d.get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen[in] = true
	}
	if len(seen) != 3 {
		t.Fatalf("%d distinct idle instances, want 3", len(seen))
	}
	if d.live.Load() != 3 {
		t.Fatalf("live %d, want 3", d.live.Load())
	}
	for in := range seen {
		d.put(in, false)
	}
}
