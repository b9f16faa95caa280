package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-io/kefu/edge/channels"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestSplitLeafEdgeChannels runs central (embedded NATS with a leaf port)
// and a leaf edge (kefu edge --leaf --region eu) as separate processes. A
// channel added with `kefu admin channel add` against central's data is
// served by the edge without a restart (the KEFU_CHANNELS bucket), a
// changed secret applies within seconds, and the bot's reply to a Telegram
// shopper is delivered by the leaf edge through the Bot API (a local
// stand-in): the leaf consumes the channel outbox in central's domain.
// With central killed, a restarted edge serves the channel from the copy
// it kept, and the reply follows central's restart.
func TestSplitLeafEdgeChannels(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	var mu sync.Mutex
	var sent []string
	tg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			ChatID int64  `json:"chat_id"`
			Text   string `json:"text"`
		}
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/tg/bot123:LEAF/sendMessage" || json.Unmarshal(b, &m) != nil || m.ChatID == 0 || m.Text == "" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"ok":false,"description":"Bad Request"}`)
			return
		}
		mu.Lock()
		sent = append(sent, strconv.FormatInt(m.ChatID, 10)+": "+m.Text)
		mu.Unlock()
		fmt.Fprint(w, `{"ok":true,"result":{"message_id":1}}`)
	}))
	defer tg.Close()

	data, edgeData := t.TempDir(), t.TempDir()
	natsPort, leafPort := freePort(t), freePort(t)
	centralAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	edgeAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	// No shared leaf token: the edge presents its region's own token,
	// derived from central's NATS secret (central's side then limits the
	// link to what an edge of eu needs, SECURITY.md).
	var tok, errb bytes.Buffer
	if code := run(t.Context(), []string{"nats-credentials", "--data", data, "--leaf", "--region", "eu"}, nil, &tok, &errb); code != 0 {
		t.Fatalf("kefu nats-credentials --leaf: %s", errb.String())
	}
	leafToken := strings.TrimSpace(tok.String())
	startCentral := func() *exec.Cmd {
		return startKefu(t, "central", "--embed-nats", strconv.Itoa(natsPort), "--leaf-port", strconv.Itoa(leafPort),
			"--data", data, "--addr", centralAddr)
	}
	startEdge := func() *exec.Cmd {
		return startKefu(t, "edge", "--region", "eu", "--leaf", fmt.Sprintf("nats://127.0.0.1:%d", leafPort), "--leaf-token", leafToken,
			"--data", edgeData, "--addr", edgeAddr,
			"--allow-private-urls") // the Telegram stand-in is on loopback (internal/egress)
	}
	central := startCentral()
	waitHealthy(t, centralAddr)
	edgeProc := startEdge()
	waitHealthy(t, edgeAddr)

	addChannel := func(secret string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "admin", "--data", data, "channel", "add", "--tenant", "demo", "--kind", "telegram",
			"--id", "tgleaf", "--bot-token", "123:LEAF", "--secret", secret, "--api-base", tg.URL+"/tg")
		cmd.Env = append(os.Environ(), "KEFU_TEST_MAIN=1")
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), `"endpoint":"/channels/telegram/tgleaf"`) {
			t.Fatalf("channel add: %v %s", err, out)
		}
	}
	update := func(secret string, id int, text string) int {
		body := fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":%d,"from":{"id":4242,"is_bot":false,"first_name":"Li"},"chat":{"id":4242,"type":"private"},"date":%d,"text":%q}}`,
			id, id, time.Now().Unix(), text)
		req, _ := http.NewRequest("POST", "http://"+edgeAddr+"/channels/telegram/tgleaf", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(channels.HeaderTelegramSecret, secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	// Before the channel exists: 404 once the edge heard from central (503
	// "retry" while its lookup cannot be answered yet).
	poll.Until(t, 30*time.Second, func() error {
		if code := update("first-secret", 1, "hello"); code != 404 {
			return fmt.Errorf("before the channel exists: %d, want 404", code)
		}
		return nil
	})
	addChannel("first-secret")
	poll.Until(t, 15*time.Second, func() error {
		if code := update("first-secret", 2, "What is your return policy?"); code != 200 {
			return fmt.Errorf("update: %d", code)
		}
		return nil
	})
	poll.Until(t, 20*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(sent) == 0 || !strings.HasPrefix(sent[0], "4242: ") {
			return fmt.Errorf("sendMessage got %q", sent)
		}
		return nil
	})
	// A changed secret applies without a restart (well within the 30 s
	// lookup cache the edge used before the bucket).
	addChannel("second-secret")
	start := time.Now()
	poll.Until(t, 10*time.Second, func() error {
		if code := update("first-secret", 3, "old secret"); code != 401 {
			return fmt.Errorf("old secret still accepted: %d", code)
		}
		return nil
	})
	t.Logf("changed secret applied at the leaf edge after %v", time.Since(start).Round(10*time.Millisecond))
	if code := update("second-secret", 4, "new secret"); code != 200 {
		t.Fatalf("new secret: %d", code)
	}

	// Central down and the edge restarted: the edge serves the channel
	// from the copy it kept (the message waits in the region), and the
	// reply is delivered once central is back.
	for _, p := range []*exec.Cmd{central, edgeProc} {
		if err := p.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.Wait()
	}
	startEdge()
	waitHealthy(t, edgeAddr)
	if code := update("second-secret", 5, "Do you ship to Canada?"); code != 200 {
		t.Fatalf("central down, edge restarted: %d, want 200 from the kept configuration", code)
	}
	mu.Lock()
	before := len(sent)
	mu.Unlock()
	startCentral()
	poll.Until(t, 30*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(sent) <= before {
			return fmt.Errorf("sendMessage got %q since central came back", sent[before:])
		}
		return nil
	})
}
