package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
	"github.com/kefu-io/kefu/internal/testcert"
)

// TestSplitLeafEdgeTLS runs central with a TLS leaf port (kefu central
// --leaf-tls-cert/--leaf-tls-key, a certificate for 127.0.0.1 made in the
// test) and two leaf edges as separate processes. The edge that trusts
// central's CA (--leaf-tls-ca) links and a shopper's message is answered;
// the edge that trusts another CA stays up and healthy, accepts into its
// region and logs in plain words that TLS on the leaf link failed.
func TestSplitLeafEdgeTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ca, other := testcert.NewCA(t, "kefu-central-ca"), testcert.NewCA(t, "other-ca")
	cert, key := ca.Issue(t, "central")
	natsPort, leafPort := freePort(t), freePort(t)
	centralAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	leafURL := fmt.Sprintf("nats://127.0.0.1:%d", leafPort)
	startKefu(t, "central", "--embed-nats", strconv.Itoa(natsPort), "--leaf-port", strconv.Itoa(leafPort),
		"--leaf-token", "leaf-secret", "--leaf-tls-cert", cert, "--leaf-tls-key", key, "--data", t.TempDir(), "--addr", centralAddr)
	waitHealthy(t, centralAddr)

	edgeAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	startKefu(t, "edge", "--region", "eu", "--leaf", leafURL, "--leaf-token", "leaf-secret",
		"--leaf-tls-ca", ca.File, "--data", t.TempDir(), "--addr", edgeAddr)
	waitHealthy(t, edgeAddr)
	ws := dialEdge(t, edgeAddr, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-tls"})
	conv := next(t, ws, chat.FrameWelcome).ConversationID
	if r, _ := ask(t, ws, "How long does shipping take?"); r.ConversationID != conv || r.Text == "" {
		t.Fatalf("reply over the TLS leaf link %+v, conversation %s", r, conv)
	}

	// One edge starting at a time: each compresses its assets at start,
	// which under the race detector takes tens of seconds.
	badAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	_, badLog := startKefuLog(t, "edge", "--region", "us", "--leaf", leafURL, "--leaf-token", "leaf-secret",
		"--leaf-tls-ca", other.File, "--data", t.TempDir(), "--addr", badAddr)
	waitHealthy(t, badAddr) // up, not crashed
	poll.Until(t, 30*time.Second, func() error {
		b, _ := os.ReadFile(badLog)
		if !strings.Contains(string(b), "TLS on the leaf link failed") || !strings.Contains(string(b), "unknown authority") {
			return errors.New("the edge trusting another CA did not log why its leaf link fails:\n" + string(b))
		}
		return nil
	})
	ws = dialEdge(t, badAddr, chat.Frame{Type: chat.FrameHello, V: 1, Visitor: "v-tls-bad"})
	next(t, ws, chat.FrameWelcome)
	msg := chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "Where is my order?", Lang: "en"}
	send(t, ws, msg)
	if a := nextFor(t, ws, msg.ID); a.Type != chat.FrameAccepted {
		t.Fatalf("the edge whose link fails TLS answered %+v, want accepted (kept in the region)", a)
	}
}
