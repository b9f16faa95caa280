package stack

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/wasmbuild"
	"github.com/kefu-io/kefu/plugins/builtin"
)

// TestBadInput runs the whole stack with a hostile plugin (it panics on
// "attack") behind pii-redact, and checks that bad input is refused with a
// reason while the connection and the edge keep serving.
func TestBadInput(t *testing.T) {
	t.Parallel()
	trap := buildPlugin(t, "edge/pluginhost/testdata/hostile/panic")
	pii, ok := builtin.Lookup("pii-redact")
	if !ok {
		t.Fatal("pii-redact is not built in: run `make plugins` (make test does)")
	}
	pc := pluginhost.Config{
		CacheDir:     testPluginCache(),
		PollInterval: pluginhost.Duration(-1),
		Builtin: func(name string) ([]byte, bool) {
			switch name {
			case "trap":
				return trap, true
			case "pii-redact":
				return pii, true
			}
			return nil, false
		},
		Regions: map[string]pluginhost.Region{"local": {
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"pii-redact", "trap"}},
			Plugins:   map[string]pluginhost.Plugin{"trap": {Fail: pluginhost.FailOpen}},
			Limits:    pluginhost.Limits{Timeout: pluginhost.Duration(2 * time.Second)},
		}},
	}
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Plugins: &pc, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	t.Run("unknown site is 403", func(t *testing.T) {
		for _, path := range []string{"/ws?site=nope", "/w/config?site=nope", "/w/config"} {
			res, err := http.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s = %d, want 403", path, res.StatusCode)
			}
		}
	})

	ws, _ := dialShopper(t, s, chat.Frame{Visitor: "v-bad-input"})

	t.Run("malformed frame gets an error and the connection stays up", func(t *testing.T) {
		for _, raw := range []string{`{not json`, `{"type":"teleport"}`, `{"type":"message","text":"no id"}`} {
			ws.sendRaw(raw)
			f := ws.expect(chat.FrameError)
			if f.Code != chat.CodeBadFrame || f.Reason == "" {
				t.Errorf("%s: error %+v, want code bad_frame with a reason", raw, f)
			}
		}
	})
	t.Run("oversized message is refused with the limit", func(t *testing.T) {
		id := chat.NewID()
		ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: strings.Repeat("长", 2000)}) // 6000 bytes
		f := ws.expect(chat.FrameError)
		if f.Code != chat.CodeTooLarge || f.ID != id || !strings.Contains(f.Reason, "4096") {
			t.Errorf("error %+v, want too_large for %s naming the 4096-byte limit", f, id)
		}
	})
	t.Run("a plugin that traps does not take the edge down", func(t *testing.T) {
		id := chat.NewID()
		ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: "attack"})
		ws.expectAccepted(id)
		// The next message runs on a fresh instance of the same plugin.
		id2 := chat.NewID()
		ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id2, Text: "hello again"})
		f := ws.expectMessage(func(f chat.Frame) bool { return f.ReplyTo == id2 || f.Text == "ok:panic" })
		if f.Source != chat.SourceEdge || f.Text != "ok:panic" {
			t.Errorf("reply %+v, want the plugin's edge answer", f)
		}
	})
}

type wsClient struct {
	t   *testing.T
	ctx context.Context
	c   *websocket.Conn
}

func (w *wsClient) send(f chat.Frame) {
	b, _ := json.Marshal(f)
	w.sendRaw(string(b))
}

func (w *wsClient) sendRaw(s string) {
	w.t.Helper()
	if err := w.c.Write(w.ctx, websocket.MessageText, []byte(s)); err != nil {
		w.t.Fatal(err)
	}
}

// next reads frames until one of type typ (skipping pongs, events, acks).
func (w *wsClient) expect(typ chat.FrameType) chat.Frame {
	w.t.Helper()
	return w.expectMatch(func(f chat.Frame) bool { return f.Type == typ })
}

func (w *wsClient) expectAccepted(id string) {
	w.t.Helper()
	w.expectMatch(func(f chat.Frame) bool {
		if f.Type == chat.FrameError && f.ID == id {
			w.t.Fatalf("message %s refused: %+v", id, f)
		}
		return f.Type == chat.FrameAccepted && f.ID == id
	})
}

func (w *wsClient) expectMessage(ok func(chat.Frame) bool) chat.Frame {
	w.t.Helper()
	return w.expectMatch(func(f chat.Frame) bool { return f.Type == chat.FrameMessage && ok(f) })
}

func (w *wsClient) expectMatch(ok func(chat.Frame) bool) chat.Frame {
	w.t.Helper()
	for {
		_, b, err := w.c.Read(w.ctx)
		if err != nil {
			w.t.Fatalf("read: %v (the connection should stay up)", err)
		}
		var f chat.Frame
		if err := json.Unmarshal(b, &f); err != nil {
			w.t.Fatalf("edge sent a frame that is not JSON: %q", b)
		}
		if ok(f) {
			return f
		}
	}
}

// buildPlugin builds a Go plugin (GOOS=wasip1 reactor) from a folder of the
// repo, cached by its sources.
func buildPlugin(t *testing.T, dir string) []byte {
	t.Helper()
	path, err := wasmbuild.Cached(t.Context(), filepath.Join(repoRoot(t), dir))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStartFailsCleanly: a start that fails half-way (the address is taken)
// returns the error and stops what it had started.
func TestStartFailsCleanly(t *testing.T) {
	t.Parallel()
	first, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	addr := strings.TrimPrefix(first.URL, "http://")
	s, err := Start(t.Context(), Options{Addr: addr, DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger()})
	if err == nil || s != nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Start on a taken address = %v, %v; want a listen error", s, err)
	}
}
