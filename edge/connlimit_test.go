package edge_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/internal/fdlimit"
)

func TestConnectionCaps(t *testing.T) {
	for _, tc := range []struct {
		name       string
		max, maxIP int
		status     int
		code       string
	}{
		{"per address", 0, 2, http.StatusTooManyRequests, "too_many_connections"},
		{"whole edge", 2, 0, http.StatusServiceUnavailable, "edge_full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{config: func(c *edge.Config) {
				c.MaxConns, c.MaxConnsPerIP = tc.max, tc.maxIP
			}})
			a, b := h.dial("demo"), h.dial("demo")
			_, resp, err := h.dialRaw("demo", nil)
			if err == nil || resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("third connection: err %v, response %+v; want status %d", err, resp, tc.status)
			}
			var body struct{ Code, Error string }
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &body); err != nil || body.Code != tc.code || body.Error == "" {
				t.Fatalf("refusal body %s (%v), want code %q with a reason", raw, err, tc.code)
			}
			if resp.Header.Get("Retry-After") == "" {
				t.Error("refusal has no Retry-After")
			}
			// The two admitted connections still work; closing one frees its slot.
			b.alive()
			_ = a.conn.Close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				c, _, err := h.dialRaw("demo", nil)
				if err == nil {
					c.alive()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("slot of a closed connection never freed: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

func TestRefusedUpgradeKeepsNoSlot(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.MaxConnsPerIP = 1 }})
	// Upgrade requests that fail the handshake (no Sec-WebSocket-Key) pass
	// the cap and are refused by the upgrader: their slots must come back.
	for range 3 {
		conn, err := net.Dial("tcp", strings.TrimPrefix(h.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, "GET /ws?site=demo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.Close()
		if resp.StatusCode == http.StatusSwitchingProtocols || resp.StatusCode < 400 {
			t.Fatalf("handshake without a key: %d, want a refusal", resp.StatusCode)
		}
	}
	h.dial("demo").alive()
}

// TestHeapCapRefusesNewConnections sets a heap cap the process is already
// over: new shoppers get 503 edge_full with Retry-After before the upgrade.
func TestHeapCapRefusesNewConnections(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.MaxHeapBytes = 1 }})
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, resp, err := h.dialRaw("demo", nil)
		if err != nil && resp != nil && resp.StatusCode == http.StatusServiceUnavailable {
			raw, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(raw), `"edge_full"`) || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("refusal %s, Retry-After %q", raw, resp.Header.Get("Retry-After"))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connection over the heap cap: err %v, response %+v", err, resp)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMaxConnsBoundedByDescriptors checks that the configured cap never
// exceeds what RLIMIT_NOFILE allows and that a lower cap is kept.
func TestMaxConnsBoundedByDescriptors(t *testing.T) {
	derived := fdlimit.ConnCap(fdlimit.NoFile())
	for _, tc := range []struct{ set, want int }{
		{0, derived}, {-1, derived}, {derived + 1_000_000, derived}, {3, 3},
	} {
		h := newHarness(t, harnessOpts{noCentral: true, config: func(c *edge.Config) { c.MaxConns = tc.set }})
		if got := metricValue(t, h.reg, "kefu_edge_max_connections", "", ""); int(got) != tc.want {
			t.Errorf("MaxConns %d: cap in force %v, want %d", tc.set, got, tc.want)
		}
	}
}

// TestReadyFollowsCaps: an edge at its connection cap is not ready (load
// balancers send new shoppers elsewhere) and is again once a slot frees.
func TestReadyFollowsCaps(t *testing.T) {
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.MaxConns = 1 }})
	if err := h.node.Ready(t.Context()); err != nil {
		t.Fatalf("empty edge not ready: %v", err)
	}
	c := h.dial("demo")
	if err := h.node.Ready(t.Context()); !errors.Is(err, edge.ErrFull) {
		t.Fatalf("full edge: Ready = %v, want ErrFull", err)
	}
	_ = c.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for h.node.Ready(t.Context()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("edge never ready again after the connection closed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
