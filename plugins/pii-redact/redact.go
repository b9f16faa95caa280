package main

import (
	"errors"
	"slices"
	"strings"
	"sync"

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
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
}

// notKept is chat.NotKept: a masked value the vault did not keep (the
// plugin does not import chat, to stay small).
const notKept = "-"

// shopperFields is chat.LabelShopperFields: the labels whose values a
// shopper controls, masked like the text.
const shopperFields = "shopper_fields"

// maxLabel is the ABI's limit on a label value (plugins/ABI.md section 5).
const maxLabel = 1 << 10

// redact masks env's text. It returns pass when nothing was found, with
// label pii_checked listing the types it looked for when it looked in
// every locale (pii.LabelChecked). With
// put (pdk.VaultPut, "vault" grant) each masked value is also stored in
// the region's vault and label "pii_tokens" lists TYPE:token in order of
// appearance; values past the label's 1 KiB limit are masked but not kept.
//
// The values of the labels the edge lists in "shopper_fields"
// (chat.LabelShopperFields: page context, names) are masked the same way;
// their values are not kept in the vault (pii_tokens lists the text's
// placeholders only), and their types join label "pii".
func redact(env *pdk.Envelope, o pii.Options, put func(typ, value string) (string, error)) pdk.Result {
	r := scanRedact(env.Message.Text, o)
	res := pdk.Pass()
	// one labels map for the whole result (pdk.Result.WithLabel copies
	// the map on every call; each new map costs an allocation and its
	// hash seed inside the guest)
	labels := make(map[string]string, 4)
	found := r.Spans
	if len(r.Spans) > 0 {
		res = pdk.ModifyText(r.Text)
		if tokens := vaultTokens(r.Spans, put); tokens != "" {
			labels["pii_tokens"] = tokens
		}
	}
	for _, k := range splitList(env.Label(shopperFields)) {
		v, ok := env.Labels[k]
		if !ok {
			continue
		}
		if lr := scanRedact(v, o); len(lr.Spans) > 0 {
			if res.Verdict == pdk.VerdictPass || res.Verdict == "" {
				res.Verdict = pdk.VerdictModify
			}
			labels[k] = lr.Text
			found = append(found, lr.Spans...)
		}
	}
	if len(found) > 0 {
		labels["pii"] = typesLabel(found, env.Label("pii"))
	}
	if checked := checkedLabel(o); checked != "" {
		labels[pii.LabelChecked] = checked // gdpr-residency need not scan again
	}
	if len(labels) > 0 {
		res.Labels = labels
	}
	return res
}

// scanRedact is pii.Redact(text, o) with the scan run by the host's
// detector (pdk.PIIScan: the same package plugins/pii, natively, ~25×
// cheaper than inside this Go guest). When the host refuses (a text over
// its 64 KiB limit, the call's scan budget spent, a native test without a
// pdk.Test.PIIScan) the scan runs here, so the result never depends on it.
func scanRedact(text string, o pii.Options) pii.Result {
	hs, err := pdk.PIIScan(text, typeNames(o), o.Locales)
	if err != nil {
		return pii.Redact(text, o)
	}
	if len(hs) == 0 {
		return pii.Result{Text: text}
	}
	spans := make([]pii.Span, len(hs))
	for i, s := range hs {
		spans[i] = pii.Span{Type: pii.Type(s.Type), Start: s.Start, End: s.End, Value: text[s.Start:s.End]}
	}
	return pii.Result{Text: pii.Mask(text, spans), Spans: spans}
}

// checkedLabel is pii.CheckedLabel(o), computed once for the options of
// the last call (an instance's options do not change).
func checkedLabel(o pii.Options) string {
	checkedMu.Lock()
	defer checkedMu.Unlock()
	if checkedFor.ok && slices.Equal(checkedFor.o.Types, o.Types) && slices.Equal(checkedFor.o.Locales, o.Locales) {
		return checkedFor.label
	}
	checkedFor.o, checkedFor.label, checkedFor.ok = o, pii.CheckedLabel(o), true
	return checkedFor.label
}

var (
	checkedMu  sync.Mutex
	checkedFor struct {
		o     pii.Options
		label string
		ok    bool
	}
)

// vaultTokens stores each span's value through put and returns the
// "TYPE:token,…" label value. It stops at the first ErrNotGranted (the
// region keeps no vault for this plugin); a value that fails otherwise is
// listed as "TYPE:-" (chat.NotKept), so later tokens keep their places.
func vaultTokens(spans []pii.Span, put func(typ, value string) (string, error)) string {
	if put == nil {
		return ""
	}
	var b strings.Builder
	for _, s := range spans {
		tok, err := put(string(s.Type), s.Value)
		if errors.Is(err, pdk.ErrNotGranted) {
			return ""
		}
		if err != nil {
			pdk.Logf(pdk.LevelWarn, "pii-redact: vault: %v", err)
			tok = notKept
		}
		item := string(s.Type) + ":" + tok
		if b.Len() > 0 {
			item = "," + item
		}
		if b.Len()+len(item) > maxLabel {
			break
		}
		b.WriteString(item)
	}
	return b.String()
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

// standing is what redact returns with o: when the host's detector finds
// no span in the text nor in the labels shopper_fields names (scanRedact
// then masks nothing), pass with pii_checked, if any; else (ABI 1.4,
// pdk.Masking) the text and those labels masked, pii_tokens from
// vaultTokens with pdk.VaultPut, pii merged by typesLabel, and pii_checked.
func standing(o pii.Options) *pdk.Standing {
	s := (&pdk.Standing{}).NoSpans(typeNames(o), o.Locales).MaskSpans("pii_tokens", "pii", shopperFields)
	if checked := pii.CheckedLabel(o); checked != "" {
		s.Set(pii.LabelChecked, checked)
	}
	return s
}

// typeNames are o's types as scanRedact passes them to pdk.PIIScan.
func typeNames(o pii.Options) []string {
	if len(o.Types) == 0 {
		return nil
	}
	types := make([]string, len(o.Types))
	for i, t := range o.Types {
		types[i] = string(t)
	}
	return types
}
