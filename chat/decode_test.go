package chat

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// replyEnvelope is an envelope as central publishes a bot's reply.
func replyEnvelope() Envelope {
	return Envelope{V: ProtocolVersion, Tenant: "demo", Region: "eu", Channel: ChannelWeb, Visitor: "v-1",
		Direction: Outbound, Labels: map[string]string{"pii": "PHONE,EMAIL", "vip": "1"},
		Message: Message{ID: "01J8ZK6Q9V", ConversationID: "c-42", Role: RoleBot, Text: "Grüße — your order ships today",
			Source: SourceCentral, ReplyTo: "m-1", Lang: "de", Intent: "shipping", IntentConfidence: 0.93, Anger: 0.1,
			At: time.Date(2026, 12, 4, 23, 50, 1, 123456789, time.UTC), Channel: ChannelWeb}}
}

// messageFrame is a shopper's message frame as the widget sends it.
func messageFrame() Frame {
	return Frame{V: 1, Type: FrameMessage, ID: "m-1", Text: "where is my order?", ConversationID: "c-42",
		Lang: "en", Intent: "shipping", Anger: 0.25, At: 1733356201000, Context: map[string]string{"sku": "A-1"}}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var decodeSeeds = []string{
	``, `{}`, `null`, ` { } `, `{"v":1}`, `{"v":1.0}`, `{"v":-0}`, `{"v":01}`, `{"v":1e2}`, `{"V":1}`,
	`{"v":"1"}`, `{"tenant":null}`, `{"tenant":"a\"b"}`, `{"tenant":"\u00e9"}`, `{"tenant":"a","tenant":"b"}`,
	`{"labels":{}}`, `{"labels":{"a":"1","a":"2"}}`, `{"labels":null}`, `{"message":{"at":"bad"}}`,
	`{"message":{"at":"2026-12-04T23:50:01Z"}}`, `{"message":{"anger":1e400}}`, `{"message":{"anger":-1.5E-3}}`,
	`{"tenant":"x"} x`, `{"tenant":"x"}}`, `{"tenant":"x",}`, "{\"tenant\":\"\xff\"}", `{"text":"a	b"}`,
	`{"message":{"pii":[]}}`, `{"context":{"k":"v"},"at":123,"type":"message"}`, `{"position":1}`, `[]`,
	`{"message":{"sources":[]}}`, `{"message":{"sources":null}}`, `{"message":{"sources":[{"doc":"a","title":"b"}]}}`,
	`{"message":{"sources":[{"doc":"a","title":"b","version":3,"passage":"p"},{"doc":"c","title":""}]}}`,
	`{"message":{"sources":[{"doc":"a","doc":"b"}]}}`, `{"message":{"sources":[{"Doc":"a"}]}}`, `{"message":{"sources":[{}]}}`,
	`{"message":{"sources":[{"version":1.5}]}}`, `{"message":{"sources":[{"doc":"a"},]}}`, `{"sources":[{"doc":"a","title":"t"}]}`,
	`{"message":{"sources":[{"doc":"a"}],"sources":[]}}`, `{"sources":{}}`, `{"message":{"sources":[{"x":1}]}}`,
	`{"v":999999999999999999999}`, `{"at":-12}`, `{"rating":5,"score":9,"idle_s":30,"max_text":4096}`,
}

// FuzzDecodeEnvelope holds DecodeEnvelope to json.Unmarshal: the same
// envelope and an error in the same cases, for every input.
func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(mustJSON(f, replyEnvelope()))
	e := replyEnvelope()
	e.Labels = nil
	f.Add(mustJSON(f, e))
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got Envelope
		werr := json.Unmarshal(data, &want)
		gerr := DecodeEnvelope(data, &got)
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: encoding/json %+v (err %v), DecodeEnvelope %+v (err %v)", data, want, werr, got, gerr)
		}
	})
}

// FuzzDecodeFrame holds DecodeFrame to json.Unmarshal as FuzzDecodeEnvelope does.
func FuzzDecodeFrame(f *testing.F) {
	f.Add(mustJSON(f, messageFrame()))
	f.Add([]byte(`{"v":1,"type":"ack","id":"m-1"}`))
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want, got Frame
		werr := json.Unmarshal(data, &want)
		gerr := DecodeFrame(data, &got)
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: encoding/json %+v (err %v), DecodeFrame %+v (err %v)", data, want, werr, got, gerr)
		}
	})
}

// TestDecodeFastPath checks that the shapes the edge decodes per message
// take the hand-written parser, not the fallback.
func TestDecodeFastPath(t *testing.T) {
	e := replyEnvelope()
	tests := []struct {
		name string
		data []byte
		fast func(d *decoder) bool
	}{
		{"reply envelope", mustJSON(t, e), func(d *decoder) bool { var e Envelope; return d.envelope(&e) && d.end() }},
		{"message frame", mustJSON(t, messageFrame()), func(d *decoder) bool { var f Frame; return d.frame(&f) && d.end() }},
		{"ack frame", []byte(`{"v":1,"type":"ack","id":"m-1"}`), func(d *decoder) bool { var f Frame; return d.frame(&f) && d.end() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decoder{s: string(tt.data)}
			if !tt.fast(&d) {
				t.Fatalf("%s fell back to encoding/json at byte %d", tt.data, d.i)
			}
		})
	}
}

func BenchmarkDecodeEnvelope(b *testing.B) {
	data := mustJSON(b, replyEnvelope())
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e Envelope
			if err := json.Unmarshal(data, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e Envelope
			if err := DecodeEnvelope(data, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
