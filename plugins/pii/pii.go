// Package pii finds personal data in shopper messages and masks it with typed
// placeholders ([PHONE], [EMAIL], [CARD], [ID], [IBAN], [PASSPORT], [ADDRESS]).
//
// It is pure Go on the standard library only, so the same code runs natively
// (central, `kefu pii scan`) and inside the pii-redact plugin (GOOS=wasip1).
//
// # How detection works
//
// Detection is rule based, not a model: each detector finds candidates with a
// hand-written scanner and keeps those that pass a validator (Luhn for cards,
// the ISO 7064 checksum for PRC resident ids, mod-97 for IBANs, the calendar
// for birth dates, national numbering plans for phones). Numbers without a
// checksum (phones, passports) are decided from their shape and the words in
// front of them: "电话", "phone", "Telefon"… make a number a phone, "订单",
// "order", "Bestellung", "tracking"… make it an order or parcel number, which
// is never masked. The nearest context word wins.
//
// Offsets in a Span are byte offsets into the input string; spans returned by
// Scan are sorted and never overlap.
//
// The measured recall and precision on plugins/pii/testdata/test.jsonl are
// printed by `kefu pii eval --data plugins/pii/testdata/test.jsonl` and held
// above the goals by TestAccuracy.
package pii

import (
	"slices"
	"strings"
)

// Type is the kind of personal data a Span holds.
type Type string

// The types Scan reports. The placeholder of a type is "[" + Type + "]".
const (
	Phone    Type = "PHONE"    // mobile and landline numbers, E.164 and national formats
	Email    Type = "EMAIL"    // e-mail addresses
	Card     Type = "CARD"     // payment card numbers (Luhn-valid, known issuer prefix)
	ID       Type = "ID"       // national identity numbers with a checksum (PRC resident id…)
	IBAN     Type = "IBAN"     // international bank account numbers (mod-97 valid)
	Passport Type = "PASSPORT" // passport-like document numbers after a passport keyword
	Address  Type = "ADDRESS"  // street addresses (street line: number and street name)
)

// AllTypes lists every Type in the order of precedence used when two
// candidates overlap with the same length.
var AllTypes = []Type{Email, IBAN, Card, ID, Passport, Phone, Address}

// LabelChecked is the envelope label with which a plugin that masked a
// message's text in every locale lists the types it masked (sorted,
// comma-separated: "ADDRESS,CARD,…"), so that a later plugin of the same
// pipeline need not scan the text again (gdpr-residency after pii-redact).
// Shoppers cannot set it: the edge keeps only whitelisted client labels.
const LabelChecked = "pii_checked"

// CheckedLabel returns the LabelChecked value for a scan with o, or "" when
// o restricts the locales (such a scan does not cover every grammar).
func CheckedLabel(o Options) string {
	if len(o.Locales) > 0 {
		return ""
	}
	ts := make([]string, 0, len(AllTypes))
	for _, t := range AllTypes {
		if o.wants(t) {
			ts = append(ts, string(t))
		}
	}
	slices.Sort(ts)
	return strings.Join(ts, ",")
}

// Checked reports whether label (a LabelChecked value) lists every type
// of ts.
func Checked(label string, ts []Type) bool {
	if label == "" {
		return false
	}
	for _, t := range ts {
		found := false
		for rest := label; rest != "" && !found; {
			var item string
			item, rest, _ = strings.Cut(rest, ",")
			found = item == string(t)
		}
		if !found {
			return false
		}
	}
	return true
}

// Placeholder returns the mask written in place of a value of type t.
func Placeholder(t Type) string { return "[" + string(t) + "]" }

// Span is one piece of personal data found in a text.
type Span struct {
	// Type is the kind of data.
	Type Type `json:"type"`
	// Start and End are byte offsets into the scanned text: text[Start:End] == Value.
	Start int `json:"start"`
	End   int `json:"end"`
	// Value is the text of the span.
	Value string `json:"value,omitempty"`
}

// Options selects what Scan looks for. The zero value scans for every type
// in every supported locale. Options is a plain value, safe to share.
type Options struct {
	// Types restricts detection to these types. Default: all types.
	Types []Type
	// Locales restricts locale-specific grammars (street addresses, national
	// id numbers, national phone numbering plans) to these BCP-47 language
	// tags or prefixes ("zh", "de", "en-GB"). Locale-neutral detectors
	// (e-mail, E.164, cards, IBAN) always run. Default: all locales.
	Locales []string
}

// wants reports whether the options ask for type t.
func (o *Options) wants(t Type) bool {
	return len(o.Types) == 0 || slices.Contains(o.Types, t)
}

// locale reports whether the options enable the language lang ("zh", "de").
func (o *Options) locale(lang string) bool {
	if len(o.Locales) == 0 {
		return true
	}
	for _, l := range o.Locales {
		l = strings.ToLower(l)
		if l == lang || strings.HasPrefix(l, lang+"-") || strings.HasPrefix(l, lang+"_") {
			return true
		}
	}
	return false
}

// Result is a masked text and the spans that were masked (offsets into the
// original text).
type Result struct {
	Text  string
	Spans []Span
}

// Scan returns the personal data found in text, sorted by Start, never
// overlapping. It is safe for concurrent use and never panics on any input,
// including invalid UTF-8.
//
// Detection sees through characters that do not change what a reader sees
// (fold: zero-width and other format characters, no-break spaces,
// full-width and non-Latin digits); the spans are offsets into text itself,
// so a span may include such characters and Value is the original text.
func Scan(text string, opts Options) []Span {
	if f, ok := fold(text); ok {
		return f.spans(text, scan(f.text, opts))
	}
	return scan(text, opts)
}

// scan is Scan without folding.
func scan(text string, opts Options) []Span {
	var cbuf [8]Span // the candidates (resolve copies those it keeps)
	c := cbuf[:0]
	if opts.wants(Email) {
		c = scanEmails(text, c)
	}
	if opts.wants(IBAN) {
		c = scanIBANs(text, c)
	}
	c = scanNumbers(text, &opts, c)
	if opts.wants(Passport) {
		c = scanPassports(text, &opts, c)
	}
	if opts.wants(Address) {
		c = scanAddresses(text, &opts, c)
	}
	return resolve(text, c)
}

// Redact masks every span Scan finds with its placeholder.
func Redact(text string, opts Options) Result {
	spans := Scan(text, opts)
	return Result{Text: Mask(text, spans), Spans: spans}
}

// Mask replaces each span of text with its placeholder. spans must be sorted
// and non-overlapping, as Scan returns them; spans outside text are ignored.
func Mask(text string, spans []Span) string {
	if len(spans) == 0 {
		return text
	}
	n, last := len(text), 0
	for _, s := range spans {
		if s.Start < last || s.End > len(text) || s.Start >= s.End {
			continue
		}
		n += len(s.Type) + 2 - (s.End - s.Start)
		last = s.End
	}
	var b strings.Builder
	b.Grow(n)
	last = 0
	for _, s := range spans {
		if s.Start < last || s.End > len(text) || s.Start >= s.End {
			continue
		}
		b.WriteString(text[last:s.Start])
		b.WriteByte('[')
		b.WriteString(string(s.Type))
		b.WriteByte(']')
		last = s.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// rank orders types for tie breaks: lower is preferred.
func rank(t Type) int {
	if i := slices.Index(AllTypes, t); i >= 0 {
		return i
	}
	return len(AllTypes)
}

// resolve sorts candidates and drops overlaps: a longer candidate beats a
// shorter one it overlaps; equal lengths go by type rank.
func resolve(text string, c []Span) []Span {
	if len(c) == 0 {
		return nil
	}
	slices.SortFunc(c, func(a, b Span) int {
		if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
			return lb - la
		}
		if ra, rb := rank(a.Type), rank(b.Type); ra != rb {
			return ra - rb
		}
		return a.Start - b.Start
	})
	out := make([]Span, 0, len(c))
	for _, s := range c {
		if s.Start < 0 || s.End > len(text) || s.Start >= s.End {
			continue
		}
		clash := false
		for _, o := range out {
			if s.Start < o.End && o.Start < s.End {
				clash = true
				break
			}
		}
		if !clash {
			s.Value = text[s.Start:s.End]
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Span) int { return a.Start - b.Start })
	return out
}
