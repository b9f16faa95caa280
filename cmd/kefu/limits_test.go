package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/fdlimit"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// TestDevSurvivesDescriptorLimit runs `kefu dev` with RLIMIT_NOFILE 1024
// (cap derived: 858 connections) and pushes it past both limits: shoppers
// past the cap get 503 edge_full with Retry-After before the upgrade;
// raw connections that exhaust the descriptor table make accept fail
// with EMFILE, which the server waits out instead of exiting; the
// shoppers already connected keep chatting throughout, and once
// descriptors are free new shoppers get in again.
func TestDevSurvivesDescriptorLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process and 1,000 connections")
	}
	const nofile = 1024
	capConns := fdlimit.ConnCap(nofile)
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cmd := exec.Command("sh", "-c", `ulimit -n `+strconv.Itoa(nofile)+` && exec "$0" "$@"`, os.Args[0],
		"dev", "--addr", addr, "--data", t.TempDir(), "--max-conns-per-ip", "-1", "--demo-history", "0", "--plugin-cache", pluginCache(t))
	cmd.Env = append(os.Environ(), "KEFU_TEST_MAIN=1")
	logPath := filepath.Join(t.TempDir(), "dev.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("kefu dev log (tail):\n%s", tail(b, 4000))
		}
	})
	waitHealthy(t, addr)
	alive := func(when string) {
		t.Helper()
		select {
		case err := <-exited:
			t.Fatalf("%s: kefu dev exited: %v", when, err)
		default:
		}
	}

	// Fill the edge up to its cap with idle shoppers (hello only).
	var conns []*websocket.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	first := dialEdge(t, addr, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-first"})
	conns = append(conns, first)
	for len(conns) < capConns {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?site=demo", nil)
		if err != nil {
			t.Fatalf("connection %d of %d: %v", len(conns)+1, capConns, err)
		}
		conns = append(conns, c)
	}
	// One more: refused before the upgrade.
	_, resp, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?site=demo", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("connection past the cap: err %v, response %+v", err, resp)
	}
	var refusal struct{ Code string }
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, &refusal); refusal.Code != "edge_full" {
		t.Fatalf("refusal body %s", b)
	}
	alive("at the cap")
	reply, _ := ask(t, first, "What is your return policy?")
	if reply.Text == "" {
		t.Fatal("empty reply at the cap")
	}

	// Exhaust the descriptors with raw connections that never speak.
	var raw []net.Conn
	for range 400 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		raw = append(raw, c)
	}
	// /metrics cannot be reached while no descriptor is free: the log says it.
	waitFor(t, 30*time.Second, "accept to fail with EMFILE", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "too many open files")
	})
	alive("out of descriptors")
	if reply, _ := ask(t, first, "Where is my order?"); reply.Text == "" {
		t.Fatal("empty reply while out of descriptors")
	}
	for _, c := range raw {
		c.Close()
	}
	waitFor(t, 30*time.Second, "accept failures counted", func() bool {
		return metricAbove(addr, "kefu_accept_errors_total", 0)
	})
	// Free one shopper's slot: a new shopper gets in again.
	conns[len(conns)-1].Close()
	conns = conns[:len(conns)-1]
	var again *websocket.Conn
	waitFor(t, 30*time.Second, "a new shopper admitted after recovery", func() bool {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?site=demo", nil)
		if err != nil {
			return false
		}
		again = c
		return true
	})
	conns = append(conns, again)
	send(t, again, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-again"})
	next(t, again, chat.FrameWelcome)
	alive("after recovery")
}

// pluginCache is a compilation cache for the built-in plugins kept across
// test runs (as edge/pluginhost's tests keep theirs): compiling them
// under the race detector took `kefu dev` minutes of CPU before it
// answered /healthz, which is not what the tests that start it check.
func pluginCache(t *testing.T) string {
	t.Helper()
	d, err := wasmbuild.CompileCache("wazero-test-dev")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metricAbove reports whether the Prometheus counter name at addr's
// /metrics exceeds v. Errors (the server may have no descriptor for the
// request) count as false.
func metricAbove(addr, name string, v float64) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == name {
			var got float64
			fmt.Sscan(f[1], &got)
			return got > v
		}
	}
	return false
}
