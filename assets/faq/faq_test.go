package faq

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
)

// requiredLangs must have at least one question and an answer in every entry.
var requiredLangs = []string{"zh", "en", "de", "fr", "es", "ja"}

// knownLangs are the language keys a pack may use.
var knownLangs = []string{"zh", "zh-TW", "en", "de", "fr", "es", "ja", "ko", "ar", "ru", "pt", "it"}

// knownIntents are the labels of the product's intent model (issue 5).
var knownIntents = []string{
	"order_status", "shipping_time", "shipping_cost", "return_policy", "refund_status",
	"exchange_size", "cancel_order", "change_address", "payment_methods", "payment_failed",
	"invoice", "stock_availability", "promotion", "coupon", "price_match", "product_info",
	"size_guide", "warranty", "account_login", "membership_points", "complaint",
	"human_agent", "greeting", "thanks_bye", "oos",
}

// decodeStrict decodes a pack and refuses unknown fields and trailing data.
func decodeStrict(b []byte) (chat.FAQPack, error) {
	var p chat.FAQPack
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("faq: decoding pack: %w", err)
	}
	if dec.More() {
		return p, fmt.Errorf("faq: trailing data after pack")
	}
	return p, nil
}

// check returns every problem found in the pack.
func check(p chat.FAQPack) []string {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if p.Version != 1 {
		bad("version %d, want 1", p.Version)
	}
	if len(p.Entries) == 0 {
		bad("no entries")
	}
	seen := map[string]bool{}
	for i, e := range p.Entries {
		if e.ID == "" {
			bad("entry %d: empty id", i)
		}
		if seen[e.ID] {
			bad("entry %d: duplicate id %q", i, e.ID)
		}
		seen[e.ID] = true
		if e.Intent != "" && !slices.Contains(knownIntents, e.Intent) {
			bad("entry %q: unknown intent %q", e.ID, e.Intent)
		}
		for _, l := range requiredLangs {
			if len(e.Questions[l]) == 0 {
				bad("entry %q: no question in %s", e.ID, l)
			}
			if strings.TrimSpace(e.Answers[l]) == "" {
				bad("entry %q: no answer in %s", e.ID, l)
			}
		}
		for l, qs := range e.Questions {
			if !slices.Contains(knownLangs, l) {
				bad("entry %q: unknown question language %q", e.ID, l)
			}
			dup := map[string]bool{}
			for _, q := range qs {
				if strings.TrimSpace(q) == "" {
					bad("entry %q: empty %s question", e.ID, l)
				}
				if dup[q] {
					bad("entry %q: duplicate %s question %q", e.ID, l, q)
				}
				dup[q] = true
			}
		}
		for l, a := range e.Answers {
			if !slices.Contains(knownLangs, l) {
				bad("entry %q: unknown answer language %q", e.ID, l)
			}
			if strings.TrimSpace(a) == "" {
				bad("entry %q: empty %s answer", e.ID, l)
			}
		}
	}
	return errs
}

func TestDefaultPackValid(t *testing.T) {
	p, err := decodeStrict(Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range check(p) {
		t.Error(e)
	}
	if n := len(p.Entries); n < 25 {
		t.Errorf("only %d entries, want at least 25", n)
	}
	if p.Tenant != "demo" {
		t.Errorf("tenant %q, want demo", p.Tenant)
	}
}

func TestDefaultPackContent(t *testing.T) {
	p, err := decodeStrict(Default())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]chat.FAQEntry{}
	for _, e := range p.Entries {
		byID[e.ID] = e
	}
	rp, ok := byID["return_policy"]
	if !ok {
		t.Fatal("no return_policy entry")
	}
	if !slices.Contains(rp.Questions["zh"], "退货政策是什么?") {
		t.Errorf("return_policy lacks the zh question 退货政策是什么?: %q", rp.Questions["zh"])
	}
	if !slices.Contains(rp.Questions["en"], "What is your return policy?") {
		t.Errorf("return_policy lacks the en question: %q", rp.Questions["en"])
	}
	if !strings.Contains(rp.Answers["en"], "30 days") {
		t.Errorf("return_policy en answer does not state the 30-day window: %q", rp.Answers["en"])
	}
	local := map[string]bool{
		"return_policy": true, "shipping_cost": true, "shipping_time": true,
		"payment_methods": true, "size_guide": true, "warranty": true,
		"order_status": false, "refund_status": false, "stock_availability": false,
	}
	for id, want := range local {
		e, ok := byID[id]
		if !ok {
			t.Errorf("no %s entry", id)
			continue
		}
		if e.Local != want {
			t.Errorf("%s: local = %v, want %v", id, e.Local, want)
		}
	}
	// Answer falls back to en for a language an entry lacks.
	if text, lang := rp.Answer("xx"); lang != "en" || text == "" {
		t.Errorf("Answer(xx) = %q, %q; want the en answer", text, lang)
	}
}

func TestDefaultIsACopy(t *testing.T) {
	a := Default()
	a[0] = 'X'
	if b := Default(); b[0] == 'X' {
		t.Fatal("Default returned shared memory")
	}
}

// TestCheckCatchesBadPacks makes sure the validation above can fail.
func TestCheckCatchesBadPacks(t *testing.T) {
	full := func(id string) chat.FAQEntry {
		e := chat.FAQEntry{ID: id, Questions: map[string][]string{}, Answers: map[string]string{}}
		for _, l := range requiredLangs {
			e.Questions[l] = []string{"q " + l}
			e.Answers[l] = "a " + l
		}
		return e
	}
	tests := []struct {
		name string
		pack func() chat.FAQPack
		want string
	}{
		{"ok", func() chat.FAQPack { return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{full("a")}} }, ""},
		{"version", func() chat.FAQPack { return chat.FAQPack{Version: 2, Entries: []chat.FAQEntry{full("a")}} }, "version"},
		{"empty", func() chat.FAQPack { return chat.FAQPack{Version: 1} }, "no entries"},
		{"dup id", func() chat.FAQPack { return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{full("a"), full("a")}} }, "duplicate id"},
		{"no id", func() chat.FAQPack { return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{full("")}} }, "empty id"},
		{"no ja answer", func() chat.FAQPack {
			e := full("a")
			delete(e.Answers, "ja")
			return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{e}}
		}, "no answer in ja"},
		{"no de question", func() chat.FAQPack {
			e := full("a")
			e.Questions["de"] = nil
			return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{e}}
		}, "no question in de"},
		{"bad intent", func() chat.FAQPack {
			e := full("a")
			e.Intent = "weather"
			return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{e}}
		}, "unknown intent"},
		{"bad lang", func() chat.FAQPack {
			e := full("a")
			e.Answers["english"] = "x"
			return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{e}}
		}, "unknown answer language"},
		{"blank answer", func() chat.FAQPack {
			e := full("a")
			e.Answers["ko"] = "  "
			return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{e}}
		}, "empty ko answer"},
		{"dup question", func() chat.FAQPack {
			e := full("a")
			e.Questions["en"] = []string{"x", "x"}
			return chat.FAQPack{Version: 1, Entries: []chat.FAQEntry{e}}
		}, "duplicate en question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := strings.Join(check(tt.pack()), "\n")
			if tt.want == "" {
				if errs != "" {
					t.Fatalf("unexpected problems: %s", errs)
				}
				return
			}
			if !strings.Contains(errs, tt.want) {
				t.Fatalf("problems %q do not mention %q", errs, tt.want)
			}
		})
	}
}

func TestDecodeStrictRefusesBadJSON(t *testing.T) {
	for _, in := range []string{
		``,
		`{`,
		`{"version":1,"entries":[]} {}`,
		`{"version":1,"entries":[{"id":"a","question":{}}]}`,
		`{"version":"1","entries":[]}`,
	} {
		if _, err := decodeStrict([]byte(in)); err == nil {
			t.Errorf("decodeStrict(%q) accepted bad input", in)
		}
	}
}

// TestFullWidthPunctuation: Chinese and Japanese answers use full-width
// punctuation (，。？！：；（）) next to CJK characters, never the ASCII marks.
func TestFullWidthPunctuation(t *testing.T) {
	p, err := decodeStrict(Default())
	if err != nil {
		t.Fatal(err)
	}
	half := regexp.MustCompile(`[\p{Han}\p{Hiragana}\p{Katakana}][,.?!:;()]|[,?!:;()][\p{Han}\p{Hiragana}\p{Katakana}]`)
	for _, e := range p.Entries {
		for _, lang := range []string{"zh", "zh-TW", "ja"} {
			if m := half.FindString(e.Answers[lang]); m != "" {
				t.Errorf("%s answer in %s has half-width punctuation %q", e.ID, lang, m)
			}
		}
	}
}
