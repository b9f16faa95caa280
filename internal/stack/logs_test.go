package stack

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/syncbuf"
)

// TestLogsHoldNoMessageText runs the whole stack with debug logs and
// checks that what shoppers write never reaches the logs (issue 14 item 7:
// logs are structured and free of message texts): a question the bot
// answers, one that goes to the human queue and one the inbound pipeline
// changes, each with a marker that appears nowhere else.
// Not parallel: its 10-line floor is just met when the edge's knowledge load is logged before Close (9 lines beside other tests).
func TestLogsHoldNoMessageText(t *testing.T) {
	var logs syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: log, DemoHistoryDays: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ws, _ := dialShopper(t, s, chat.Frame{Visitor: "v-log-check"})
	texts := []string{
		"What is your return policy? zebravioletquartz",
		"my card is 4111111111111111 and mail tangerinewalrus@example.com",
		"I want to talk to a human agent now, marmaladeotter",
	}
	markers := []string{"zebravioletquartz", "marmaladeotter", "tangerinewalrus", "4111111111111111"}
	for i, text := range texts {
		id := chat.NewID()
		ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: text})
		ws.expectAccepted(id)
		if i < 2 { // the bot answers, then (the card) hands off to the human queue
			ws.expectMessage(func(f chat.Frame) bool { return f.ReplyTo == id })
		}
	}
	s.Close()
	out := logs.String()
	if strings.Count(out, "\n") < 10 {
		t.Fatalf("only %d log lines: the check would prove nothing\n%s", strings.Count(out, "\n"), out)
	}
	for _, m := range markers {
		if i := strings.Index(out, m); i >= 0 {
			start := strings.LastIndex(out[:i], "\n") + 1
			end := i + strings.Index(out[i:], "\n")
			t.Errorf("a shopper's text %q is in the logs: %s", m, out[start:max(end, i+len(m))])
		}
	}
}
