// Package piieval measures package pii against labelled messages.
//
// A data file is JSON Lines, one message per line:
//
//	{"locale":"de","text":"Ruf mich an: {{PHONE|0151 23456789}}, Bestellung 12345"}
//
// Personal data is marked inline as {{TYPE|value}} with TYPE one of the
// pii types; everything else in the text is, by label, not personal data
// (order numbers, tracking numbers, prices, dates, SKUs, coupons…). Blank
// lines and lines starting with "#" are skipped.
//
// # Scoring
//
// A gold span is recalled when a predicted span of the same type overlaps
// it; a predicted span is correct when it overlaps a gold span of the same
// type. Exact counts (same type, same start and end) are reported too, so
// boundary errors show.
package piieval

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/kefu-io/kefu/plugins/pii"
)

// Example is one labelled message.
type Example struct {
	// Line is the 1-based line of the data file.
	Line int
	// Locale is the message's BCP-47 tag as written in the file.
	Locale string
	// Text is the message with the markup removed.
	Text string
	// Gold are the labelled spans (byte offsets into Text).
	Gold []pii.Span
}

// ErrMarkup is wrapped by Parse when a line's markup is malformed.
var ErrMarkup = errors.New("piieval: malformed markup")

type line struct {
	Locale string `json:"locale"`
	Text   string `json:"text"`
}

// Parse reads a data file. It refuses the whole file on the first bad line,
// naming the line, so that a typo cannot silently drop a label.
func Parse(r io.Reader) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []Example
	n := 0
	for sc.Scan() {
		n++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" || strings.HasPrefix(raw, "#") {
			continue
		}
		var l line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return nil, fmt.Errorf("piieval: line %d: %w", n, err)
		}
		ex, err := ParseMarkup(l.Text)
		if err != nil {
			return nil, fmt.Errorf("piieval: line %d: %w", n, err)
		}
		ex.Line, ex.Locale = n, l.Locale
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("piieval: reading: %w", err)
	}
	return out, nil
}

// ReadFiles parses the named data files, in order, into one list.
func ReadFiles(names ...string) ([]Example, error) {
	var out []Example
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("piieval: %w", err)
		}
		exs, err := Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, exs...)
	}
	return out, nil
}

// ParseMarkup turns "call {{PHONE|138 1234 5678}}" into its text and spans.
func ParseMarkup(s string) (Example, error) {
	var ex Example
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			if strings.Contains(s, "}}") {
				return ex, fmt.Errorf("%w: stray }}", ErrMarkup)
			}
			b.WriteString(s)
			break
		}
		if strings.Contains(s[:i], "}}") {
			return ex, fmt.Errorf("%w: stray }}", ErrMarkup)
		}
		b.WriteString(s[:i])
		s = s[i+2:]
		j := strings.Index(s, "}}")
		if j < 0 {
			return ex, fmt.Errorf("%w: unclosed {{", ErrMarkup)
		}
		typ, val, ok := strings.Cut(s[:j], "|")
		if !ok || val == "" || strings.Contains(val, "{{") {
			return ex, fmt.Errorf("%w: %q is not TYPE|value", ErrMarkup, s[:j])
		}
		t := pii.Type(typ)
		if !slices.Contains(pii.AllTypes, t) {
			return ex, fmt.Errorf("%w: unknown type %q", ErrMarkup, typ)
		}
		start := b.Len()
		b.WriteString(val)
		ex.Gold = append(ex.Gold, pii.Span{Type: t, Start: start, End: b.Len(), Value: val})
		s = s[j+2:]
	}
	ex.Text = b.String()
	return ex, nil
}

// Counts are the tallies for one type (or all types).
type Counts struct {
	Gold      int `json:"gold"`      // labelled spans
	Predicted int `json:"predicted"` // spans Scan returned
	Recalled  int `json:"recalled"`  // gold spans overlapped by a same-type prediction
	Correct   int `json:"correct"`   // predictions overlapping a same-type gold span
	Exact     int `json:"exact"`     // predictions equal to a gold span
}

// Recall is Recalled/Gold (1 when there is nothing to find).
func (c Counts) Recall() float64 {
	if c.Gold == 0 {
		return 1
	}
	return float64(c.Recalled) / float64(c.Gold)
}

// Precision is Correct/Predicted (1 when nothing was predicted).
func (c Counts) Precision() float64 {
	if c.Predicted == 0 {
		return 1
	}
	return float64(c.Correct) / float64(c.Predicted)
}

// Miss is one error, for reports.
type Miss struct {
	Line int      `json:"line"`
	Kind string   `json:"kind"` // "missed" (false negative) or "spurious" (false positive)
	Span pii.Span `json:"span"`
	Text string   `json:"text"`
}

// Report is the result of Evaluate.
type Report struct {
	Messages int                 `json:"messages"`
	Locales  []string            `json:"locales"`
	Overall  Counts              `json:"overall"`
	ByType   map[pii.Type]Counts `json:"by_type"`
	// ByLanguage tallies every type per language: the primary subtag of
	// the message's locale ("de" for de-AT), except zh-CN and zh-TW,
	// which stay apart (simplified and traditional script); "-" for none.
	ByLanguage map[string]Counts `json:"by_language"`
	Misses     []Miss            `json:"misses,omitempty"`
}

// Evaluate runs pii.Scan with opts on every example and scores it.
func Evaluate(examples []Example, opts pii.Options) Report {
	rep := Report{Messages: len(examples), ByType: map[pii.Type]Counts{}, ByLanguage: map[string]Counts{}}
	locales := map[string]bool{}
	for _, ex := range examples {
		if ex.Locale != "" {
			locales[ex.Locale] = true
		}
		pred := pii.Scan(ex.Text, opts)
		lang := language(ex.Locale)
		cl := rep.ByLanguage[lang]
		for _, g := range ex.Gold {
			c := rep.ByType[g.Type]
			c.Gold++
			cl.Gold++
			if overlapsSame(g, pred) {
				c.Recalled++
				cl.Recalled++
			} else {
				rep.Misses = append(rep.Misses, Miss{Line: ex.Line, Kind: "missed", Span: g, Text: ex.Text})
			}
			rep.ByType[g.Type] = c
		}
		for _, p := range pred {
			c := rep.ByType[p.Type]
			c.Predicted++
			cl.Predicted++
			if overlapsSame(p, ex.Gold) {
				c.Correct++
				cl.Correct++
			} else {
				rep.Misses = append(rep.Misses, Miss{Line: ex.Line, Kind: "spurious", Span: p, Text: ex.Text})
			}
			for _, g := range ex.Gold {
				if g.Type == p.Type && g.Start == p.Start && g.End == p.End {
					c.Exact++
					cl.Exact++
				}
			}
			rep.ByType[p.Type] = c
		}
		rep.ByLanguage[lang] = cl
	}
	for _, c := range rep.ByType {
		rep.Overall.Gold += c.Gold
		rep.Overall.Predicted += c.Predicted
		rep.Overall.Recalled += c.Recalled
		rep.Overall.Correct += c.Correct
		rep.Overall.Exact += c.Exact
	}
	for l := range locales {
		rep.Locales = append(rep.Locales, l)
	}
	sort.Strings(rep.Locales)
	return rep
}

// language is the key of Report.ByLanguage for a locale.
func language(locale string) string {
	l := strings.ToLower(strings.ReplaceAll(locale, "_", "-"))
	switch {
	case l == "":
		return "-"
	case l == "zh-tw" || l == "zh-hk" || strings.HasPrefix(l, "zh-hant"):
		return "zh-TW"
	case l == "zh" || strings.HasPrefix(l, "zh-"):
		return "zh-CN"
	}
	l, _, _ = strings.Cut(l, "-")
	return l
}

func overlapsSame(s pii.Span, in []pii.Span) bool {
	for _, o := range in {
		if o.Type == s.Type && s.Start < o.End && o.Start < s.End {
			return true
		}
	}
	return false
}

// WriteTable prints the report as a plain-text table.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "messages %d, locales %d (%s)\n", r.Messages, len(r.Locales), strings.Join(r.Locales, " "))
	fmt.Fprintf(&b, "%-9s %6s %6s %8s %10s %7s\n", "type", "gold", "pred", "recall", "precision", "exact")
	row := func(name string, c Counts) {
		fmt.Fprintf(&b, "%-9s %6d %6d %7.2f%% %9.2f%% %7d\n", name, c.Gold, c.Predicted, 100*c.Recall(), 100*c.Precision(), c.Exact)
	}
	for _, t := range pii.AllTypes {
		if c, ok := r.ByType[t]; ok {
			row(string(t), c)
		}
	}
	row("overall", r.Overall)
	if len(r.ByLanguage) > 1 {
		langs := make([]string, 0, len(r.ByLanguage))
		for l := range r.ByLanguage {
			langs = append(langs, l)
		}
		sort.Strings(langs)
		fmt.Fprintf(&b, "%-9s %6s %6s %8s %10s %7s\n", "language", "gold", "pred", "recall", "precision", "exact")
		for _, l := range langs {
			row(l, r.ByLanguage[l])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
