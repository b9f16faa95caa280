package pluginhost

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kefu-io/kefu/plugins/pdk"
)

// TestDecodeWire: what the Go PDK writes takes the fast path and decodes as
// encoding/json decodes it; anything else (escapes, white space, unknown
// or repeated keys, null, numbers) is left to encoding/json, and
// DecodeResult answers the same either way.
func TestDecodeWire(t *testing.T) {
	pdkResults := []pdk.Result{
		pdk.Pass().WithLabel("residency", "eu"),
		pdk.ModifyText("Call me on [PHONE]").WithLabel("pii", "PHONE").WithLabel("pii_tokens", "PHONE:v1.abc").WithLabel("pii_checked", "ADDRESS,CARD,EMAIL"),
		pdk.Answer("订单 12345：运输中。").WithLabel("order_id", "12345"),
		pdk.Drop("spam"),
		pdk.Escalate("gdpr-erasure").WithLabel("erasure", "1").WithLabel("ip", ""),
		pdk.Decline("asks to cancel, not to track"),
		{Verdict: pdk.VerdictModify, Text: ptr("x"), Lang: ptr("de"), Intent: ptr("order_status")},
		{Verdict: pdk.VerdictPass, Labels: map[string]string{}},
	}
	for _, r := range pdkResults {
		b := r.Encode()
		if len(b) == 0 {
			continue
		}
		w, ok := decodeWire(b)
		if !ok {
			t.Errorf("%s: not decoded by the fast path", b)
			continue
		}
		var j wireResult
		if err := json.Unmarshal(b, &j); err != nil || !reflect.DeepEqual(w, j) {
			t.Errorf("%s: fast %+v, encoding/json %+v (%v)", b, w, j, err)
		}
	}
	for _, in := range []string{ // escapes, as the PDK writes a line break or a quote
		`{"verdict":"modify","text":"say \"hi\"\n\n🎁 \u00e9\/\\"}`,
		`{"verdict":"modify","text":"x","labels":{"k\n":"v\t"}}`,
	} {
		w, ok := decodeWire([]byte(in))
		var j wireResult
		if err := json.Unmarshal([]byte(in), &j); !ok || err != nil || !reflect.DeepEqual(w, j) {
			t.Errorf("%s: fast path %v %+v, encoding/json %+v (%v)", in, ok, w, j, err)
		}
	}
	for _, in := range []string{
		`{"verdict":"modify","text":"\ud83c\udf81"}`,   // a surrogate pair: left to encoding/json
		`{"verdict":"modify","text":"a\x"}`,            // not an escape
		`{"verdict": "pass"}`,                          // white space
		`{"verdict":"pass"} `,                          // trailing white space
		`{"Verdict":"drop","reason":"x"}`,              // encoding/json matches keys without case
		`{"verdict":"pass","future_field":1}`,          // unknown key
		`{"labels":{"a":"1"},"labels":{"b":"2"}}`,      // repeated key: encoding/json merges
		`{"labels":{"a":"1","a":"2"}}`,                 // repeated label
		`{"verdict":null}`,                             // null
		`{"text":1}`,                                   // not a string
		`{"verdict":"pass",}`,                          // malformed
		`{"verdict":"pass"`,                            // cut
		"{\"verdict\":\"answer\",\"answer\":\"a\tb\"}", // control character
	} {
		if w, ok := decodeWire([]byte(in)); ok {
			t.Errorf("%s: fast path took it: %+v", in, w)
		}
		var j wireResult
		jerr := json.Unmarshal([]byte(in), &j)
		r, err := DecodeResult([]byte(in), 4096)
		if (jerr != nil) != (err != nil) {
			t.Errorf("%s: DecodeResult err %v, encoding/json err %v", in, err, jerr)
		}
		if err == nil && (r.Answer != j.Answer || r.Reason != j.Reason || !reflect.DeepEqual(r.Labels, j.Labels)) {
			t.Errorf("%s: DecodeResult %+v, encoding/json %+v", in, r, j)
		}
	}
	if r, err := DecodeResult([]byte(`{"labels":{"a":"1"},"labels":{"b":"2"}}`), 4096); err != nil || len(r.Labels) != 2 {
		t.Errorf("repeated labels object: %+v, %v; want both labels as encoding/json merges them", r, err)
	}
}

func ptr(s string) *string { return &s }

// BenchmarkDecodeResult: DecodeResult of a pii-redact result, by the fast
// path and (the same result with a space) by encoding/json.
func BenchmarkDecodeResult(b *testing.B) {
	in := pdk.ModifyText("Where is my order 12345? Mail me at [EMAIL] or call [PHONE].").
		WithLabel("pii", "EMAIL,PHONE").WithLabel("pii_tokens", "EMAIL:v1.abcdef,PHONE:v1.ghijkl").
		WithLabel("pii_checked", "ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT,PHONE").Encode()
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeResult(in, 4096); err != nil {
				b.Fatal(err)
			}
		}
	})
	slow := append([]byte("{ "), in[1:]...) // white space: left to encoding/json
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeResult(slow, 4096); err != nil {
				b.Fatal(err)
			}
		}
	})
}
