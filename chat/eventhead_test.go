package chat

import (
	"encoding/json"
	"testing"
	"time"
)

// jsonHead is the head as encoding/json reads it (edge.eventHead's shape).
type jsonHead struct {
	Type           EventType `json:"type"`
	Tenant         string    `json:"tenant"`
	ConversationID string    `json:"conversation_id"`
	Message        *struct {
		ID   string `json:"id"`
		Role Role   `json:"role"`
	} `json:"message"`
}

// checkHead fails when DecodeEventHead takes data and reads it otherwise
// than encoding/json, or takes what encoding/json refuses.
func checkHead(t *testing.T, data []byte) (fast bool) {
	t.Helper()
	var want jsonHead
	werr := json.Unmarshal(data, &want)
	scratch := append([]byte(nil), data...)
	got, ok := DecodeEventHead(scratch)
	if !ok {
		return false
	}
	for i := range scratch { // the head must not point into the data it was read from
		scratch[i] = '#'
	}
	if werr != nil {
		t.Fatalf("%s: taken by DecodeEventHead, refused by encoding/json: %v", data, werr)
	}
	w := EventHead{Type: want.Type, Tenant: want.Tenant, ConversationID: want.ConversationID, Message: want.Message != nil}
	if want.Message != nil {
		w.MessageID, w.Role = want.Message.ID, want.Message.Role
	}
	if got != w {
		t.Fatalf("%s: DecodeEventHead %+v, encoding/json %+v", data, got, w)
	}
	return true
}

// TestDecodeEventHead: central's events (escaped texts, sources, queue
// facts) are read by the hand-written parser, as encoding/json reads them;
// shapes it does not take are left to encoding/json.
func TestDecodeEventHead(t *testing.T) {
	msg := replyEnvelope().Message
	msg.Text = "Hello!\n\n🎁 15% off \"today\" \\ \u2028 <b>"
	msg.Sources = []Citation{{Doc: "returns", Title: "Returns \u0026 exchanges", Version: 2}}
	at := time.UnixMilli(1_733_356_201_123).UTC()
	events := []Event{
		{V: 1, Type: EventMessage, Tenant: "demo", ConversationID: "c1", Message: &msg, At: at},
		{V: 1, Type: EventShown, Tenant: "demo", ConversationID: "c1", Message: &Message{ID: "r1", ConversationID: "c1", Text: "a\tb"}, At: at},
		{V: 1, Type: EventQueuePosition, Tenant: "demo", ConversationID: "c2", Queue: &QueueInfo{Position: 3, WaitS: 40}, At: at, Tags: []string{"x"}},
		{V: 1, Type: EventAssigned, Tenant: "demo", ConversationID: "c3", Agent: "a1", Priority: -2, At: at},
	}
	for _, ev := range events {
		b, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if !checkHead(t, b) {
			t.Fatalf("%s: not taken by the hand-written parser", b)
		}
	}
	tests := []struct {
		data string
		fast bool
	}{
		{`{"type":"a","message":null}`, true},
		{` { "type" : "a" , "x" : [ 1, -2.5e3, true, false, null, {"y": [ ]}, "\u00e9" ] } `, true},
		{`{"Type":"a"}`, false},            // another case: encoding/json takes it
		{`{"type":"a","type":"b"}`, false}, // the last wins in encoding/json
		{`{"type":"\u0061"}`, true},        // an escape in a head field (UnescapeString)
		{`{"type":"\ud83d\ude00"}`, false}, // a surrogate pair: encoding/json's
		{`{"message":{"ID":"m"}}`, false},
		{`{"message":"m"}`, false},
		{`{"type":"a",}`, false},
		{`{"type":"a"} x`, false},
		{`{"x":"\q"}`, false},
		{`{"x":01}`, false},
		{`{"x":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}`, false},
		{`{"x":"a`, false},
		{`{"x":tru}`, false},
	}
	for _, tt := range tests {
		if got := checkHead(t, []byte(tt.data)); got != tt.fast {
			t.Errorf("%s: taken %v, want %v", tt.data, got, tt.fast)
		}
	}
}

// FuzzDecodeEventHead holds DecodeEventHead to encoding/json: whatever it
// takes, encoding/json takes and reads alike.
func FuzzDecodeEventHead(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"conversation.message","tenant":"demo","conversation_id":"c","message":{"id":"m","role":"bot","text":"a\nb","sources":[{"t":1}]},"at":"2024-12-04T23:50:01Z"}`))
	f.Add([]byte(`{"type":"a","message":null,"x":[true,false,null,-0.5e+3]}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkHead(t, data) })
}

// BenchmarkDecodeEventHead reads the head of a bot reply's event.
func BenchmarkDecodeEventHead(b *testing.B) {
	msg := replyEnvelope().Message
	msg.Sources = []Citation{{Doc: "returns", Title: "Returns and exchanges", Version: 2, Passage: "Items can be returned within 30 days."}}
	data, err := json.Marshal(&Event{V: 1, Type: EventMessage, Tenant: "demo", ConversationID: "c-42", Message: &msg, At: msg.At})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := DecodeEventHead(data); !ok {
			b.Fatal("not taken")
		}
	}
}
