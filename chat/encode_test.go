package chat

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// FuzzEncodeEnvelope holds EncodeEnvelope to json.Marshal, byte for byte.
func FuzzEncodeEnvelope(f *testing.F) {
	f.Add("demo", "Grüße — <b>&", "c-42", "pii", "PHONE", 0.93, 0.1, int64(1733356201123456789), 1, false)
	f.Add("", "a\u2028b\"\\\x01\xff", "", "", "", 1e-7, 1e21, int64(-1<<62), 0, true)
	f.Add("x", "plain", "c", "k", "", -0.5, 0.0, int64(0), -3, true)
	f.Fuzz(func(t *testing.T, tenant, text, conv, lk, lv string, conf, anger float64, at int64, v int, extra bool) {
		e := replyEnvelope()
		e.V, e.Tenant, e.Message.Text, e.Message.ConversationID = v, tenant, text, conv
		e.Message.IntentConfidence, e.Message.Anger = conf, anger
		e.Message.At = time.Unix(0, at).UTC()
		e.Labels = map[string]string{lk: lv, "vip": text}
		e.Message.Sources = []Citation{{Doc: conv, Title: text, Version: v, Passage: lk}, {Doc: lv}}
		if extra {
			e.Labels = nil
			e.Message.QuickReplies = []string{text}
			e.Message.At = time.Unix(0, at).In(time.FixedZone("x", 3600))
		}
		want, werr := json.Marshal(&e)
		got, gerr := EncodeEnvelope(&e)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(want, got) {
			t.Fatalf("encoding/json %s (err %v), EncodeEnvelope %s (err %v)", want, werr, got, gerr)
		}
	})
}

// FuzzEncodeEvent holds EncodeEvent to json.Marshal, byte for byte.
func FuzzEncodeEvent(f *testing.F) {
	f.Add("conversation.message", "demo", "Grüße — <b>&", "c-42", 3, int64(1733356201123456789), true, false)
	f.Add("", "", "a\u2028b\"\\\x01\xff", "", 0, int64(-1<<62), false, true)
	f.Fuzz(func(t *testing.T, typ, tenant, text, conv string, prio int, at int64, withMsg, extra bool) {
		ev := Event{V: 1, Type: EventType(typ), Tenant: tenant, ConversationID: conv, Visitor: text, Priority: prio,
			At: time.Unix(0, at).UTC(), Team: conv}
		if withMsg {
			m := replyEnvelope().Message
			m.Text, m.At = text, time.Unix(0, at).UTC()
			m.Sources = []Citation{{Doc: conv, Title: text, Version: prio}}
			ev.Message = &m
		}
		if extra {
			ev.Tags = []string{text}
			ev.At = time.Unix(0, at).In(time.FixedZone("x", 3600))
		}
		want, werr := json.Marshal(&ev)
		got, gerr := EncodeEvent(&ev)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(want, got) {
			t.Fatalf("encoding/json %s (err %v), EncodeEvent %s (err %v)", want, werr, got, gerr)
		}
	})
}

// FuzzEncodeFrame holds EncodeFrame to json.Marshal, byte for byte.
func FuzzEncodeFrame(f *testing.F) {
	f.Add("accepted", "m-1", "where is my order?", "sku", 0.25, int64(1733356201000), 2, true)
	f.Add("", "", "<&>\u2029\xfe", "", 1e-9, int64(0), 0, false)
	f.Fuzz(func(t *testing.T, typ, id, text, ck string, anger float64, at int64, n int, ptr bool) {
		fr := messageFrame()
		fr.Type, fr.ID, fr.Text, fr.Anger, fr.At, fr.Rating, fr.MaxText = FrameType(typ), id, text, anger, at, n, n
		fr.Context = map[string]string{ck: text}
		fr.Sources = []Citation{{Doc: id, Title: text, Version: n, Passage: ck}}
		if ptr {
			fr.Position, fr.WaitS = &n, &n
		} else {
			fr.Original = &Text{Text: text}
		}
		want, werr := json.Marshal(&fr)
		got, gerr := EncodeFrame(&fr)
		if (werr == nil) != (gerr == nil) || !bytes.Equal(want, got) {
			t.Fatalf("encoding/json %s (err %v), EncodeFrame %s (err %v)", want, werr, got, gerr)
		}
	})
}

// TestEncodeFastPath checks that the shapes the edge encodes per message
// are written by hand, not by the fallback.
func TestEncodeFastPath(t *testing.T) {
	e := replyEnvelope()
	e.Message.Text = "where is my order?"
	if _, ok := appendEnvelope(nil, &e); !ok {
		t.Error("envelope fell back to encoding/json")
	}
	e.Message.Sources = []Citation{{Doc: "returns", Title: "Returns", Version: 2, Passage: "30 days"}}
	if _, ok := appendEnvelope(nil, &e); !ok {
		t.Error("bot answer with sources fell back to encoding/json")
	}
	ev := Event{V: 1, Type: EventMessage, Tenant: "demo", Message: &e.Message}
	if _, ok := appendEvent(nil, &ev); !ok {
		t.Error("event of a bot answer with sources fell back to encoding/json")
	}
	rf := Frame{V: 1, Type: FrameMessage, ID: "r-1", Text: "30 days", ReplyTo: "m-1", Sources: e.Message.Sources}
	if _, ok := appendFrame(nil, &rf); !ok {
		t.Error("reply frame with sources fell back to encoding/json")
	}
	n := 3
	f := Frame{V: 1, Type: FrameAccepted, ID: "m-1", Position: &n}
	if _, ok := appendFrame(nil, &f); !ok {
		t.Error("accepted frame fell back to encoding/json")
	}
}

func BenchmarkEncodeEnvelope(b *testing.B) {
	e := replyEnvelope()
	e.Message.Text = "where is my order?"
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeEnvelope(&e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestEncodeEveryField sets each field of a Frame, of an Envelope (and
// its Message) and of an Event alone and holds the hand-written encoders to json.Marshal:
// a field added to those types that the encoders neither write nor send
// to the fallback fails here instead of being dropped on the wire.
func TestEncodeEveryField(t *testing.T) {
	each(t, reflect.ValueOf(&Frame{}).Elem(), "Frame", func(f *Frame) ([]byte, error) { return EncodeFrame(f) })
	each(t, reflect.ValueOf(&Envelope{}).Elem(), "Envelope", func(e *Envelope) ([]byte, error) { return EncodeEnvelope(e) })
	each(t, reflect.ValueOf(&Event{}).Elem(), "Event", func(ev *Event) ([]byte, error) { return EncodeEvent(ev) })
	msg := Message{ID: "m1", Role: RoleShopper, Text: "hi", At: time.Unix(1733356201, 5).UTC()}
	each(t, reflect.ValueOf(&Event{Message: &msg}).Elem(), "Event with a message", func(ev *Event) ([]byte, error) { return EncodeEvent(ev) })
}

// each sets the fields of v (a field of root, or root itself) one at a
// time to a value that is not zero and compares encode(root) with
// json.Marshal; nested structs other than time.Time are walked.
func each[T any](t *testing.T, v reflect.Value, path string, encode func(*T) ([]byte, error)) {
	t.Helper()
	root := v
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		for i := range v.NumField() {
			fv, name := v.Field(i), path+"."+v.Type().Field(i).Name
			if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeFor[time.Time]() {
				walk(fv, name)
				continue
			}
			old := reflect.New(fv.Type()).Elem()
			old.Set(fv)
			setNonZero(t, fv, name)
			r := root.Addr().Interface().(*T)
			want, werr := json.Marshal(r)
			got, gerr := encode(r)
			if (werr == nil) != (gerr == nil) || !bytes.Equal(want, got) {
				t.Errorf("%s set: encoding/json %s (err %v), hand-written %s (err %v)", name, want, werr, got, gerr)
			}
			fv.Set(old)
		}
	}
	walk(v, path)
}

func setNonZero(t *testing.T, v reflect.Value, name string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Float64, reflect.Float32:
		v.SetFloat(0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("k").Convert(v.Type().Key()), reflect.New(v.Type().Elem()).Elem())
		v.Set(m)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Struct: // time.Time
		v.Set(reflect.ValueOf(time.Unix(1733356201, 5).UTC()))
	default:
		t.Fatalf("%s: no non-zero value for kind %s", name, v.Kind())
	}
}

// TestQuote holds the hand-written string encoder to encoding/json, byte
// for byte, escapes included (a reply's line break no longer falls back).
func TestQuote(t *testing.T) {
	for _, s := range []string{"", "abc", "退货政策是什么?", "Grüße", "a\"b", `a\b`, "<", ">", "&", "\x00", "\x1f", "\x7f",
		"a\u2028b", "\u2029", "\xff", "ok\xe9", "\ufffd", "\xe2\x80", "😀 emoji", "tab\there", "answer\n\n🎁 Winter sale",
		"\b\f\r/", "\xed\xa0\x80", "<script>&amp;</script>"} {
		want, _ := json.Marshal(s)
		if got := appendQuoted(nil, s); !bytes.Equal(got, want) {
			t.Errorf("appendQuoted(%q) = %s, encoding/json writes %s", s, got, want)
		}
	}
}

// TestUnescapeString holds UnescapeString to encoding/json on what it
// accepts, and checks that it refuses what it leaves to encoding/json.
func TestUnescapeString(t *testing.T) {
	tests := []struct {
		in string // between the quotes
		ok bool
	}{
		{`plain`, true}, {`a\nb`, true}, {`\"\\\/\b\f\n\r\t`, true}, {`\u00e9\u003c\u2028`, true}, {`\u00E9`, true},
		{"Grüße\\n\\n🎁", true}, {`end\\`, true}, {``, true},
		{`\ud83d\ude00`, false}, {`\x`, false}, {`\u12`, false}, {`\u12g4`, false}, {`\u+0e9`, false}, {`\u0_e9`, false}, {`\u0x12`, false}, {`trail\`, false},
		{"ctl\x01", false}, {"bad\xff", false}, {"bad\xff\\n", false},
	}
	for _, tt := range tests {
		got, ok := UnescapeString(tt.in)
		if ok != tt.ok {
			t.Errorf("UnescapeString(%q): ok %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var want string
		if err := json.Unmarshal([]byte(`"`+tt.in+`"`), &want); err != nil || got != want {
			t.Errorf("UnescapeString(%q) = %q, encoding/json %q (%v)", tt.in, got, want, err)
		}
	}
}

// BenchmarkEncodeAnswer encodes a knowledge bot's answer with its sources,
// bilingual as the demo pack's: the envelope central publishes and the
// event of it.
func BenchmarkEncodeAnswer(b *testing.B) {
	e := replyEnvelope()
	e.Message.Text = "退货政策：收到商品后30天内可以免费退货。Returns are free within 30 days of delivery; start one from your orders page."
	for i := range 3 {
		e.Message.Sources = append(e.Message.Sources, Citation{Doc: "returns-" + string(rune('a'+i)), Title: "退货与换货 Returns and exchanges",
			Version: 2, Passage: "收到商品后30天内可以免费退货，商品需保持原包装。Items can be returned within 30 days in their original packaging."})
	}
	ev := Event{V: 1, Type: EventMessage, Tenant: "demo", ConversationID: "c-42", Message: &e.Message, At: e.Message.At}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeEnvelope(&e); err != nil {
			b.Fatal(err)
		}
		if _, err := EncodeEvent(&ev); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodeTime holds the in-place time field to time.Time.MarshalJSON,
// also for the times encoding/json refuses (year or zone out of range).
func TestEncodeTime(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 12, 5, 16, 59, 1, 123456789, time.UTC),
		time.Date(2026, 12, 5, 16, 59, 1, 0, time.FixedZone("x", -90*60)),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("y", 23*3600+59*60)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("z", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("w", -100*3600)),
	} {
		want, werr := at.MarshalJSON()
		w := enc{ok: true}
		w.time("at", at)
		if werr != nil {
			if w.ok {
				t.Errorf("%v: MarshalJSON refuses it (%v), the encoder took %s", at, werr, w.b)
			}
			continue
		}
		if got := w.b[len(`"at":`):]; !w.ok || !bytes.Equal(got, want) {
			t.Errorf("%v: got %s (ok %v), want %s", at, got, w.ok, want)
		}
	}
}
