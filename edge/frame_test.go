package edge

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/kefu-io/kefu/chat"
)

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string // "" = accepted
		typ  chat.FrameType
	}{
		{"hello", `{"v":1,"type":"hello","site":"demo","visitor":"v1"}`, "", chat.FrameHello},
		{"hello v0", `{"type":"hello"}`, "", chat.FrameHello},
		{"resume", `{"type":"hello","conversation_id":"c1","resume_after":"m9"}`, "", chat.FrameHello},
		{"resume without conversation", `{"type":"hello","resume_after":"m9"}`, chat.CodeBadFrame, ""},
		{"message", `{"type":"message","id":"m1","text":"你好","lang":"zh","anger":0.2,"context":{"sku":"A1"}}`, "", chat.FrameMessage},
		{"unknown field ignored", `{"type":"ping","future":true}`, "", chat.FramePing},
		{"ack", `{"type":"ack","id":"m1"}`, "", chat.FrameAck},
		{"empty", ``, chat.CodeBadFrame, ""},
		{"null", `null`, chat.CodeBadFrame, ""},
		{"string", `"hello"`, chat.CodeBadFrame, ""},
		{"trailing", `{"type":"ping"} {}`, chat.CodeBadFrame, ""},
		{"bad utf8", "{\"type\":\"ping\",\"id\":\"\xc3\"}", chat.CodeBadFrame, ""},
		{"negative version", `{"v":-1,"type":"ping"}`, chat.CodeBadVersion, ""},
		{"anger out of range", `{"type":"message","id":"m1","text":"x","anger":2}`, chat.CodeBadFrame, ""},
		{"context key", `{"type":"message","id":"m1","text":"x","context":{"Bad Key":"v"}}`, chat.CodeBadFrame, ""},
		{"context value", `{"type":"message","id":"m1","text":"x","context":{"k":"` + strings.Repeat("v", 513) + `"}}`, chat.CodeBadFrame, ""},
		{"too large", `{"type":"message","id":"m1","text":"` + strings.Repeat("x", 11) + `"}`, chat.CodeTooLarge, ""},
		{"exactly the limit", `{"type":"message","id":"m1","text":"` + strings.Repeat("x", 10) + `"}`, "", chat.FrameMessage},
		{"bad reply_to", `{"type":"message","id":"m1","text":"x","reply_to":"a b"}`, chat.CodeBadFrame, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DecodeFrame([]byte(tt.in), 10)
			if tt.code == "" {
				if err != nil || f.Type != tt.typ {
					t.Fatalf("got %v %v", f.Type, err)
				}
				return
			}
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Code != tt.code || fe.Reason == "" {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			if tt.code == chat.CodeTooLarge && (fe.MaxText != 10 || fe.ID != "m1") {
				t.Fatalf("too_large without limit or id: %+v", fe)
			}
		})
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"hello","site":"demo","visitor":"v1","conversation_id":"c","resume_after":"m"}`,
		`{"type":"message","id":"m1","text":"hi","context":{"url":"https://x"},"anger":0.5}`,
		`{"type":"ack","id":"m1"}`, `{"type":"ping"}`, `{"type":"welcome"}`, `{"type":1}`, `[]`, ``, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data, 64)
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Code == "" || fe.Reason == "" {
				t.Fatalf("error without code/reason: %v", err)
			}
			if fe.ID != "" && !chat.ValidID(fe.ID) {
				t.Fatalf("error echoes an invalid id %q", fe.ID)
			}
			return
		}
		switch fr.Type {
		case chat.FrameHello, chat.FramePing:
		case chat.FrameMessage:
			if !chat.ValidID(fr.ID) || chat.ValidateText(fr.Text, 64) != nil {
				t.Fatalf("accepted a bad message %+v", fr)
			}
		case chat.FrameAck:
			if !chat.ValidID(fr.ID) {
				t.Fatalf("accepted a bad ack %+v", fr)
			}
		default:
			t.Fatalf("accepted frame type %q", fr.Type)
		}
		// What the edge accepts survives a round trip unchanged.
		b, err := json.Marshal(fr)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeFrame(b, 64)
		if err != nil || again.Type != fr.Type || again.ID != fr.ID || again.Text != fr.Text {
			t.Fatalf("round trip changed %+v into %+v (%v)", fr, again, err)
		}
	})
}

func TestIDSetForgetsOldest(t *testing.T) {
	s := newIDSet(3)
	for _, id := range []string{"a", "b", "c"} {
		if !s.add(id) {
			t.Fatalf("%s not new", id)
		}
	}
	if s.add("a") {
		t.Fatal("a added twice")
	}
	s.add("d") // evicts a
	if !s.add("a") {
		t.Fatal("a still remembered after eviction")
	}
}

func TestAcceptsBrotli(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "br": true, "gzip, br": true, "BR;q=0.5": true, "br;q=0": false, "br; q=0.0": false,
		"gzip": false, "brotli": false, "gzip;q=1, br ; q=0.1": true,
	} {
		if got := acceptsBrotli(h); got != want {
			t.Errorf("acceptsBrotli(%q) = %v", h, got)
		}
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	data := []byte(`{"v":1,"type":"message","id":"01HV7ZA1B2C3D4E5F6G7H8J9K0","text":"Where is my order 12345?","lang":"en","anger":0.1,"context":{"url":"https://shop.example/p/42"}}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeFrame(data, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHintsCannotCarryPersonalData: the widget's hints (lang, intent, FAQ
// id) skip the region's plugins, so only id-shaped values pass; free text
// and long digit runs are dropped (issue 8 item 1).
func TestHintsCannotCarryPersonalData(t *testing.T) {
	for _, tc := range []struct {
		in   string
		lang bool
		tag  bool
	}{
		{"en", true, true}, {"zh-Hant", true, true}, {"es-419", true, true}, {"return_policy", false, true},
		{"human_agent", false, true}, {"4111111111111111", false, false}, {"x4111111111111111", false, false},
		{"a@b.de", false, false}, {"en 13812345678", false, false}, {"de-12345678", false, false}, {"", false, false},
	} {
		if got := hintLang(tc.in) != ""; got != tc.lang {
			t.Errorf("hintLang(%q) kept = %v, want %v", tc.in, got, tc.lang)
		}
		if got := hintTag(tc.in) != ""; got != tc.tag {
			t.Errorf("hintTag(%q) kept = %v, want %v", tc.in, got, tc.tag)
		}
	}
}

// TestIdleSessionAllocatesLittle: a session's id memory and send queue
// cost nothing until used, and the queue gives its array back when drained.
func TestIdleSessionAllocatesLittle(t *testing.T) {
	s := newIDSet(1024)
	if s.ids != nil || s.ring != nil {
		t.Fatal("idSet allocated before its first id")
	}
	s.add("x")
	if len(s.ring) != 1 || cap(s.ring) > 8 {
		t.Fatalf("idSet grew to %d/%d for one id", len(s.ring), cap(s.ring))
	}
	ss := testSession(4)
	ss.enqueue("message", []byte("a"))
	if got := ss.dequeue(nil); len(got) != 1 || ss.queue != nil {
		t.Fatalf("drained queue keeps %v", ss.queue)
	}
	for range 4 {
		ss.enqueue("message", []byte("b"))
	}
	ss.enqueue("message", []byte("c")) // over SendQueue: slow consumer
	if !ss.closing() {
		t.Fatal("a fifth queued frame did not close the slow consumer")
	}
}

// TestIDSetCopies: an id recorded from a decoded message does not keep the
// message's text alive (the set holds its own copy).
func TestIDSetCopies(t *testing.T) {
	env := `{"message":{"id":"m-1","text":"` + strings.Repeat("x", 4096) + `"}}`
	id := env[len(`{"message":{"id":"`):][:3]
	s := newIDSet(4)
	if !s.add(id) || s.add("m-1") {
		t.Fatal("add did not record m-1 once")
	}
	if unsafe.StringData(s.ring[0]) == unsafe.StringData(id) {
		t.Fatal("the set keeps the decoded message's string")
	}
}
