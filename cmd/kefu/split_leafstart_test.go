package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// TestSplitLeafEdgeStartsBeforeCentral starts a leaf edge (kefu edge
// --leaf) while central's leaf port does not answer yet: the edge comes up
// healthy (it warns, it does not exit), a shopper's message is accepted
// into the region's own JetStream, and once central starts the message is
// answered exactly once.
func TestSplitLeafEdgeStartsBeforeCentral(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	data, edgeData := t.TempDir(), t.TempDir()
	natsPort, leafPort := freePort(t), freePort(t)
	centralAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	edgeAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))

	_, edgeLog := startKefuLog(t, "edge", "--region", "eu", "--leaf", fmt.Sprintf("nats://127.0.0.1:%d", leafPort),
		"--leaf-token", "leaf-secret", "--data", edgeData, "--addr", edgeAddr)
	began := time.Now()
	waitHealthy(t, edgeAddr)
	t.Logf("edge healthy %v after start, central not started", time.Since(began).Round(time.Millisecond))
	if b, _ := os.ReadFile(edgeLog); !strings.Contains(string(b), "leaf link to central is not up yet") {
		t.Errorf("the edge did not warn that its leaf link is down:\n%s", b)
	}

	ws := dialEdge(t, edgeAddr, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-early"})
	conv := next(t, ws, chat.FrameWelcome).ConversationID
	msg := chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "How long does shipping take?", Lang: "en"}
	start := time.Now()
	send(t, ws, msg)
	if a := nextFor(t, ws, msg.ID); a.Type != chat.FrameAccepted {
		t.Fatalf("before central ever started the edge answered %+v, want accepted", a)
	}
	t.Logf("accepted %v after sending, central never started", time.Since(start))

	time.Sleep(2 * time.Second) // the edge keeps retrying meanwhile
	startKefu(t, "central", "--embed-nats", strconv.Itoa(natsPort), "--leaf-port", strconv.Itoa(leafPort),
		"--leaf-token", "leaf-secret", "--data", data, "--addr", centralAddr)
	r := replyTo(t, ws, msg.ID)
	if r.Text == "" || (conv != "" && r.ConversationID != conv) {
		t.Fatalf("reply after central started %+v, conversation %q", r, conv)
	}
	t.Logf("answered %v after sending (central started meanwhile)", time.Since(start))
	send(t, ws, chat.Frame{Type: chat.FrameAck, ID: r.ID})
	noSecondReply(t, ws, msg.ID, r.ID)
}
