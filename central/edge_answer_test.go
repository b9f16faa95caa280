package central

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// answeredAtEdge labels en the way the edge does when a plugin answered it.
func answeredAtEdge(en chat.Envelope, answerID, text, plugin string) chat.Envelope {
	en.SetLabel(chat.LabelEdgeAnswerID, answerID)
	en.SetLabel(chat.LabelEdgeAnswerText, text)
	en.SetLabel(chat.LabelEdgeAnswerPlugin, plugin)
	return en
}

// drainEvents returns the events published so far, once the consumer is idle.
func (e *env) drainEvents() []chat.Event {
	e.t.Helper()
	e.consumerIdle()
	var evs []chat.Event
	for {
		select {
		case ev := <-e.evs:
			evs = append(evs, ev)
		case <-time.After(200 * time.Millisecond):
			return evs
		}
	}
}

// A message a plugin answered at the edge is stored with the edge's answer,
// once, however often it is delivered; central neither routes it nor
// answers it, and the console gets the usual events.
func TestEdgeAnswerRecorded(t *testing.T) {
	tests := []struct {
		name   string
		before string // a message the conversation had first ("" = none)
		text   string
		status store.Status
	}{
		{"new conversation", "", "where is my order 12345", store.StatusBot},
		{"angry, not routed", "", "WHERE IS MY ORDER 12345?! this is a scam, worst shop ever!!!", store.StatusBot},
		{"queued for a human", "转人工", "我的订单12345到哪了", store.StatusQueued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cfg := e.config()
			cfg.AckWait = time.Second
			var deliveries atomic.Int32
			cfg.beforeAck = func(en chat.Envelope) error {
				if en.Label(chat.LabelEdgeAnswerID) != "" && deliveries.Add(1) == 1 {
					return errors.New("crash before ack") // redelivered after AckWait
				}
				return nil
			}
			s := e.start(cfg)
			conv := ""
			if tt.before != "" {
				e.publish(envelope("demo", "v1", "", chat.NewID(), tt.before, ""))
				conv = e.reply().Message.ConversationID
				e.drainEvents()
			}
			en := answeredAtEdge(envelope("demo", "v1", conv, chat.NewID(), tt.text, ""), "eANSWER1", "Order 12345 shipped yesterday.", "order-status")
			e.publish(en)
			e.publish(en) // the same Nats-Msg-Id: JetStream drops it
			e.consumerIdle()
			e.publishRaw(chat.InboundSubject("demo"), mustJSON(t, en), "retry-"+en.Message.ID) // past the window: the store drops it
			// The consumer's pending count may lag the publish: wait for the delivery itself.
			poll.Until(t, 15*time.Second, func() error {
				if n := deliveries.Load(); n < 3 {
					return fmt.Errorf("%d deliveries so far", n)
				}
				return nil
			})
			evs := e.drainEvents()
			// Crash, redelivery, retry; on a loaded machine an ack may also
			// come after AckWait and give one more delivery: each is stored
			// once all the same (the events below are checked for doubles).
			if n := deliveries.Load(); n > 3 {
				t.Logf("%d deliveries (an ack came after AckWait)", n)
			}
			select {
			case r := <-e.out:
				t.Fatalf("central published %+v for a message the edge answered", r.Message)
			default:
			}

			var got []chat.Message
			for _, ev := range evs {
				switch {
				case ev.Type == chat.EventMessage:
					got = append(got, *ev.Message)
				case ev.Type == chat.EventHandoff:
					t.Fatalf("handoff event %+v", ev)
				}
			}
			if len(got) != 2 || got[0].ID != en.Message.ID || got[1].ID != "eANSWER1" {
				t.Fatalf("message events %+v", got)
			}
			conv = got[0].ConversationID
			msgs, err := s.Store().Messages(bg, "demo", conv, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			want := chat.Message{ID: "eANSWER1", ConversationID: conv, Role: chat.RoleBot, Source: chat.SourceEdge,
				Text: "Order 12345 shipped yesterday.", Author: "order-status", ReplyTo: en.Message.ID}
			n := len(msgs)
			if n < 2 || msgs[n-2].ID != en.Message.ID || msgs[n-2].Role != chat.RoleShopper {
				t.Fatalf("stored %+v", msgs)
			}
			a := msgs[n-1]
			if a.ID != want.ID || a.ConversationID != want.ConversationID || a.Role != want.Role || a.Source != want.Source ||
				a.Text != want.Text || a.Author != want.Author || a.ReplyTo != want.ReplyTo || a.Lang == "" {
				t.Fatalf("stored answer %+v, want %+v", a, want)
			}
			if c, _ := s.Store().Conversation(bg, "demo", conv); c.Status != tt.status || c.BotFailures != 0 {
				t.Fatalf("conversation %+v", c)
			}

			// A resume replays both.
			m, err := e.nc.Request(chat.SubjectHistory, mustJSON(t, chat.HistoryRequest{Tenant: "demo", Visitor: "v1", ConversationID: conv}), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var rep chat.HistoryReply
			if err := jsonUnmarshal(m.Data, &rep); err != nil || len(rep.Messages) != n || rep.Messages[n-1].ID != "eANSWER1" {
				t.Fatalf("history %+v %v", rep, err)
			}
		})
	}
}

func TestEdgeAnswerLabelsChecked(t *testing.T) {
	base := envelope("demo", "v1", "", "m1", "where is my order", "en")
	tests := []struct {
		name string
		en   chat.Envelope
		ok   bool
	}{
		{"no answer", base, true},
		{"answer", answeredAtEdge(base, "e1", "shipped", "order-status"), true},
		{"no plugin name", answeredAtEdge(base, "e1", "shipped", ""), true},
		{"malformed id", answeredAtEdge(base, "e 1", "shipped", "p"), false},
		{"empty id", answeredAtEdge(base, "", "shipped", "p"), false},
		{"the message's own id", answeredAtEdge(base, "m1", "shipped", "p"), false},
		{"empty text", answeredAtEdge(base, "e1", "", "p"), false},
		{"invalid UTF-8", answeredAtEdge(base, "e1", "\xff", "p"), false},
		{"text too long", answeredAtEdge(base, "e1", string(make([]byte, chat.MaxTextBytes+1)), "p"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, answered, err := edgeAnswer(tt.en)
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, errEdgeAnswer) {
				t.Fatalf("err %v does not wrap errEdgeAnswer", err)
			}
			if answered && (m.Author == "" || m.ReplyTo != "m1" || m.Source != chat.SourceEdge || m.Role != chat.RoleBot) {
				t.Fatalf("answer %+v", m)
			}
		})
	}
	// decodeEnvelope refuses them with a reason (the envelope is terminated).
	if _, why, err := decodeEnvelope(mustJSON(t, tests[3].en)); err == nil || why != "invalid edge answer" {
		t.Fatalf("decode: %v %q", err, why)
	}
}
