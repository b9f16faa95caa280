package main

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestMain lets a test start this binary as `kefu` in a child process (so a
// test can kill it like a crash): KEFU_TEST_MAIN=1 runs main instead, and
// KEFU_TEST_NATS_SERVER=1 runs nats-server.
func TestMain(m *testing.M) {
	if os.Getenv("KEFU_TEST_MAIN") == "1" {
		main()
		return
	}
	if os.Getenv("KEFU_TEST_NATS_SERVER") == "1" { // cluster_test.go
		os.Exit(natsServerMain(os.Args[1:]))
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
	startKefu(t, "edge", "--nats", fmt.Sprintf("nats://127.0.0.1:%d", natsPort), "--addr", edgeAddr,
		"--nats-credentials", edgeCredentials(t, data, "local"), "--data", t.TempDir())
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
	cmd, _ := startKefuLog(t, args...)
	return cmd
}

// startKefuLog is startKefu that also returns the path of the child's log
// (its stdout and stderr).
func startKefuLog(t *testing.T, args ...string) (*exec.Cmd, string) {
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
	return cmd, logf.Name()
}

// handedOut holds the ports freePort returned in this process.
var handedOut sync.Map

// freePort returns a loopback port that was free a moment ago, for a child
// process to listen on. It picks below the kernel's ephemeral range
// (32768–60999 by default): a port the kernel handed to a listener on :0
// may meanwhile go to any outgoing connection on a busy CI machine, one
// below that range only to another listener that asks for it by number.
func freePort(t *testing.T) int {
	t.Helper()
	for range 2000 {
		p := 20000 + rand.IntN(12000)
		if _, taken := handedOut.LoadOrStore(p, true); taken {
			continue
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		l.Close()
		return p
	}
	t.Fatal("freePort: no free loopback port in 20000-31999")
	return 0
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	poll.Until(t, 60*time.Second, func() error {
		// A client timeout: a server that bound its port but does not
		// answer yet must not hold one attempt past the minute.
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz")
		if err != nil {
			return fmt.Errorf("%s never became healthy: %w", addr, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s never became healthy: %s", addr, resp.Status)
		}
		return nil
	})
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

// TestSplitDeploymentLeafEdge runs central (embedded NATS with a leaf port
// and a token) and an edge that is a NATS leaf node (kefu edge --leaf) as
// separate processes. With central killed (SIGKILL), a shopper's message is
// accepted at once — stored in the region's own JetStream — and, though the
// client sends it twice, answered exactly once, in the same conversation,
// after central restarts. A message
// accepted just before the edge itself is killed is not lost: the restarted
// edge hands it on and the shopper's resume brings the answer. An edge with
// the wrong token fails at start with a clear error.
func TestSplitDeploymentLeafEdge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	data, edgeData := t.TempDir(), t.TempDir()
	natsPort, leafPort := freePort(t), freePort(t)
	centralAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	edgeAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	leafURL := fmt.Sprintf("nats://127.0.0.1:%d", leafPort)
	startCentral := func() *exec.Cmd {
		return startKefu(t, "central", "--embed-nats", strconv.Itoa(natsPort), "--leaf-port", strconv.Itoa(leafPort),
			"--leaf-token", "leaf-secret", "--data", data, "--addr", centralAddr)
	}
	startEdge := func() *exec.Cmd {
		return startKefu(t, "edge", "--region", "eu", "--leaf", leafURL, "--leaf-token", "leaf-secret",
			"--data", edgeData, "--addr", edgeAddr)
	}
	central := startCentral()
	waitHealthy(t, centralAddr)

	t.Run("wrong token", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "edge", "--leaf", leafURL, "--leaf-token", "guess",
			"--data", t.TempDir(), "--addr", "127.0.0.1:"+strconv.Itoa(freePort(t)))
		cmd.Env = append(os.Environ(), "KEFU_TEST_MAIN=1")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "leaf link refused") || strings.Contains(string(out), "guess") {
			t.Fatalf("edge with a wrong token: %v\n%s", err, out)
		}
	})

	edgeProc := startEdge()
	waitHealthy(t, edgeAddr)
	ws := dialEdge(t, edgeAddr, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-leaf"})
	conv := next(t, ws, chat.FrameWelcome).ConversationID
	first, _ := ask(t, ws, "How long does shipping take?")
	if first.ConversationID != conv || first.Text == "" {
		t.Fatalf("first reply %+v", first)
	}

	// Central down: accepted at once, answered once after the restart.
	if err := central.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = central.Wait()
	msg := chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "What is your return policy?", Lang: "en"}
	start := time.Now()
	send(t, ws, msg)
	if a := nextFor(t, ws, msg.ID); a.Type != chat.FrameAccepted {
		t.Fatalf("while central is down the edge answered %+v, want accepted", a)
	}
	t.Logf("accepted %v after sending, central down", time.Since(start))
	send(t, ws, msg) // a client's resend (same id) is accepted and stored once
	if a := nextFor(t, ws, msg.ID); a.Type != chat.FrameAccepted {
		t.Fatalf("resend while central is down: %+v, want accepted", a)
	}
	startCentral()
	r := replyTo(t, ws, msg.ID)
	if r.ConversationID != conv || r.Text == "" {
		t.Fatalf("reply after central's restart %+v, conversation %s", r, conv)
	}
	t.Logf("answered %v after sending (central restarted meanwhile)", time.Since(start))
	send(t, ws, chat.Frame{Type: chat.FrameAck, ID: r.ID})

	// Edge killed right after accepting: nothing accepted is lost.
	msg2 := chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "Do you ship to Canada?", Lang: "en"}
	send(t, ws, msg2)
	if a := nextFor(t, ws, msg2.ID); a.Type != chat.FrameAccepted {
		t.Fatalf("edge answered %+v, want accepted", a)
	}
	if err := edgeProc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = edgeProc.Wait()
	ws.Close()
	startEdge()
	waitHealthy(t, edgeAddr)
	ws = dialEdge(t, edgeAddr, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-leaf", ConversationID: conv, ResumeAfter: r.ID})
	if w := next(t, ws, chat.FrameWelcome); w.ConversationID != conv || w.Reason != "" {
		t.Fatalf("resume after the edge restart: %+v", w)
	}
	r2 := replyTo(t, ws, msg2.ID)
	if r2.ConversationID != conv || r2.Text == "" {
		t.Fatalf("reply after the edge restart %+v", r2)
	}
	noSecondReply(t, ws, msg2.ID, r2.ID) // the last read: a timed-out read ends a websocket.Conn
	ws.Close()

	// Exactly once: the history after the first reply holds one answer to each.
	ws = dialEdge(t, edgeAddr, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-leaf", ConversationID: conv, ResumeAfter: first.ID})
	next(t, ws, chat.FrameWelcome)
	answers := map[string]map[string]bool{msg.ID: {}, msg2.ID: {}}
	_ = ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			break
		}
		if f.Type == chat.FrameMessage && answers[f.ReplyTo] != nil {
			answers[f.ReplyTo][f.ID] = true
		}
	}
	for id, got := range answers {
		if len(got) != 1 {
			t.Errorf("message %s has %d answers in the conversation, want 1: %v", id, len(got), got)
		}
	}
}

func dialEdge(t *testing.T, addr string, hello chat.Frame) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?site=demo", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	send(t, ws, hello)
	return ws
}

// nextFor reads until the accepted or error frame of message id.
func nextFor(t *testing.T, ws *websocket.Conn, id string) chat.Frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(3 * time.Second))
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for accepted %s: %v", id, err)
		}
		if (f.Type == chat.FrameAccepted || f.Type == chat.FrameError) && f.ID == id {
			return f
		}
	}
}

// replyTo reads until the reply to message id; an error frame fails.
func replyTo(t *testing.T, ws *websocket.Conn, id string) chat.Frame {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("waiting for the reply to %s: %v", id, err)
		}
		switch {
		case f.Type == chat.FrameMessage && f.ReplyTo == id:
			return f
		case f.Type == chat.FrameError:
			t.Fatalf("error frame while waiting for the reply to %s: %+v", id, f)
		}
	}
}

// noSecondReply fails when another answer (another id) to message id
// arrives within 1.5 s.
func noSecondReply(t *testing.T, ws *websocket.Conn, id, replyID string) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
	for {
		var f chat.Frame
		if err := ws.ReadJSON(&f); err != nil {
			return
		}
		if f.Type == chat.FrameMessage && f.ReplyTo == id && f.ID != replyID {
			t.Fatalf("second answer to %s: %+v", id, f)
		}
	}
}
