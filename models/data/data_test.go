package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// row is one validated line of a data file.
type row struct {
	Text  string
	Label string
	Lang  string
}

// spec describes one data set folder.
type spec struct {
	dir string
	// labelField is the JSON field that holds the label ("intent", "label", "lang").
	labelField string
	// intLabel says the label is a JSON number (0 or 1) rather than a string.
	intLabel bool
	// hasLang says rows carry a separate "lang" field.
	hasLang bool
	labels  []string
	langs   []string
	// min is, per split, the minimum rows for every (lang, label) pair; a
	// lang missing from the map falls back to "*".
	min map[string]map[string]int
	// disjoint lists split pairs that must share no text.
	disjoint [][2]string
}

var intentLabels = []string{
	"order_status", "shipping_time", "shipping_cost", "return_policy", "refund_status",
	"exchange_size", "cancel_order", "change_address", "payment_methods", "payment_failed",
	"invoice", "stock_availability", "promotion", "coupon", "price_match", "product_info",
	"size_guide", "warranty", "account_login", "membership_points", "complaint",
	"human_agent", "greeting", "thanks_bye", "oos",
}

var specs = []spec{
	{
		dir:        "intent",
		labelField: "intent",
		hasLang:    true,
		labels:     intentLabels,
		langs:      []string{"zh", "zh-TW", "en", "de", "fr", "es", "ja", "ko", "ar", "ru", "pt", "it"},
		min: map[string]map[string]int{
			"train": {"zh": 60, "en": 60, "*": 20},
			"dev":   {"zh": 10, "en": 10, "*": 3},
			"test":  {"zh": 10, "en": 10, "*": 4},
			// dev2: sentences written like test, for choosing between
			// models (rows equal to another split's are dropped).
			"dev2": {"*": 1},
		},
		disjoint: [][2]string{{"train", "test"}, {"dev", "test"}, {"train", "dev"},
			{"train", "dev2"}, {"dev", "dev2"}, {"dev2", "test"}},
	},
	{
		dir:        "anger",
		labelField: "label",
		intLabel:   true,
		hasLang:    true,
		labels:     []string{"0", "1"},
		langs:      []string{"zh", "en", "de", "fr", "es", "ja", "ko", "ru"},
		min: map[string]map[string]int{
			"train": {"zh": 100, "en": 100, "*": 40},
			"dev":   {"zh": 30, "en": 30, "*": 20},
			"test":  {"zh": 25, "en": 25, "*": 10},
		},
		disjoint: [][2]string{{"train", "test"}, {"dev", "test"}, {"train", "dev"}},
	},
	{
		dir:        "langid-chat",
		labelField: "lang",
		labels:     langidLangs,
		langs:      langidLangs,
		min: map[string]map[string]int{
			"train": {"*": 150},
			"dev":   {"*": 50},
		},
		disjoint: [][2]string{{"train", "dev"}},
	},
}

var langidLangs = []string{"zh", "en", "de", "fr", "es", "ja", "ko", "ar", "ru", "pt", "it"}

// parseJSONL reads a JSONL data file and checks every line against s.
func parseJSONL(r io.Reader, s spec) ([]row, error) {
	allowed := map[string]bool{"text": true, s.labelField: true}
	if s.hasLang {
		allowed["lang"] = true
	}
	var rows []row
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			return nil, fmt.Errorf("line %d: empty line", n)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(line, &m); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		for k := range m {
			if !allowed[k] {
				return nil, fmt.Errorf("line %d: unexpected field %q", n, k)
			}
		}
		for k := range allowed {
			if _, ok := m[k]; !ok {
				return nil, fmt.Errorf("line %d: missing field %q", n, k)
			}
		}
		var rw row
		if err := json.Unmarshal(m["text"], &rw.Text); err != nil {
			return nil, fmt.Errorf("line %d: text: %w", n, err)
		}
		if strings.TrimSpace(rw.Text) == "" || rw.Text != strings.TrimSpace(rw.Text) {
			return nil, fmt.Errorf("line %d: text %q is empty or has surrounding space", n, rw.Text)
		}
		if s.intLabel {
			var v int
			if err := json.Unmarshal(m[s.labelField], &v); err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", n, s.labelField, err)
			}
			rw.Label = fmt.Sprint(v)
		} else if err := json.Unmarshal(m[s.labelField], &rw.Label); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, s.labelField, err)
		}
		if !slices.Contains(s.labels, rw.Label) {
			return nil, fmt.Errorf("line %d: unknown %s %q", n, s.labelField, rw.Label)
		}
		if s.hasLang {
			if err := json.Unmarshal(m["lang"], &rw.Lang); err != nil {
				return nil, fmt.Errorf("line %d: lang: %w", n, err)
			}
		} else {
			rw.Lang = rw.Label
		}
		if !slices.Contains(s.langs, rw.Lang) {
			return nil, fmt.Errorf("line %d: unknown lang %q", n, rw.Lang)
		}
		rows = append(rows, rw)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no rows")
	}
	return rows, nil
}

// checkRows returns the problems of one split: conflicting labels for the
// same text, and (lang, label) pairs below their minimum.
func checkRows(rows []row, s spec, split string) []string {
	var errs []string
	label := map[string]string{}
	for _, r := range rows {
		if l, ok := label[r.Text]; ok && l != r.Label {
			errs = append(errs, fmt.Sprintf("text %q has labels %q and %q", r.Text, l, r.Label))
		}
		label[r.Text] = r.Label
	}
	if s.labelField == "lang" {
		for _, r := range rows {
			if !hasScript(r.Text, r.Lang) {
				errs = append(errs, fmt.Sprintf("text %q has no letter of the %s script", r.Text, r.Lang))
			}
		}
	}
	mins := s.min[split]
	count := map[[2]string]int{}
	for _, r := range rows {
		count[[2]string{r.Lang, r.Label}]++
	}
	for _, lang := range s.langs {
		want, ok := mins[lang]
		if !ok {
			want = mins["*"]
		}
		for _, l := range s.labels {
			if s.labelField == "lang" && l != lang {
				continue
			}
			if got := count[[2]string{lang, l}]; got < want {
				errs = append(errs, fmt.Sprintf("%s/%s: %d rows, want at least %d", lang, l, got, want))
			}
		}
	}
	return errs
}

// normText is text without case, spaces, punctuation, symbols or emoji, so
// that "Hello?" and "hello 😊" count as the same text across splits.
func normText(text string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(text) {
		if unicode.IsLetter(c) || unicode.IsNumber(c) || unicode.IsMark(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// hasScript reports whether text has a letter of the script lang is written in.
func hasScript(text, lang string) bool {
	tables := map[string][]*unicode.RangeTable{
		"zh": {unicode.Han},
		"ja": {unicode.Hiragana, unicode.Katakana, unicode.Han},
		"ko": {unicode.Hangul},
		"ar": {unicode.Arabic},
		"ru": {unicode.Cyrillic},
	}
	want, ok := tables[lang]
	if !ok {
		want = []*unicode.RangeTable{unicode.Latin}
	}
	for _, c := range text {
		if unicode.IsOneOf(want, c) {
			return true
		}
	}
	return false
}

func readSplit(t *testing.T, s spec, split string) []row {
	t.Helper()
	p := filepath.Join(s.dir, split+".jsonl")
	f, err := os.Open(p)
	if err != nil {
		t.Fatalf("opening %s: %v", p, err)
	}
	defer f.Close()
	rows, err := parseJSONL(f, s)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return rows
}

func TestDataFiles(t *testing.T) {
	for _, s := range specs {
		t.Run(s.dir, func(t *testing.T) {
			splits := map[string][]row{}
			names := make([]string, 0, len(s.min))
			for split := range s.min {
				names = append(names, split)
			}
			sort.Strings(names)
			for _, split := range names {
				rows := readSplit(t, s, split)
				splits[split] = rows
				for _, e := range checkRows(rows, s, split) {
					t.Errorf("%s/%s: %s", s.dir, split, e)
				}
				t.Logf("%s/%s: %d rows", s.dir, split, len(rows))
			}
			for _, pair := range s.disjoint {
				in := map[string]bool{}
				for _, r := range splits[pair[0]] {
					in[normText(r.Text)] = true
				}
				shared := 0
				for _, r := range splits[pair[1]] {
					if in[normText(r.Text)] {
						shared++
						if shared <= 5 {
							t.Errorf("%s: text %q is in both %s and %s", s.dir, r.Text, pair[0], pair[1])
						}
					}
				}
				if shared > 5 {
					t.Errorf("%s: %d texts shared by %s and %s", s.dir, shared, pair[0], pair[1])
				}
			}
		})
	}
}

func TestParseJSONLRefusesBadLines(t *testing.T) {
	intent := specs[0]
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", "no rows"},
		{"blank line", "{\"text\":\"hi\",\"intent\":\"greeting\",\"lang\":\"en\"}\n\n", "empty line"},
		{"not json", "hello\n", "line 1"},
		{"missing lang", `{"text":"hi","intent":"greeting"}`, `missing field "lang"`},
		{"extra field", `{"text":"hi","intent":"greeting","lang":"en","x":1}`, `unexpected field "x"`},
		{"unknown intent", `{"text":"hi","intent":"weather","lang":"en"}`, `unknown intent "weather"`},
		{"unknown lang", `{"text":"hi","intent":"greeting","lang":"xx"}`, `unknown lang "xx"`},
		{"empty text", `{"text":"  ","intent":"greeting","lang":"en"}`, "empty"},
		{"text not string", `{"text":5,"intent":"greeting","lang":"en"}`, "text"},
		{"second line bad", "{\"text\":\"hi\",\"intent\":\"greeting\",\"lang\":\"en\"}\n{\"text\":\"yo\"}", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseJSONL(strings.NewReader(tt.in), intent)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
	anger := spec{labelField: "label", intLabel: true, hasLang: true, labels: []string{"0", "1"}, langs: []string{"en"}}
	for _, in := range []string{`{"text":"x","label":2,"lang":"en"}`, `{"text":"x","label":"1","lang":"en"}`} {
		if _, err := parseJSONL(strings.NewReader(in), anger); err == nil {
			t.Errorf("parseJSONL(%s) accepted a bad label", in)
		}
	}
	if rows, err := parseJSONL(strings.NewReader(`{"text":"x","label":1,"lang":"en"}`), anger); err != nil || rows[0].Label != "1" {
		t.Errorf("parseJSONL of a good anger row = %v, %v", rows, err)
	}
}

func TestNormText(t *testing.T) {
	for _, tt := range []struct{ a, b string }{
		{"Hello?", "hello 😊"}, {"你好!!", "你好"}, {"Wo ist es?", "wo ist es"}, {"¿Qué?", "qué"},
	} {
		if normText(tt.a) != normText(tt.b) {
			t.Errorf("normText(%q) = %q, normText(%q) = %q; want equal", tt.a, normText(tt.a), tt.b, normText(tt.b))
		}
	}
	if normText("hello") == normText("hallo") {
		t.Error("normText merges different words")
	}
}

func TestCheckRowsFindsProblems(t *testing.T) {
	s := spec{labelField: "intent", hasLang: true, labels: []string{"a", "b"}, langs: []string{"en"},
		min: map[string]map[string]int{"train": {"*": 2}}}
	rows := []row{{"x", "a", "en"}, {"x", "b", "en"}, {"y", "a", "en"}}
	errs := strings.Join(checkRows(rows, s, "train"), "\n")
	for _, want := range []string{`text "x" has labels "a" and "b"`, "en/b: 1 rows, want at least 2"} {
		if !strings.Contains(errs, want) {
			t.Errorf("problems %q do not mention %q", errs, want)
		}
	}
	lid := spec{labelField: "lang", labels: []string{"zh", "en"}, langs: []string{"zh", "en"},
		min: map[string]map[string]int{"train": {"*": 1}}}
	errs = strings.Join(checkRows([]row{{"hi", "zh", "zh"}, {"你好", "en", "en"}}, lid, "train"), "\n")
	for _, want := range []string{`"hi" has no letter of the zh script`, `"你好" has no letter of the en script`} {
		if !strings.Contains(errs, want) {
			t.Errorf("problems %q do not mention %q", errs, want)
		}
	}
	ok := []row{{"x", "a", "en"}, {"y", "a", "en"}, {"z", "b", "en"}, {"w", "b", "en"}}
	if errs := checkRows(ok, s, "train"); len(errs) != 0 {
		t.Errorf("good rows reported problems: %v", errs)
	}
}
