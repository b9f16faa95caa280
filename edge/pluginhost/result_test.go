package pluginhost

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeResult(t *testing.T) {
	tests := []struct {
		in      string
		verdict Verdict
		err     string
	}{
		{``, Pass, ""},
		{`{}`, Pass, ""},
		{`{"verdict":"pass","labels":{"a":"b"}}`, Pass, ""},
		{`{"verdict":"modify","text":"x","lang":"de"}`, Modify, ""},
		{`{"verdict":"answer","answer":"hi"}`, Answer, ""},
		{`{"verdict":"drop","reason":"spam"}`, Drop, ""},
		{`{"verdict":"escalate","reason":"lawyer","future_field":1}`, Escalate, ""},
		{`{"verdict":"decline","reason":"asks to cancel, not to track"}`, Decline, ""},
		{`{"verdict":"explode"}`, 0, "unknown verdict"},
		{`{"verdict":"answer"}`, 0, "without answer"},
		{`{"verdict":"modify","text":""}`, 0, "empty text"},
		{`{"verdict":"pass","text":"x"}`, 0, "with verdict pass"},
		{`{"labels":{"Bad":"x"}}`, 0, "label key"},
		{`{"labels":{"":"x"}}`, 0, "label key"},
		{`{"verdict":"modify","text":"` + strings.Repeat("a", 5000) + `"}`, 0, "over the limit"},
		{`{"reason":"` + strings.Repeat("a", 2000) + `"}`, 0, "reason over"},
		{"{\"verdict\":\"answer\",\"answer\":\"\xff\"}", 0, "UTF-8"},
		{`[1,2]`, 0, "malformed"},
		{`{"verdict":`, 0, "malformed"},
	}
	for _, tc := range tests {
		r, err := DecodeResult([]byte(tc.in), 4096)
		if tc.err != "" {
			if !errors.Is(err, ErrBadResult) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%.40q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || r.Verdict != tc.verdict {
			t.Errorf("%.40q: %+v %v", tc.in, r, err)
		}
	}
}

func FuzzDecodeResult(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"verdict":"modify","text":"x","labels":{"a":""}}`,
		`{"verdict":"answer","answer":"hi"}`, `{"labels":{"a.b-c_1":"v"}}`, `{"verdict":null}`, `{"text":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if w, ok := decodeWire(b); ok && utf8.Valid(b) {
			var j wireResult
			if err := json.Unmarshal(b, &j); err != nil || !reflect.DeepEqual(w, j) {
				t.Fatalf("fast path %+v, encoding/json %+v (%v)", w, j, err)
			}
		}
		r, err := DecodeResult(b, 4096)
		if err != nil {
			if !errors.Is(err, ErrBadResult) {
				t.Fatalf("error not wrapping ErrBadResult: %v", err)
			}
			return
		}
		if r.Verdict < Pass || r.Verdict > Escalate {
			t.Fatalf("verdict %d", r.Verdict)
		}
		if r.Verdict == Answer && r.Answer == "" {
			t.Fatal("answer without text")
		}
		if r.Text != nil && (len(*r.Text) == 0 || len(*r.Text) > 4096) {
			t.Fatal("text bounds")
		}
		if len(r.Labels) > maxLabels {
			t.Fatal("too many labels")
		}
		for k := range r.Labels {
			if !validLabelKey(k) {
				t.Fatalf("label %q", k)
			}
		}
	})
}
