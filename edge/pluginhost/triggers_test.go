package pluginhost

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/plugins/pdk"
)

// TestTriggersSkipCalls runs a plugin that labels every message it sees
// behind its trigger phrases: the host calls it only for texts that
// contain one of the tenant's phrases once lower-cased.
func TestTriggersSkipCalls(t *testing.T) {
	cfg := region("triggered")
	cfg.Regions["t"].Plugins["triggered"] = Plugin{Config: map[string]string{"words": "Lawyer,律师"}}
	h, logs := testHost(t, cfg, map[string][]byte{"triggered": testPlugin(t, "triggered")})
	skipped := h.metrics.skipped.WithLabelValues("triggered", "t")
	for _, tc := range []struct {
		tenant, text string
		seen         bool
	}{
		{"shop1", "hello", false},
		{"shop1", "I want a REFUND now", true},
		{"shop1", "我要退款", true},
		{"shop1", "refun d", false},
		{"shop1", "REFUNDS?", true}, // a substring, not a word: the plugin checks words itself
		{"cfg", "my LAWYER says", true},
		{"cfg", "找律师", true},
		{"cfg", "refund", false},
		{"none", "refund", false},
		{"nofilter", "hello", true},
		{"other", "hello", false}, // nil: no phrases, never called
		{"shop1", "still cached: hello", false},
	} {
		env := envelope(tc.text)
		env.Tenant = tc.tenant
		before := skipped.Value()
		out, err := h.Run(context.Background(), "t", HookInbound, env)
		if err != nil {
			t.Fatalf("%s %q: %v", tc.tenant, tc.text, err)
		}
		if seen := out.Envelope.Labels["seen"] == "1"; seen != tc.seen {
			t.Errorf("%s %q: plugin called %v, want %v", tc.tenant, tc.text, seen, tc.seen)
		}
		if got := skipped.Value() - before; got != map[bool]float64{true: 0, false: 1}[tc.seen] {
			t.Errorf("%s %q: skipped counter +%v", tc.tenant, tc.text, got)
		}
	}
	// A trap in kefu_triggers is the call's failure (fail open here: the
	// message goes on unlabelled) and discards the instance.
	env := envelope("refund")
	env.Tenant = "panic"
	out, err := h.Run(context.Background(), "t", HookInbound, env)
	if err != nil || out.Envelope.Labels["seen"] != "" {
		t.Fatalf("panicking triggers: %+v %v", out, err)
	}
	if n := metricValue(h.metrics.errors.WithLabelValues("triggered", "t", KindTrap)); n != 1 {
		t.Fatalf("trap errors %v, want 1", n)
	}
	if !strings.Contains(logs.String(), "triggers fail on purpose") {
		t.Fatalf("the guest's panic is not logged:\n%s", logs)
	}
}

// encodeTriggersRaw is the kefu_triggers layout of phrases as they are.
func encodeTriggersRaw(phrases []string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(phrases)))
	for _, p := range phrases {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

func TestParseTriggers(t *testing.T) {
	long := strings.Repeat("x", maxTriggerPhrase+1)
	for _, tc := range []struct {
		name string
		in   []byte
		want []string // nil: malformed
	}{
		{"two", encodeTriggersRaw([]string{"refund", "退款"}), []string{"refund", "退款"}},
		{"none", encodeTriggersRaw([]string{}), []string{}},
		{"empty phrase", encodeTriggersRaw([]string{"a", ""}), nil},
		{"long phrase", encodeTriggersRaw([]string{long}), nil},
		{"no count", []byte{1, 0}, nil},
		{"count past the bytes", []byte{9, 0, 0, 0, 1, 0, 0, 0, 'a'}, nil},
		{"trailing", append(encodeTriggersRaw([]string{"a"}), 0), nil},
		{"cut", encodeTriggersRaw([]string{"abc"})[:10], nil},
		{"too big", append(encodeTriggersRaw([]string{"a"}), make([]byte, maxTriggerBytes)...), nil},
	} {
		ts, err := parseTriggers(tc.in)
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: parsed %q, want an error", tc.name, ts.phrases)
			}
			continue
		}
		got := ts.phrases
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
}

// FuzzParseTriggers: any bytes parse without panicking, within the bounds,
// and what parses re-encodes to the same bytes; what the PDK encodes
// parses back to its lower-cased phrases.
func FuzzParseTriggers(f *testing.F) {
	f.Add(encodeTriggersRaw([]string{"refund", "退款"}), "Lawyer")
	f.Add([]byte{0, 0, 0, 0}, "")
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0}, "ǅ")
	f.Fuzz(func(t *testing.T, b []byte, word string) {
		ts, err := parseTriggers(b)
		if err == nil {
			ps := ts.phrases // an answer after them: FuzzParseAnswer
			if len(ps) > maxTriggerPhrases || ts.answer == nil && string(encodeTriggersRaw(ps)) != string(b) {
				t.Fatalf("%x parsed to %q, which encodes otherwise", b, ps)
			}
			for _, p := range ps {
				if p == "" || len(p) > maxTriggerPhrase {
					t.Fatalf("phrase %q out of bounds", p)
				}
			}
		}
		phrases := []string{word, "x" + word}
		enc, ok := pdk.EncodeTriggers(nil, phrases)
		if !ok {
			if word != "" && len(strings.ToLower(word)) < maxTriggerPhrase {
				t.Fatalf("EncodeTriggers refused %q", phrases)
			}
			return
		}
		ts, err = parseTriggers(enc)
		if err != nil {
			t.Fatalf("EncodeTriggers(%q) does not parse: %v", phrases, err)
		}
		want := []string{strings.ToLower(word), strings.ToLower("x" + word)}
		if got := ts.phrases; !slices.Equal(got, want) {
			t.Fatalf("round trip %q -> %q", want, got)
		}
	})
}

// TestTriggerSetSkips: the host lower-cases as the guest would see the
// text (invalid UTF-8 as U+FFFD), and a nil set never skips.
func TestTriggerSetSkips(t *testing.T) {
	s := newTriggerSet([]string{"lawyer", "\ufffdx", "ß"})
	for _, tc := range []struct {
		text string
		skip bool
	}{
		{"LAWYER", false},
		{"lawye", true},
		{"a\xffX", false}, // the guest gets U+FFFD, then "x"
		{"STRASSE", true},
		{"Straße", false},
		{strings.Repeat("long text ", 100) + "Lawyer", false},
		{strings.Repeat("long text ", 100), true},
	} {
		if got := s.skips(tc.text); got != tc.skip {
			t.Errorf("skips(%q) = %v, want %v", tc.text, got, tc.skip)
		}
	}
	var none *triggerSet
	if none.skips("anything") {
		t.Error("a nil set skipped")
	}
	for _, phrases := range [][]string{nil, {""}} { // no phrase to find: every text skips
		if e := newTriggerSet(phrases); !e.skips("LAWYER \xff") || !e.skips("") {
			t.Errorf("a set of %q did not skip", phrases)
		}
	}
}
