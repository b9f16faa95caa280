package pdk

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode/utf8"
)

// Trigger phrases (plugins/ABI.md section 2.1, ABI 1.2): a plugin whose
// inbound and outbound handlers act only on texts containing certain words
// (sensitive-alert's watch list) names them, and the host skips its calls
// for every other text — a skipped call costs no guest code at all.

// Bounds of the host (plugins/ABI.md section 2.1): past them EncodeTriggers
// gives no filter.
const (
	maxTriggerBytes   = 64 << 10
	maxTriggerPhrases = 4096
	maxTriggerPhrase  = 1024
)

var triggersFn func(tenant string) []string

// Triggers registers f, which returns a tenant's trigger phrases: the
// plugin promises that its inbound and outbound handlers return Pass()
// with no labels for every message whose text, lower-cased as
// strings.ToLower, contains none of them. The host asks once per tenant
// and plugin version (an instance's config is fixed) and keeps the answer.
// No phrases (nil) means no message needs the handlers. The phrases are
// lower-cased here; an empty phrase, or a list past the
// host's bounds (4,096 phrases, 1 KiB each, 64 KiB in all), sends every
// message to the handlers. Call it from init.
func Triggers(f func(tenant string) []string) { triggersFn = f }

// EncodeTriggers appends phrases, lower-cased, to dst in the layout of a
// kefu_triggers answer (a u32 count, then per phrase a u32 length and its
// bytes). ok is false when the list cannot filter: an empty phrase, or past
// the host's bounds.
func EncodeTriggers(dst []byte, phrases []string) (out []byte, ok bool) {
	if len(phrases) > maxTriggerPhrases {
		return dst, false
	}
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(phrases)))
	for _, p := range phrases {
		p = strings.ToLower(p)
		if p == "" || len(p) > maxTriggerPhrase {
			return dst[:start], false
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p)))
		dst = append(dst, p...)
		if len(dst)-start > maxTriggerBytes {
			return dst[:start], false
		}
	}
	return dst, true
}

// Standing answers (plugins/ABI.md section 2.2, ABI 1.3): a plugin that
// labels every message (gdpr-residency: the region, stripped labels) but
// reads the text only for its trigger phrases says what its handlers
// return without them, and under which label conditions; the host then
// answers for it without entering the guest. A 1.2 host finds the
// answer's extra bytes malformed and calls the guest for every message.

// LabelOp is how a standing answer sets one label.
type LabelOp byte

// Label operations of a standing answer.
const (
	// LabelSet sets the label to Value ("" deletes it, as in a Result).
	LabelSet LabelOp = 0
	// LabelField sets the label to the envelope field Value names:
	// "tenant", "region", "channel" or "visitor".
	LabelField LabelOp = 1
	// LabelStrip deletes the label when the envelope has it (the handler's
	// WithLabel(k, "") only for a label present).
	LabelStrip LabelOp = 2
)

// StandingLabel is one label of a standing answer.
type StandingLabel struct {
	Op         LabelOp
	Key, Value string
}

// Covers is a condition of a standing answer: it holds when the value of
// label Label, split at commas, contains every one of Items; with no
// Items, when the label is absent or empty.
type Covers struct {
	Label string
	Items []string
}

// Standing is what the inbound and outbound handlers return, verdict pass,
// for a message whose text holds none of the trigger phrases, provided
// every condition holds (else the host calls the handler). Labels are
// applied as one result: each key at most once.
type Standing struct {
	// Fold matches the phrases on the text lower-cased with every run of
	// white space written as one space (phrase.AppendFold), instead of
	// lower-cased only.
	Fold   bool
	Labels []StandingLabel
	Needs  []Covers
	// Scan: the answer holds only when the host's personal-data detector,
	// run as PIIScan(text, ScanTypes, ScanLocales) would run it, finds no
	// span in the text (and the text is within PIIScan's 64 KiB).
	Scan                   bool
	ScanTypes, ScanLocales []string
	// Mask (ABI 1.4, with Scan): when the detector finds spans, the
	// handlers return what Masking says instead, and the host makes that
	// answer itself (nil: the host calls the handler then).
	Mask *Masking
}

// Masking is a standing answer's result for a message in which the host's
// detector (as PIIScan(text, ScanTypes, ScanLocales)) finds spans: verdict
// modify, the text masked as pii.Mask(text, spans) when it holds spans,
// and besides the standing labels (plugins/ABI.md section 2.2):
//   - Tokens (if not ""): with the "vault" grant, each span's value of the
//     text stored as VaultPut(type, value) does, in order, listed as
//     "TYPE:token,…" ("TYPE:-" where VaultPut fails, nothing after the
//     item that would take it over 1 KiB; no label when VaultPut is not
//     granted);
//   - each label that label List names (split at ',', ' ' and '\n') and
//     the envelope has, masked as the text when the detector finds spans
//     in it (those values are not stored);
//   - Types (if not ""): the envelope's value of that label (split as
//     List) and the types of all spans found, sorted, without repeats,
//     joined by commas.
//
// A message whose text and listed labels hold no span gets the standing
// answer. The three keys are "" or label keys, none twice, none among the
// standing labels.
type Masking struct {
	Tokens, Types, List string
}

// MaskSpans adds the answer with spans (Masking); it needs NoSpans.
func (s *Standing) MaskSpans(tokens, types, list string) *Standing {
	s.Mask = &Masking{tokens, types, list}
	return s
}

// Set adds label k = v.
func (s *Standing) Set(k, v string) *Standing {
	s.Labels = append(s.Labels, StandingLabel{LabelSet, k, v})
	return s
}

// SetField adds label k = the envelope's field ("region", …).
func (s *Standing) SetField(k, field string) *Standing {
	s.Labels = append(s.Labels, StandingLabel{LabelField, k, field})
	return s
}

// Strip adds: delete label k when the envelope has it.
func (s *Standing) Strip(k string) *Standing {
	s.Labels = append(s.Labels, StandingLabel{LabelStrip, k, ""})
	return s
}

// NoSpans adds the condition that PIIScan(text, types, locales) finds
// nothing.
func (s *Standing) NoSpans(types, locales []string) *Standing {
	s.Scan, s.ScanTypes, s.ScanLocales = true, types, locales
	return s
}

// Require adds the condition that label's value lists every item; with
// no items, that the label is absent or empty.
func (s *Standing) Require(label string, items ...string) *Standing {
	s.Needs = append(s.Needs, Covers{label, items})
	return s
}

// Bounds of a standing answer on the host (plugins/ABI.md section 2.2).
const (
	maxStandingLabels = 32
	maxStandingConds  = 32
	maxCondItems      = 64
	maxCondItem       = 64
	maxLabelKey       = 64
	maxLabelValue     = 1 << 10
	maxScanList       = 1 << 10 // pii_scan's types or locales
)

var standingFields = map[string]bool{"tenant": true, "region": true, "channel": true, "visitor": true}

var triggersWithFn func(tenant string) ([]string, *Standing)

// TriggersWith registers f, which returns a tenant's trigger phrases and
// the standing answer for texts without them (nil: pass with no labels,
// as Triggers). The plugin promises that for every such message its
// inbound and outbound handlers return exactly that answer. A phrase list
// or answer past the host's bounds sends every message to the handlers.
// Call it from init; it replaces Triggers.
func TriggersWith(f func(tenant string) ([]string, *Standing)) { triggersWithFn = f }

// EncodeStanding appends s in the layout of section 2.2 (after the
// phrases of EncodeTriggers): u32 flags (1 = fold), u32 label count, per
// label u8 op, key and value; u32 condition count, per condition its
// label, u32 item count and the items; strings as a u32 length and bytes.
// ok is false when s breaks a rule of the host (a bad key, a key twice, an
// unknown field, a bound).
func EncodeStanding(dst []byte, s *Standing) (out []byte, ok bool) {
	if s == nil || !s.valid() {
		return dst, false
	}
	flags := uint32(0)
	if s.Fold {
		flags |= 1
	}
	if s.Scan {
		flags |= 2
	}
	if s.Mask != nil {
		flags |= 4
	}
	dst = binary.LittleEndian.AppendUint32(dst, flags)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s.Labels)))
	for _, l := range s.Labels {
		dst = append(dst, byte(l.Op))
		dst = appendStr(appendStr(dst, l.Key), l.Value)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s.Needs)))
	for _, c := range s.Needs {
		dst = appendStr(dst, c.Label)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(c.Items)))
		for _, it := range c.Items {
			dst = appendStr(dst, it)
		}
	}
	if s.Scan {
		dst = appendStr(dst, strings.Join(s.ScanTypes, ","))
		dst = appendStr(dst, strings.Join(s.ScanLocales, ","))
	}
	if s.Mask != nil {
		dst = appendStr(appendStr(appendStr(dst, s.Mask.Tokens), s.Mask.Types), s.Mask.List)
	}
	return dst, true
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func (s *Standing) valid() bool {
	if len(s.Labels) > maxStandingLabels || len(s.Needs) > maxStandingConds {
		return false
	}
	seen := make(map[string]bool, len(s.Labels))
	for _, l := range s.Labels {
		if !validKey(l.Key) || seen[l.Key] {
			return false
		}
		seen[l.Key] = true
		switch l.Op {
		case LabelSet:
			if len(l.Value) > maxLabelValue || !utf8.ValidString(l.Value) {
				return false
			}
		case LabelField:
			if !standingFields[l.Value] {
				return false
			}
		case LabelStrip:
			if l.Value != "" {
				return false
			}
		default:
			return false
		}
	}
	for _, c := range s.Needs {
		if !validKey(c.Label) || len(c.Items) > maxCondItems {
			return false
		}
		for _, it := range c.Items {
			if it == "" || len(it) > maxCondItem || strings.Contains(it, ",") || !utf8.ValidString(it) {
				return false
			}
		}
	}
	if s.Scan && (len(strings.Join(s.ScanTypes, ",")) > maxScanList || len(strings.Join(s.ScanLocales, ",")) > maxScanList) {
		return false
	}
	return s.Mask == nil || s.Scan && s.Mask.valid(seen)
}

// valid: each key "" or a label key, none twice, none a standing label's.
func (m *Masking) valid(labels map[string]bool) bool {
	keys := []string{m.Tokens, m.Types, m.List}
	for i, k := range keys {
		if k != "" && (!validKey(k) || labels[k] || slices.Contains(keys[:i], k)) {
			return false
		}
	}
	return true
}

// validKey is the host's rule for a label key: 1–64 bytes of [a-z0-9_.-].
func validKey(k string) bool {
	if k == "" || len(k) > maxLabelKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// encodeTriggerAnswer is the whole kefu_triggers answer for tenant, ok
// false for none (every message to the handlers).
func encodeTriggerAnswer(dst []byte, tenant string) ([]byte, bool) {
	if triggersWithFn != nil {
		phrases, s := triggersWithFn(tenant)
		out, ok := EncodeTriggers(dst, phrases)
		if !ok || s == nil {
			return out, ok
		}
		if out, ok = EncodeStanding(out, s); !ok || len(out)-len(dst) > maxTriggerBytes {
			return dst, false
		}
		return out, true
	}
	if triggersFn == nil {
		return dst, false
	}
	return EncodeTriggers(dst, triggersFn(tenant))
}
