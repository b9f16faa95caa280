package central

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

var bg = context.Background()

func TestBotAnswersFromKnowledge(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	tests := []struct {
		lang, text, want string
	}{
		{"en", "What is your return policy?", "30 days"},
		{"zh", "怎么退货", "30天"},
		{"", "快递几天到", "3-5天"}, // no lang: detected
		{"de", "Wie kann ich einen Artikel zurückgeben?", "30 Tagen"},
	}
	for i, tt := range tests {
		id := chat.NewID()
		e.publish(envelope("demo", "v"+string(rune('a'+i)), "", id, tt.text, tt.lang))
		r := e.reply()
		if r.Direction != chat.Outbound || r.Message.Role != chat.RoleBot || r.Message.ReplyTo != id || r.Region != "eu" || r.Visitor != "v"+string(rune('a'+i)) {
			t.Fatalf("reply envelope %+v", r)
		}
		if !strings.Contains(r.Message.Text, tt.want) {
			t.Fatalf("%q answered %q, want %q", tt.text, r.Message.Text, tt.want)
		}
		msgs, err := s.Store().Messages(bg, "demo", r.Message.ConversationID, "", 0)
		if err != nil || len(msgs) != 2 || msgs[0].ID != id || msgs[1].ID != r.Message.ID {
			t.Fatalf("stored %v %v", msgs, err)
		}
	}
}

func TestFallbackThenHandoff(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	e.publish(envelope("demo", "v1", "", chat.NewID(), "is the moon made of cheese", "en"))
	r := e.reply()
	if r.Message.Intent != "fallback" || !strings.Contains(r.Message.Text, "human") {
		t.Fatalf("fallback %+v", r.Message)
	}
	conv := r.Message.ConversationID
	e.publish(envelope("demo", "v1", conv, chat.NewID(), "what colour are the socks of the captain", "en"))
	if r := e.reply(); r.Message.Intent != "fallback" {
		t.Fatalf("second fallback %+v", r.Message)
	}
	note := e.reply()
	if note.Message.Role != chat.RoleSystem {
		t.Fatalf("handoff note %+v", note.Message)
	}
	ev := e.event(chat.EventHandoff)
	if ev.ConversationID != conv || ev.Reason != "bot_failed" {
		t.Fatalf("event %+v", ev)
	}
	c, _ := s.Store().Conversation(bg, "demo", conv)
	if c.Status != store.StatusQueued {
		t.Fatalf("status %q", c.Status)
	}
	// Queued: the bot stays quiet.
	e.publish(envelope("demo", "v1", conv, chat.NewID(), "hello? anyone?", "en"))
	e.consumerIdle()
	select {
	case r := <-e.out:
		t.Fatalf("bot answered a queued conversation: %+v", r.Message)
	default:
	}
}

func TestHandoffReasons(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	tests := []struct {
		name   string
		mod    func(*chat.Envelope)
		reason string
		vip    bool
	}{
		{"asked zh", func(en *chat.Envelope) { en.Message.Text = "转人工" }, "asked", false},
		{"intent", func(en *chat.Envelope) { en.Message.Intent = "human_agent"; en.Message.Text = "hmm" }, "intent", false},
		{"anger from the model", func(en *chat.Envelope) {
			en.Message.Anger = 0 // the widget's hint does not count when central has its model
			en.Message.Text = "Third week without my parcel. I want my money back today or I go to my bank."
		}, "anger", false},
		{"anger keywords", func(en *chat.Envelope) { en.Message.Text = "this is a scam, worst shop ever!!" }, "anger", false},
		{"plugin", func(en *chat.Envelope) { en.SetLabel("escalate", "legal"); en.Message.Text = "my lawyer says hi" }, "plugin", false},
		{"vip asked", func(en *chat.Envelope) { en.SetLabel("vip", "1"); en.Message.Text = "I want a real person" }, "asked", true},
	}
	prios := map[string]int{}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			en := envelope("demo", "h"+string(rune('a'+i)), "", chat.NewID(), "", "en")
			tt.mod(&en)
			e.publish(en)
			note := e.reply()
			if note.Message.Role != chat.RoleSystem {
				t.Fatalf("got %+v", note.Message)
			}
			ev := e.event(chat.EventHandoff)
			if ev.Reason != tt.reason {
				t.Fatalf("reason %q want %q", ev.Reason, tt.reason)
			}
			c, _ := s.Store().Conversation(bg, "demo", ev.ConversationID)
			if c.Status != store.StatusQueued || c.VIP != tt.vip {
				t.Fatalf("conversation %+v", c)
			}
			prios[tt.name] = c.Priority
		})
	}
	if prios["vip asked"] <= prios["asked zh"] || prios["anger from the model"] <= prios["asked zh"] {
		t.Fatalf("priorities %v", prios)
	}
}

func TestDuplicatePublishStoredOnce(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	en := envelope("demo", "v1", "", chat.NewID(), "What is your return policy?", "en")
	e.publish(en)
	e.publish(en) // same Nats-Msg-Id: JetStream drops it
	r := e.reply()
	e.consumerIdle()
	// Same message id, another Nats-Msg-Id (a retry outside the window): the store drops it.
	data := mustJSON(t, en)
	e.publishRaw(chat.InboundSubject("demo"), data, "other-"+en.Message.ID)
	r2 := e.reply() // the same reply is sent again (idempotent by id)
	if r2.Message.ID != r.Message.ID {
		t.Fatalf("second reply has another id: %q vs %q", r2.Message.ID, r.Message.ID)
	}
	e.consumerIdle()
	msgs, _ := s.Store().Messages(bg, "demo", r.Message.ConversationID, "", 0)
	if len(msgs) != 2 {
		t.Fatalf("stored %d messages: %+v", len(msgs), msgs)
	}
}

func TestRedeliveryAfterCrashStoredOnce(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.AckWait = 300 * time.Millisecond
	var crashes atomic.Int32
	cfg.beforeAck = func(chat.Envelope) error {
		if crashes.Add(1) == 1 {
			return errors.New("crash before ack")
		}
		return nil
	}
	s := e.start(cfg)
	en := envelope("demo", "v1", "", chat.NewID(), "What is your return policy?", "en")
	e.publish(en)
	first := e.reply()
	second := e.reply() // redelivered after AckWait: the same reply again
	if first.Message.ID != second.Message.ID {
		t.Fatalf("reply ids differ: %q %q", first.Message.ID, second.Message.ID)
	}
	e.consumerIdle()
	msgs, _ := s.Store().Messages(bg, "demo", first.Message.ConversationID, "", 0)
	if len(msgs) != 2 || crashes.Load() != 2 {
		t.Fatalf("stored %d, deliveries %d", len(msgs), crashes.Load())
	}
}

func TestRestartLosesNothing(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	s1, err := New(bg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	en1 := envelope("demo", "v1", "", chat.NewID(), "What is your return policy?", "en")
	e.publish(en1)
	r1 := e.reply()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	// While central is down the edge keeps publishing.
	conv := r1.Message.ConversationID
	ids := []string{chat.NewID(), chat.NewID(), chat.NewID()}
	for _, id := range ids {
		e.publish(envelope("demo", "v1", conv, id, "How long does shipping take?", "en"))
	}
	s2 := e.start(cfg)
	for range ids {
		if r := e.reply(); !strings.Contains(r.Message.Text, "3-5 days") {
			t.Fatalf("after restart: %q", r.Message.Text)
		}
	}
	e.consumerIdle()
	msgs, _ := s2.Store().Messages(bg, "demo", conv, "", 0)
	if len(msgs) != 8 {
		t.Fatalf("stored %d messages, want 8", len(msgs))
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.ID] {
			t.Fatalf("duplicate %q", m.ID)
		}
		seen[m.ID] = true
	}
	for _, id := range append(ids, en1.Message.ID) {
		if !seen[id] {
			t.Fatalf("lost %q", id)
		}
	}
}

func TestBadEnvelopesTerminated(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	bad := [][]byte{
		[]byte("not json"),
		mustJSON(t, chat.Envelope{V: 9, Tenant: "demo", Visitor: "v", Message: chat.Message{ID: "x1", Text: "hi"}}),
		mustJSON(t, chat.Envelope{V: 1, Visitor: "v", Message: chat.Message{ID: "x2", Text: "hi"}}),
		mustJSON(t, chat.Envelope{V: 1, Tenant: "demo", Message: chat.Message{ID: "x3", Text: "hi"}}),
		mustJSON(t, chat.Envelope{V: 1, Tenant: "demo", Visitor: "v", Message: chat.Message{ID: "bad id", Text: "hi"}}),
		mustJSON(t, chat.Envelope{V: 1, Tenant: "demo", Visitor: "v", Message: chat.Message{ID: "x4", Text: ""}}),
		mustJSON(t, answeredAtEdge(envelope("demo", "v", "", "x5", "hi", "en"), "x5", "an answer with the message's id", "p")),
	}
	for i, b := range bad {
		e.publishRaw(chat.InboundSubject("demo"), b, "bad"+string(rune('a'+i)))
	}
	// A good message after them still flows: bad ones do not block the consumer.
	e.publish(envelope("demo", "v1", "", chat.NewID(), "What is your return policy?", "en"))
	if r := e.reply(); !strings.Contains(r.Message.Text, "30 days") {
		t.Fatalf("good message after bad: %q", r.Message.Text)
	}
	e.consumerIdle()
	list, _ := s.Store().Conversations(bg, "demo", store.Filter{})
	if len(list) != 1 {
		t.Fatalf("conversations %d", len(list))
	}
}

func TestHistoryRequest(t *testing.T) {
	e := newEnv(t)
	e.start(e.config())
	id := chat.NewID()
	e.publish(envelope("demo", "v1", "", id, "What is your return policy?", "en"))
	r := e.reply()
	conv := r.Message.ConversationID
	ask := func(req chat.HistoryRequest) chat.HistoryReply {
		t.Helper()
		m, err := e.nc.Request(chat.SubjectHistory, mustJSON(t, req), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var rep chat.HistoryReply
		if err := jsonUnmarshal(m.Data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := ask(chat.HistoryRequest{Tenant: "demo", Visitor: "v1", ConversationID: conv}); rep.Error != "" || len(rep.Messages) != 2 {
		t.Fatalf("all: %+v", rep)
	}
	if rep := ask(chat.HistoryRequest{Tenant: "demo", Visitor: "v1", ConversationID: conv, After: id}); len(rep.Messages) != 1 || rep.Messages[0].ID != r.Message.ID {
		t.Fatalf("after: %+v", rep)
	}
	for _, bad := range []chat.HistoryRequest{
		{Tenant: "demo", Visitor: "someone-else", ConversationID: conv},
		{Tenant: "other", Visitor: "v1", ConversationID: conv},
		{Tenant: "demo", Visitor: "v1", ConversationID: "nope"},
		{Tenant: "demo", ConversationID: conv},
	} {
		if rep := ask(bad); rep.Error == "" || len(rep.Messages) != 0 {
			t.Fatalf("%+v answered %+v", bad, rep)
		}
	}
	m, err := e.nc.Request(chat.SubjectHistory, []byte("{"), 5*time.Second)
	if err != nil || !strings.Contains(string(m.Data), "malformed") {
		t.Fatalf("malformed: %v %s", err, m.Data)
	}
}

// TestNoEarlyAnswerWhilePersonHolds: a question is answered before it is
// stored only while its conversation is the bot's; once the shopper asked
// for a person (queued), later questions are not answered in advance for
// nothing, nor answered at all; a conversation back with the bot (closed,
// then a new message) is answered in advance again.
func TestNoEarlyAnswerWhilePersonHolds(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	var early sync.Map // message id -> answered early
	cfg.answeredEarly = func(en chat.Envelope) { early.Store(en.Message.ID, true) }
	s := e.start(cfg)
	ask := func(conv, text string) (string, chat.Envelope) {
		t.Helper()
		en := envelope("demo", "hold", conv, chat.NewID(), text, "en")
		e.publish(en)
		return en.Message.ID, e.reply()
	}
	id, r := ask("", "What is your return policy?")
	if _, ok := early.Load(id); !ok || r.Message.Role != chat.RoleBot {
		t.Fatalf("first question: early %v, reply %+v", ok, r.Message)
	}
	conv := r.Message.ConversationID
	if _, note := ask("", "I want a real person"); note.Message.Role != chat.RoleSystem {
		t.Fatalf("handoff note %+v", note.Message)
	}
	e.consumerIdle()
	id = chat.NewID()
	e.publish(envelope("demo", "hold", "", id, "How long does shipping take?", "en"))
	e.consumerIdle()
	if _, ok := early.Load(id); ok {
		t.Fatal("a question in a queued conversation was answered in advance")
	}
	if c, err := s.Store().Conversation(bg, "demo", conv); err != nil || c.Status != store.StatusQueued {
		t.Fatalf("conversation %+v %v", c, err)
	}
	msgs, _ := s.Store().Messages(bg, "demo", conv, "", 0)
	if last := msgs[len(msgs)-1]; last.ID != id {
		t.Fatalf("last message %+v: the queued question was answered", last)
	}
	if _, err := s.Store().CloseConversation(bg, "demo", conv, time.Now()); err != nil {
		t.Fatal(err)
	}
	id, r = ask(conv, "Are returns free?") // reopens it with the bot
	if r.Message.Role != chat.RoleBot || r.Message.ConversationID != conv {
		t.Fatalf("after close: %+v", r.Message)
	}
	id2, _ := ask("", "Do you ship internationally?")
	if _, ok := early.Load(id2); !ok {
		t.Fatalf("back with the bot (%s answered the usual way), %s not answered in advance", id, id2)
	}
}
