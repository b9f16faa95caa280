package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
)

// TestMain lets a test start this binary as `kefu` in a child process (so a
// test can kill it like a crash): KEFU_TEST_MAIN=1 runs main instead.
func TestMain(m *testing.M) {
	if os.Getenv("KEFU_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSplitDeploymentCentralCrash runs central (with its embedded NATS) and
// an edge as separate processes, kills central with SIGKILL in the middle of
// a conversation and restarts it: the shopper's socket to the edge stays
// up, a message sent while central is down is accepted or refused with
// `unavailable` and retried with the same id, and after the restart it is
// answered exactly once, in the same conversation.
func TestSplitDeploymentCentralCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	data := t.TempDir()
	natsPort := freePort(t)
	centralAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	edgeAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startCentral := func() *exec.Cmd {
		return startKefu(t, "central", "--embed-nats", strconv.Itoa(natsPort), "--data", data, "--addr", centralAddr)
	}
	central := startCentral()
	waitHealthy(t, centralAddr)
	startKefu(t, "edge", "--nats", fmt.Sprintf("nats://127.0.0.1:%d", natsPort), "--addr", edgeAddr)
	waitHealthy(t, edgeAddr)

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+edgeAddr+"/ws?site=demo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	send(t, ws, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-split"})
	conv := next(t, ws, chat.FrameWelcome).ConversationID

	if r, _ := ask(t, ws, "How long does shipping take?"); r.ConversationID != conv || r.Text == "" {
		t.Fatalf("first reply %+v", r)
	}

	if err := central.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = central.Wait()
	// Central stays down longer than the edge's PubAck timeout (5 s): the
	// edge answers unavailable, the client resends; the first publish, held
	// in the NATS client's reconnect buffer, lands too — JetStream's
	// de-duplication by message id keeps one.
	restarted := time.AfterFunc(6*time.Second, func() { startCentral() })
	defer restarted.Stop()
	r, resent := ask(t, ws, "What is your return policy?")
	if r.ConversationID != conv || r.Text == "" {
		t.Fatalf("reply after the crash %+v, conversation %s", r, conv)
	}
	if resent == 0 {
		t.Error("no unavailable while central was down for longer than the publish timeout")
	}
	// Exactly once: no second reply to m2 arrives.
	_ = ws.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			break
		}
		if f.Type == chat.FrameMessage && f.ReplyTo == r.ReplyTo {
			t.Fatalf("second reply to %s: %+v", r.ReplyTo, f)
		}
	}
}

// startKefu runs this test binary as `kefu args…` and stops it at the end.
func startKefu(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KEFU_TEST_MAIN=1")
	logf, err := os.Create(filepath.Join(t.TempDir(), args[0]+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("kefu %s log:\n%s", args[0], b)
		}
	})
	return cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", addr)
}

func send(t *testing.T, ws *websocket.Conn, f chat.Frame) {
	t.Helper()
	if err := ws.WriteJSON(f); err != nil {
		t.Fatalf("send %s: %v", f.Type, err)
	}
}

// next reads frames until one of type typ (other frames are skipped).
func next(t *testing.T, ws *websocket.Conn, typ chat.FrameType) chat.Frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if f.Type == typ {
			return f
		}
	}
}

// ask sends text as a new message and waits for its reply, acknowledging
// it; whenever the edge answers unavailable it resends the message with the
// same id, as docs/PROTOCOL.md tells clients to, and counts the resends.
func ask(t *testing.T, ws *websocket.Conn, text string) (reply chat.Frame, resent int) {
	t.Helper()
	msg := chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: text, Lang: "en"}
	send(t, ws, msg)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		_ = ws.SetReadDeadline(deadline)
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for the reply to %q: %v", text, err)
		}
		switch {
		case f.Type == chat.FrameMessage && f.ReplyTo == msg.ID:
			send(t, ws, chat.Frame{Type: chat.FrameAck, ID: f.ID})
			return f, resent
		case f.Type == chat.FrameError && f.ID == msg.ID && f.Code == chat.CodeUnavailable:
			time.Sleep(250 * time.Millisecond)
			send(t, ws, msg)
			resent++
		case f.Type == chat.FrameError && f.ID == msg.ID:
			t.Fatalf("error for %q: %s %s", text, f.Code, f.Reason)
		}
	}
	t.Fatalf("no reply to %q", text)
	return reply, resent
}
