package pluginhost

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/vault"
	"github.com/kefu-io/kefu/plugins/pii"
)

// Mask answers (plugins/ABI.md section 2.2, ABI 1.4): a guest whose
// standing answer scans may also say what it answers when the detector
// finds spans — the text masked with pii.Mask, each value sealed as
// vault_put seals it and listed in a label, the labels another label
// names masked the same way, the types found merged into a label — and
// the host answers that itself. Nothing here knows any plugin: a guest
// that does anything else declares no mask answer.

// maskAnswer names the labels of a mask answer; "" leaves one out.
type maskAnswer struct {
	tokens string // "TYPE:token,…" of the text's spans in order ("TYPE:-": not kept)
	types  string // the types found, merged into the envelope's value
	list   string // the label listing (at ',', ' ', '\n') the labels to mask
}

// maskAnswer reads the three label keys after the scan lists; each is ""
// or a label key, none twice, none a standing label's.
func (r *answerReader) maskAnswer(labels []answerLabel) *maskAnswer {
	m := &maskAnswer{
		tokens: r.str("tokens label", maxLabelKeyLen),
		types:  r.str("types label", maxLabelKeyLen),
		list:   r.str("list label", maxLabelKeyLen),
	}
	keys := []string{m.tokens, m.types, m.list}
	for i, k := range keys {
		if r.err != nil || k == "" {
			continue
		}
		if !validLabelKey(k) || slices.Contains(keys[:i], k) || slices.ContainsFunc(labels, func(l answerLabel) bool { return l.key == k }) {
			r.fail("mask label %q", k)
		}
	}
	return m
}

// sealer is what a mask answer needs of the call: the region's vault as
// vault_put reaches it and the limit on a result's text.
type sealer struct {
	vault    *vault.Vault
	granted  bool // the plugin holds CapVault
	maxText  int  // DecodeResult's
	log      *slog.Logger
	name, in string // plugin and region, for the log
}

// sealerOf is d's sealer.
func (h *Host) sealerOf(d *deployment) sealer {
	maxText := d.limits.MaxTextBytes
	if maxText <= 0 {
		maxText = 4 << 10
	}
	return sealer{vault: h.vaults[d.region], granted: d.settings.granted(CapVault), maxText: maxText, log: h.log, name: d.name, in: d.region}
}

// seal is vault_put's work once the guest's buffers are read (hostVaultPut
// and mask answers): value sealed under typ in the region's vault for
// (tenant, visitor, conv) and its token, or the ABI code of the failure.
func (s *sealer) seal(tenant, visitor, conv, typ, value string) (string, int32) {
	switch {
	case len(value) > maxVaultValue:
		return "", codeTooLarge
	case value == "" || !validVaultType([]byte(typ)) || s.vault == nil:
		return "", codeInvalid
	}
	token, err := s.vault.PutVisitor(tenant, visitor, conv, typ, value)
	if err != nil {
		s.log.Error("plugin vault_put", "plugin", s.name, "region", s.in, "err", err)
		return "", codeIO
	}
	return token, 0
}

// put is vault_put's answer for value as the guest sees it: the token, or
// "-" (chat.NotKept) where vault_put fails with anything but not granted.
func (s *sealer) put(env *chat.Envelope, typ, value string) string {
	token, code := s.seal(env.Tenant, env.Visitor, env.Message.ConversationID, typ, value)
	if code != 0 {
		return chat.NotKept
	}
	return token
}

// tokens seals each span's value and lists "TYPE:token" in order, within
// a label's 1 KiB (a value sealed past it is not listed); "" without the
// grant.
func (s *sealer) tokens(env *chat.Envelope, spans []pii.Span) string {
	if !s.granted {
		return ""
	}
	var buf [256]byte
	b := buf[:0]
	for _, sp := range spans {
		tok := s.put(env, string(sp.Type), sp.Value)
		n := len(sp.Type) + 1 + len(tok)
		if len(b) > 0 {
			n++
		}
		if len(b)+n > maxLabelValueLen {
			break
		}
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(append(append(b, sp.Type...), ':'), tok...)
	}
	return string(b)
}

// answer is the guest's result for env whose text (as the guest gets it)
// holds spans, labels the standing labels (the map is the answer's own:
// the result's labels are added to it); false (with the prescan) when
// the host cannot make it as the guest would: a listed label that is no
// label key, is one of the answer's own or is over pii_scan's limit, or a
// result past the ABI's limits (the guest's would be refused). Values are
// sealed only once the answer is certain.
func (m *maskAnswer) answer(env *chat.Envelope, text string, spans []pii.Span, labels map[string]string, a *standingAnswer, s *sealer) (Result, bool, *prescan) {
	masked, found, ok := m.maskLabels(env, a)
	if !ok || s == nil {
		return Result{}, false, a.preFor(text, spans)
	}
	if len(spans) == 0 && len(found) == 0 {
		return Result{Verdict: Pass, Labels: labels}, true, nil
	}
	out := labels // no key of masked is a standing label's (maskLabels)
	if out == nil {
		out = make(map[string]string, len(masked)+2)
	}
	for k, v := range masked {
		out[k] = v
	}
	res := Result{Verdict: Modify}
	if len(spans) > 0 {
		t := pii.Mask(text, spans)
		if len(t) > s.maxText {
			return Result{}, false, a.preFor(text, spans)
		}
		res.Text = &t
		if m.tokens != "" && s.granted {
			out[m.tokens] = "" // its place, counted below
		}
	}
	if m.types != "" {
		if out[m.types] = typesLabel(guestView(env.Labels[m.types]), found, spans); len(out[m.types]) > maxLabelValueLen {
			return Result{}, false, a.preFor(text, spans)
		}
	}
	if len(out) > maxLabels {
		return Result{}, false, a.preFor(text, spans)
	}
	if _, ok := out[m.tokens]; ok && m.tokens != "" {
		if out[m.tokens] = s.tokens(env, spans); out[m.tokens] == "" {
			delete(out, m.tokens)
		}
	}
	res.Labels = out
	return res, true, nil
}

// maskLabels masks the labels m.list names, as the guest would; ok is
// false when the host leaves that to the guest.
func (m *maskAnswer) maskLabels(env *chat.Envelope, a *standingAnswer) (masked map[string]string, found []pii.Span, ok bool) {
	if m.list == "" {
		return nil, nil, true
	}
	for _, k := range splitLabelList(guestView(env.Labels[m.list])) {
		if !validLabelKey(k) || k == m.tokens || k == m.types {
			return nil, nil, false
		}
		if slices.ContainsFunc(a.labels, func(l answerLabel) bool { return l.key == k }) {
			return nil, nil, false
		}
		v, ok := env.Labels[k]
		if !ok {
			continue
		}
		if v = guestView(v); len(v) > maxPIIText {
			return nil, nil, false
		}
		spans := pii.Scan(v, a.scanOpts)
		if len(spans) == 0 {
			continue
		}
		if mv := pii.Mask(v, spans); len(mv) <= maxLabelValueLen {
			if masked == nil {
				masked = map[string]string{}
			}
			masked[k] = mv
			found = append(found, spans...)
			continue
		}
		return nil, nil, false
	}
	return masked, found, true
}

// splitLabelList splits a label's list at commas, spaces and new lines,
// without empty items.
func splitLabelList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
}

// typesLabel merges the types of the spans into prev's list (split as
// splitLabelList), sorted, without repeats, joined by commas.
func typesLabel(prev string, spans ...[]pii.Span) string {
	var buf [16]string
	ts := buf[:0]
	for rest := prev; rest != ""; {
		i := strings.IndexAny(rest, ", \n")
		if i < 0 {
			ts = append(ts, rest)
			break
		}
		if i > 0 {
			ts = append(ts, rest[:i])
		}
		rest = rest[i+1:]
	}
	for _, ss := range spans {
		for _, s := range ss {
			ts = append(ts, string(s.Type))
		}
	}
	slices.Sort(ts)
	switch ts = slices.Compact(ts); len(ts) {
	case 0:
		return ""
	case 1:
		return ts[0]
	}
	n := len(ts) - 1
	for _, t := range ts {
		n += len(t)
	}
	var b strings.Builder
	b.Grow(n)
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t)
	}
	return b.String()
}
