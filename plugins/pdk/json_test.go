package pdk

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

var envelopeSeeds = []string{
	`{"v":1,"tenant":"t","region":"eu","channel":"web","visitor":"v","direction":"inbound","message":{"id":"a","conversation_id":"c","role":"shopper","text":"hi \"there\"\n\u00e9\ud83d\ude00 中文","lang":"en","anger":0.25,"intent":"order_status","intent_confidence":0.875,"at":"2025-01-02T03:04:05.123Z"},"labels":{"pii":"PHONE","x":""}}`,
	`{"message":{"text":"a\\b\/c\t","future":{"deep":[1,2,{"x":null}],"n":-1.5e3}},"extra":[true,false,null]}`,
	`{"labels":null,"message":null,"v":null}`,
	` { "v" : 2 , "message" : { "text" : "" } } `,
	`{"message":{"text":"\ud800 lone"}}`,
	`{}`,
}

// FuzzDecodeEnvelope checks the hand-written decoder against encoding/json:
// whatever encoding/json accepts must decode to the same Envelope.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want, got Envelope
		wantErr := json.Unmarshal(b, &want)
		gotErr := decodeEnvelope(b, &got)
		if wantErr != nil {
			return // we may accept a superset (e.g. a number where a string is expected fails both ways anyway)
		}
		if bytes.IndexFunc(b, unicode.IsUpper) >= 0 {
			return // encoding/json matches keys case-insensitively; we (and the host) use exact lower-case keys
		}
		if gotErr != nil {
			t.Fatalf("encoding/json accepts %q, decodeEnvelope: %v", b, gotErr)
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%q:\n json %+v\n ours %+v", b, want, got)
		}
	})
}

func TestDecodeEnvelopeSeeds(t *testing.T) {
	for _, s := range envelopeSeeds {
		var want, got Envelope
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("seed %q: %v", s, err)
		}
		if err := decodeEnvelope([]byte(s), &got); err != nil || !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: %v\n json %+v\n ours %+v", s, err, want, got)
		}
	}
	for _, bad := range []string{``, `{`, `{"v":}`, `{"message":{"text":"x}}`, `{"a":1}x`, `{"message":{"text":"\x01"}}`, `{"v":1,}`} {
		var e Envelope
		if err := decodeEnvelope([]byte(bad), &e); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDecodeEnvelopeOwnsStrings: the decoded strings are views into a
// private copy, so reusing the input buffer (the wasm exports reuse it for
// every call) does not change an envelope a plugin kept.
func TestDecodeEnvelopeOwnsStrings(t *testing.T) {
	in := []byte(`{"v":1,"tenant":"shop","labels":{"k":"v"},"message":{"id":"m1","text":"hello","anger":0.5}}`)
	var env Envelope
	if err := decodeEnvelope(in, &env); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'x'
	}
	if env.Tenant != "shop" || env.Message.Text != "hello" || env.Message.ID != "m1" || env.Labels["k"] != "v" || env.Message.Anger != 0.5 {
		t.Fatalf("envelope changed with its input: %+v", env)
	}
}

// FuzzResultEncode: every result encodes to JSON that decodes back to it.
func FuzzResultEncode(f *testing.F) {
	f.Add("modify", "t\"ext\n\x01é", "k", "v\\", "ans", "why")
	f.Add("", "", "", "", "", "")
	f.Add("answer", "\xff\xfe", "a.b", "\u2028", "", "")
	f.Fuzz(func(t *testing.T, verdict, text, k, v, answer, reason string) {
		r := Result{Verdict: Verdict(verdict), Text: &text, Answer: answer, Reason: reason}
		if k != "" {
			r = r.WithLabel(k, v)
		}
		b := r.Encode()
		if len(b) == 0 {
			if !r.isPlainPass() {
				t.Fatalf("%+v encoded to nothing", r)
			}
			return
		}
		// appended after what a reused buffer holds: the same bytes
		if got := r.appendTo(append(make([]byte, 0, 8), "xx"...)); string(got) != "xx"+string(b) {
			t.Fatalf("appendTo after a prefix = %q, want xx%q", got, b)
		}
		var back struct {
			Verdict string            `json:"verdict"`
			Text    *string           `json:"text"`
			Labels  map[string]string `json:"labels"`
			Answer  string            `json:"answer"`
			Reason  string            `json:"reason"`
		}
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q does not decode: %v", b, err)
		}
		valid := func(s string) string { return string([]rune(s)) }
		wantVerdict := verdict
		if wantVerdict == "" {
			wantVerdict = "pass"
		}
		if back.Verdict != valid(wantVerdict) || back.Text == nil || *back.Text != valid(text) || back.Answer != valid(answer) || back.Reason != valid(reason) {
			t.Fatalf("round trip %q: %+v", b, back)
		}
		if k != "" && back.Labels[valid(k)] != valid(v) {
			t.Fatalf("label lost: %q", b)
		}
	})
}

// TestEncodeManyLabels: past the stack array of sorted keys, labels still
// come out sorted.
func TestEncodeManyLabels(t *testing.T) {
	r := Pass()
	var want []string
	for i := 25; i >= 0; i-- {
		k := string(rune('a'+i)) + "k"
		r = r.WithLabel(k, "v")
		want = append([]string{`"` + k + `":"v"`}, want...)
	}
	if got := string(r.Encode()); got != `{"verdict":"pass","labels":{`+strings.Join(want, ",")+`}}` {
		t.Fatalf("Encode = %s", got)
	}
}
