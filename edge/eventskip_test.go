package edge

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// skipEvent passes on exactly the events onEvent would send to a socket
// (or act on): a shopper's message another connection has not seen, a
// shopper event of a conversation with sockets here, any erasure.
func TestSkipEvent(t *testing.T) {
	n := &Node{cfg: Config{SendQueue: 16}, m: newMetrics(nil)}
	n.hub.init()
	sender := &session{n: n, out: &recorder{}, wake: make(chan struct{}, 1), done: make(chan struct{}), seen: newIDSet(16)}
	other := &session{n: n, out: &recorder{}, wake: make(chan struct{}, 1), done: make(chan struct{}), seen: newIDSet(16)}
	sender.seen.add("m-sent")
	other.seen.add("m-sent")
	sender.seen.add("m-one")
	n.hub.add("t", "c-two", sender)
	n.hub.add("t", "c-two", other)
	alone := &session{n: n, out: &recorder{}, wake: make(chan struct{}, 1), done: make(chan struct{}), seen: newIDSet(16)}
	alone.seen.add("m-alone")
	n.hub.add("t", "c-one", alone)

	msg := func(conv, id string, role chat.Role) chat.Event {
		return chat.Event{Type: chat.EventMessage, Tenant: "t", ConversationID: conv,
			Message: &chat.Message{ID: id, ConversationID: conv, Role: role, Text: "hi"}}
	}
	tests := []struct {
		name string
		ev   chat.Event
		skip bool
	}{
		{"bot reply", msg("c-two", "m-new", chat.RoleBot), true},
		{"shopper message another connection lacks", msg("c-two", "m-one", chat.RoleShopper), false},
		{"shopper message every connection has", msg("c-two", "m-sent", chat.RoleShopper), true},
		{"shopper message of its only connection", msg("c-one", "m-alone", chat.RoleShopper), true},
		{"shopper message of a conversation not here", msg("c-none", "m-x", chat.RoleShopper), true},
		{"message without a conversation", msg("", "m-x", chat.RoleShopper), true},
		{"handoff with sockets", chat.Event{Type: chat.EventHandoff, Tenant: "t", ConversationID: "c-one"}, false},
		{"handoff without sockets", chat.Event{Type: chat.EventHandoff, Tenant: "t", ConversationID: "c-none"}, true},
		{"agents' event", chat.Event{Type: chat.EventNote, Tenant: "t", ConversationID: "c-one"}, true},
		{"erasure without sockets", chat.Event{Type: chat.EventErasure, Tenant: "t", Visitor: "v"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ev.V, tt.ev.At = chat.ProtocolVersion, time.Now()
			data, err := json.Marshal(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if got := n.skipEvent(data); got != tt.skip {
				t.Fatalf("skipEvent = %v, want %v", got, tt.skip)
			}
		})
	}
	if n.skipEvent([]byte("{")) {
		t.Fatal("an undecodable event is skipped before onEvent logs it")
	}
}
