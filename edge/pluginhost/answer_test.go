package pluginhost

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/pii"
)

// toPDK is a parsed standing answer as the PDK's type, to re-encode it.
func (a *standingAnswer) toPDK() *pdk.Standing {
	s := &pdk.Standing{Fold: a.fold}
	for _, l := range a.labels {
		s.Labels = append(s.Labels, pdk.StandingLabel{Op: pdk.LabelOp(l.op), Key: l.key, Value: l.value})
	}
	for _, c := range a.conds {
		s.Needs = append(s.Needs, pdk.Covers{Label: c.key, Items: c.items})
	}
	if a.scan {
		s.NoSpans(splitComma(a.scanTypes), splitComma(a.scanLocales))
	}
	if a.mask != nil {
		s.MaskSpans(a.mask.tokens, a.mask.types, a.mask.list)
	}
	return s
}

func encodeStanding(t testing.TB, s *pdk.Standing) []byte {
	t.Helper()
	b, ok := pdk.EncodeStanding(nil, s)
	if !ok {
		t.Fatalf("EncodeStanding refused %+v", s)
	}
	return b
}

// raw builds a standing answer's bytes by hand, for what the PDK refuses
// to encode.
func raw(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case uint32:
			b = binary.LittleEndian.AppendUint32(b, v)
		case byte:
			b = append(b, v)
		case string:
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		}
	}
	return b
}

func TestParseAnswer(t *testing.T) {
	good := (&pdk.Standing{Fold: true}).Strip("ip").SetField("residency", "region").Set("x", "1").Require("pii_checked", "EMAIL", "PHONE").
		Require("shopper_fields").NoSpans([]string{"PHONE", "EMAIL"}, []string{"de"})
	if a, err := parseAnswer(encodeStanding(t, good)); err != nil || !reflect.DeepEqual(a.toPDK(), good) {
		t.Fatalf("round trip: %+v %v", a, err)
	}
	masking := (&pdk.Standing{}).Set("pii_checked", "PHONE").NoSpans([]string{"PHONE"}, nil).MaskSpans("pii_tokens", "", "shopper_fields")
	if a, err := parseAnswer(encodeStanding(t, masking)); err != nil || !reflect.DeepEqual(a.toPDK(), masking) {
		t.Fatalf("round trip: %+v %v", a, err)
	}
	scanned := raw(uint32(6), uint32(1), byte(0), "pii_checked", "PHONE", uint32(0), "PHONE", "")
	for _, tc := range []struct {
		name, in, err string
	}{
		{"empty", "", "flags cut short"},
		{"unknown flag", string(raw(uint32(8), uint32(0), uint32(0))), "unknown flags"},
		{"mask without scan", string(raw(uint32(4), uint32(0), uint32(0), "a", "b", "c")), "mask without flag scan"},
		{"mask cut short", string(append(scanned, raw("pii_tokens", "pii")...)), "list label cut short"},
		{"mask key too long", string(append(scanned, raw(strings.Repeat("k", 65), "", "")...)), "tokens label of 65 bytes"},
		{"mask bad key", string(append(scanned, raw("pii_tokens", "PII", "")...)), `mask label "PII"`},
		{"mask key twice", string(append(scanned, raw("pii", "pii", "")...)), `mask label "pii"`},
		{"mask key a standing label", string(append(scanned, raw("", "", "pii_checked")...)), `mask label "pii_checked"`},
		{"mask trailing", string(append(scanned, raw("", "", "", "x")...)), "bytes after"},
		{"scan without lists", string(raw(uint32(2), uint32(0), uint32(0))), "scan types cut short"},
		{"scan list too long", string(raw(uint32(2), uint32(0), uint32(0), strings.Repeat("A", 1025), "")), "scan types of 1025 bytes"},
		{"too many labels", string(raw(uint32(0), uint32(33))), "33 labels"},
		{"bad key", string(raw(uint32(0), uint32(1), byte(0), "IP", "", uint32(0))), `label key "IP"`},
		{"key twice", string(raw(uint32(0), uint32(2), byte(2), "ip", "", byte(0), "ip", "x", uint32(0))), `label "ip" twice`},
		{"unknown op", string(raw(uint32(0), uint32(1), byte(3), "ip", "", uint32(0))), "unknown op 3"},
		{"unknown field", string(raw(uint32(0), uint32(1), byte(1), "r", "text", uint32(0))), `unknown field "text"`},
		{"strip with value", string(raw(uint32(0), uint32(1), byte(2), "ip", "x", uint32(0))), "stripped with a value"},
		{"value not UTF-8", string(raw(uint32(0), uint32(1), byte(0), "k", "\xff", uint32(0))), "not UTF-8"},
		{"value too long", string(raw(uint32(0), uint32(1), byte(0), "k", strings.Repeat("v", 1025), uint32(0))), "label value of 1025 bytes"},
		{"value past the end", string(raw(uint32(0), uint32(1), byte(0), "k", uint32(9), "ab")), "label value of 9 bytes"},
		{"no conditions count", string(raw(uint32(0), uint32(0))), "condition count cut short"},
		{"too many conditions", string(raw(uint32(0), uint32(0), uint32(33))), "33 conditions"},
		{"too many items", string(raw(uint32(0), uint32(0), uint32(1), "pii_checked", uint32(65))), "with 65 items"},
		{"item with a comma", string(raw(uint32(0), uint32(0), uint32(1), "pii_checked", uint32(1), "A,B")), `item "A,B"`},
		{"empty item", string(raw(uint32(0), uint32(0), uint32(1), "pii_checked", uint32(1), "")), `item ""`},
		{"bad condition key", string(raw(uint32(0), uint32(0), uint32(1), "Pii", uint32(1), "A")), `condition key "Pii"`},
		{"trailing", string(append(encodeStanding(t, good), 0)), "1 bytes after"},
	} {
		a, err := parseAnswer([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %+v, %v; want an error with %q", tc.name, a, err, tc.err)
		}
	}
}

// TestStandingAnswer: conditions read the label as the guest sees it,
// strips apply to present labels only, a field label takes the envelope's
// value as the guest receives it, and a value the result could not carry
// sends the message to the guest.
func TestStandingAnswer(t *testing.T) {
	a, err := parseAnswer(encodeStanding(t, (&pdk.Standing{}).Strip("ip").Strip("geo").SetField("residency", "region").Require("pii_checked", "PHONE", "EMAIL")))
	if err != nil {
		t.Fatal(err)
	}
	env := func(region string, labels map[string]string) *chat.Envelope {
		e := envelope("hi")
		e.Region, e.Labels = region, labels
		return &e
	}
	for _, tc := range []struct {
		name string
		env  *chat.Envelope
		want map[string]string
		ok   bool
	}{
		{"covered", env("eu", map[string]string{"pii_checked": "EMAIL,ID,PHONE", "ip": "1.2.3.4"}), map[string]string{"ip": "", "residency": "eu"}, true},
		{"not covered", env("eu", map[string]string{"pii_checked": "EMAIL,ID"}), nil, false},
		{"no label", env("eu", nil), nil, false},
		{"prefix is no item", env("eu", map[string]string{"pii_checked": "EMAILS,PHONE"}), nil, false},
		{"empty region deletes", env("", map[string]string{"pii_checked": "PHONE,EMAIL"}), map[string]string{"residency": ""}, true},
		{"invalid UTF-8", env("e\xffu", map[string]string{"pii_checked": "PHONE,EMAIL", "geo": ""}), map[string]string{"geo": "", "residency": "e\ufffdu"}, true},
		{"region too long", env(strings.Repeat("r", 1025), map[string]string{"pii_checked": "PHONE,EMAIL"}), nil, false},
	} {
		got, ok, _ := a.answer(tc.env, nil)
		if ok != tc.ok || ok && (got.Verdict != Pass || !reflect.DeepEqual(got.Labels, tc.want)) {
			t.Errorf("%s: %+v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	scan, err := parseAnswer(encodeStanding(t, (&pdk.Standing{}).Set("pii_checked", "PHONE").Require("shopper_fields").NoSpans([]string{"PHONE"}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		env    *chat.Envelope
		ok     bool
		spans  int // in the prescan handed to the guest
		labels map[string]string
	}{
		{"no phone", env("eu", nil), true, 0, map[string]string{"pii_checked": "PHONE"}},
		{"shopper fields", env("eu", map[string]string{"shopper_fields": "page"}), false, 0, nil},
		{"empty shopper fields", env("eu", map[string]string{"shopper_fields": ""}), true, 0, map[string]string{"pii_checked": "PHONE"}},
	} {
		got, ok, pre := scan.answer(tc.env, nil)
		if ok != tc.ok || pre != nil || ok && !reflect.DeepEqual(got.Labels, tc.labels) {
			t.Errorf("%s: %+v %v %+v", tc.name, got, ok, pre)
		}
	}
	phone := env("eu", nil)
	phone.Message.Text = "call +49 170 1234567 or a@b.de"
	if got, ok, pre := scan.answer(phone, nil); ok || pre == nil || pre.text != phone.Message.Text || pre.types != "PHONE" || pre.locales != "" ||
		string(pre.out) != string(appendPIISpans(nil, pii.Scan(phone.Message.Text, pii.Options{Types: []pii.Type{pii.Phone}}))) {
		t.Errorf("a phone: %+v %v %+v", got, ok, pre)
	}
	phone.Message.Text = strings.Repeat("x", maxPIIText+1)
	if got, ok, pre := scan.answer(phone, nil); ok || pre != nil {
		t.Errorf("a text pii_scan refuses: %+v %v %+v", got, ok, pre)
	}
	var none *standingAnswer
	if got, ok, _ := none.answer(env("eu", nil), nil); !ok || got.Verdict != Pass || got.Labels != nil {
		t.Errorf("no standing answer: %+v %v", got, ok)
	}
	nolabels, err := parseAnswer(encodeStanding(t, (&pdk.Standing{}).Strip("ip")))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := nolabels.answer(env("eu", nil), nil); !ok || got.Labels != nil {
		t.Errorf("nothing to strip: %+v %v", got, ok)
	}
}

// FuzzParseAnswer: any bytes parse or fail without panicking, what parses
// is within the bounds and re-encodes (pdk.EncodeStanding) to the same
// bytes, and what the PDK encodes parses back to it.
func FuzzParseAnswer(f *testing.F) {
	good, _ := pdk.EncodeStanding(nil, (&pdk.Standing{Fold: true}).Strip("ip").SetField("residency", "region").Require("pii_checked", "PHONE"))
	f.Add(good, "ip", "region", "PHONE")
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "", "", "")
	f.Add(raw(uint32(1), uint32(1), byte(0), "k", "v", uint32(1), "c", uint32(2), "A", "B"), "K", "text", "a,b")
	f.Add(raw(uint32(6), uint32(1), byte(0), "pii_checked", "PHONE", uint32(0), "PHONE", "", "pii_tokens", "pii", "shopper_fields"), "pii", "region", "X")
	f.Add(raw(uint32(7), uint32(0), uint32(0), "", "", "", "", ""), "ip", "tenant", "A")
	f.Fuzz(func(t *testing.T, b []byte, key, field, item string) {
		if a, err := parseAnswer(b); err == nil {
			if len(a.labels) > maxLabels || len(a.conds) > maxAnswerConds {
				t.Fatalf("%x: out of bounds: %+v", b, a)
			}
			again, ok := pdk.EncodeStanding(nil, a.toPDK())
			if !ok || string(again) != string(b) {
				t.Fatalf("%x parsed to %+v, which encodes to %x (%v)", b, a, again, ok)
			}
		}
		s := (&pdk.Standing{}).Strip(key).SetField("residency", field).Require("pii_checked", item)
		if len(item)%2 == 1 {
			s.NoSpans(nil, []string{item}).MaskSpans(item, "pii", key)
		}
		enc, ok := pdk.EncodeStanding(nil, s)
		if !ok {
			return
		}
		a, err := parseAnswer(enc)
		if err != nil {
			t.Fatalf("EncodeStanding(%+v) does not parse: %v", s, err)
		}
		if !reflect.DeepEqual(a.toPDK(), s) {
			t.Fatalf("round trip %+v -> %+v", s, a.toPDK())
		}
	})
}
