package chat

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewIDSortableAndValid(t *testing.T) {
	prev := ""
	for i := 0; i < 1000; i++ {
		id := NewID()
		if len(id) != IDLen || !ValidID(id) {
			t.Fatalf("bad id %q", id)
		}
		if id <= prev {
			t.Fatalf("ids not increasing: %q then %q", prev, id)
		}
		prev = id
	}
	a := newIDAt(time.UnixMilli(1_000_000))
	b := newIDAt(time.UnixMilli(2_000_000_000_000))
	if a >= b {
		t.Fatalf("later time sorts first: %q %q", a, b)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want error
	}{
		{"ok", Message{ID: "abc", Text: "hi"}, nil},
		{"no id", Message{Text: "hi"}, ErrMissingID},
		{"bad id", Message{ID: "a b", Text: "hi"}, ErrBadID},
		{"long id", Message{ID: strings.Repeat("a", 65), Text: "hi"}, ErrBadID},
		{"empty", Message{ID: "a"}, ErrEmptyText},
		{"big", Message{ID: "a", Text: strings.Repeat("x", MaxTextBytes+1)}, ErrTooLarge},
		{"exactly limit", Message{ID: "a", Text: strings.Repeat("x", MaxTextBytes)}, nil},
		{"utf8", Message{ID: "a", Text: "\xff\xfe"}, ErrInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate(0)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v want %v", err, tt.want)
			}
		})
	}
}

func TestEnvelopeCheck(t *testing.T) {
	e := Envelope{V: 1, Tenant: "demo", Message: Message{ID: "x", Text: "hi"}}
	if err := e.Check(0); err != nil {
		t.Fatal(err)
	}
	e.V = 2
	if err := e.Check(0); !errors.Is(err, ErrVersion) {
		t.Fatalf("got %v", err)
	}
	e.V, e.Tenant = 1, ""
	if err := e.Check(0); !errors.Is(err, ErrNoTenant) {
		t.Fatalf("got %v", err)
	}
}

func TestSubjectToken(t *testing.T) {
	tests := map[string]string{"demo": "demo", "": "_", "a.b*>": "a_b__", "shop-1_x": "shop-1_x"}
	for in, want := range tests {
		if got := SubjectToken(in); got != want {
			t.Errorf("SubjectToken(%q) = %q want %q", in, got, want)
		}
	}
	if got := OutboundSubject("eu", "de.mo"); got != "kefu.outbound.eu.de_mo" {
		t.Errorf("OutboundSubject = %q", got)
	}
}

func TestAuthVerifyReplyOK(t *testing.T) {
	tests := []struct {
		name string
		r    AuthVerifyReply
		want bool
	}{
		{"agent", AuthVerifyReply{V: 1, Tenant: "t", Agent: "a1"}, true},
		{"email only", AuthVerifyReply{V: 1, Tenant: "t", Email: "a@x"}, true},
		{"error", AuthVerifyReply{V: 1, Tenant: "t", Agent: "a1", Error: "unauthorized"}, false},
		{"no tenant", AuthVerifyReply{V: 1, Agent: "a1"}, false},
		{"nobody", AuthVerifyReply{V: 1, Tenant: "t"}, false},
	}
	for _, tt := range tests {
		if got := tt.r.OK(); got != tt.want {
			t.Errorf("%s: OK() = %v, want %v", tt.name, got, tt.want)
		}
	}
	// Both sides omit empty fields: an error reply is just {v, error}.
	b, err := json.Marshal(AuthVerifyReply{V: 1, Error: "unauthorized"})
	if err != nil || string(b) != `{"v":1,"error":"unauthorized"}` {
		t.Fatalf("error reply = %s, %v", b, err)
	}
}

// TestEventSubject: the events an edge acts on go to EventsSubject (one
// token after the prefix, what edges subscribe to), every other one to
// ConsoleEventsSubject, which the edges' subscription does not match.
func TestEventSubject(t *testing.T) {
	msg := func(r Role) *Message { return &Message{ID: "m", Role: r} }
	tests := []struct {
		name string
		ev   Event
		edge bool
	}{
		{"shopper message", Event{Type: EventMessage, Message: msg(RoleShopper)}, true},
		{"bot message", Event{Type: EventMessage, Message: msg(RoleBot)}, false},
		{"agent message", Event{Type: EventMessage, Message: msg(RoleAgent)}, false},
		{"system message", Event{Type: EventMessage, Message: msg(RoleSystem)}, false},
		{"message without a message", Event{Type: EventMessage}, false},
		{"opened", Event{Type: EventOpened}, true},
		{"handoff", Event{Type: EventHandoff}, true},
		{"assigned", Event{Type: EventAssigned}, true},
		{"closed", Event{Type: EventClosed}, true},
		{"erasure", Event{Type: EventErasure}, true},
		{"queue position", Event{Type: EventQueuePosition}, true},
		{"typing", Event{Type: EventTyping}, true},
		{"csat request", Event{Type: EventCSATRequest}, true},
		{"csat submitted", Event{Type: EventCSAT}, false},
		{"note", Event{Type: EventNote}, false},
		{"tags", Event{Type: EventTags}, false},
		{"transferred", Event{Type: EventTransferred}, false},
		{"presence", Event{Type: EventPresence}, false},
		{"sla", Event{Type: EventSLABreach}, false},
		{"shown", Event{Type: EventShown, Message: msg(RoleBot)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.ev.Tenant = "demo shop"
			if got := EdgeEvent(&tt.ev); got != tt.edge {
				t.Fatalf("EdgeEvent = %v, want %v", got, tt.edge)
			}
			subj := EventSubject(&tt.ev)
			edgeSees := strings.HasPrefix(subj, SubjectEventsPrefix) && !strings.Contains(subj[len(SubjectEventsPrefix):], ".")
			if edgeSees != tt.edge || !strings.HasPrefix(subj, EventsSubject(tt.ev.Tenant)) {
				t.Fatalf("EventSubject = %q: an edge's %s* matches it: %v, want %v", subj, SubjectEventsPrefix, edgeSees, tt.edge)
			}
		})
	}
}
