package main

import (
	"slices"
	"strings"

	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/pii"
)

// optionsFromConfig reads "types" and "locales" through get (pdk.Config).
// Unknown type names are ignored with everything else, never widened.
func optionsFromConfig(get func(string) (string, bool)) pii.Options {
	var o pii.Options
	if v, ok := get("types"); ok {
		for _, t := range splitList(v) {
			tt := pii.Type(strings.ToUpper(t))
			if slices.Contains(pii.AllTypes, tt) {
				o.Types = append(o.Types, tt)
			}
		}
		if len(o.Types) == 0 { // configured, but nothing valid: mask everything rather than nothing
			o.Types = nil
		}
	}
	if v, ok := get("locales"); ok {
		o.Locales = splitList(v)
	}
	return o
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		out = append(out, p)
	}
	return out
}

// redact masks env's text. It returns pass when nothing was found.
func redact(env *pdk.Envelope, o pii.Options) pdk.Result {
	r := pii.Redact(env.Message.Text, o)
	if len(r.Spans) == 0 {
		return pdk.Pass()
	}
	return pdk.ModifyText(r.Text).WithLabel("pii", typesLabel(r.Spans, env.Label("pii")))
}

// typesLabel merges the types of spans into an existing "pii" label value,
// sorted and without repeats.
func typesLabel(spans []pii.Span, prev string) string {
	var ts []string
	for _, p := range splitList(prev) {
		ts = append(ts, p)
	}
	for _, s := range spans {
		ts = append(ts, string(s.Type))
	}
	slices.Sort(ts)
	return strings.Join(slices.Compact(ts), ",")
}
