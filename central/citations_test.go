package central

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestCitationsKeptWithTheAnswer: a bot answer from the knowledge cites
// its passage, and the citation is stored with the message: an agent
// reading the history later (GET …/messages) sees it.
func TestCitationsKeptWithTheAnswer(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	api := newApp(t, s)
	tok := api.login("demo", demoEmail, demoPassword)
	if _, err := s.IngestFiles(context.Background(), "demo", map[string][]byte{"returns.md": []byte(returnsDoc)}, ""); err != nil {
		t.Fatal(err)
	}
	// The ingest rebuilds the tenant's index part asynchronously.
	poll.Until(t, 10*time.Second, func() error {
		a, err := s.Hub().Ask(context.Background(), "demo", knowledge.Question{Text: "can I return unworn items with their tags?", Lang: "en"})
		if err != nil || !a.Confident() || len(a.Sources) == 0 {
			return fmt.Errorf("not answered from the knowledge yet: %+v %v", a, err)
		}
		return nil
	})
	conv := chat.NewID()
	e.publish(envelope("demo", "v1", conv, chat.NewID(), "can I return unworn items with their tags?", "en"))
	r := e.replyBy(chat.RoleBot)
	if len(r.Message.Sources) == 0 || r.Message.Sources[0].Doc != "returns" {
		t.Fatalf("bot reply %+v cites nothing", r.Message)
	}
	var page []chat.Message
	if code := api.do("GET", "/v1/conversations/"+conv+"/messages", tok, nil, &page); code != 200 {
		t.Fatalf("messages: %d", code)
	}
	for _, m := range page {
		if m.ID == r.Message.ID {
			if len(m.Sources) != 1 || m.Sources[0].Doc != "returns" || m.Sources[0].Title == "" || m.Sources[0].Passage == "" {
				t.Fatalf("stored answer's sources %+v", m.Sources)
			}
			return
		}
	}
	t.Fatalf("bot answer %s not in the history %+v", r.Message.ID, page)
}
