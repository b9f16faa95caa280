package pluginhost

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/plugins/pii"
)

// Standing answers (plugins/ABI.md section 2.2, ABI 1.3): after its trigger
// phrases a guest may say what its handlers return for a message that has
// none of them — labels set to a value or to an envelope field, labels
// deleted when present — and which labels must hold which items for that
// to be so. The host then answers for the guest without entering it, and
// calls it whenever a phrase occurs or a condition fails. Nothing here
// knows any plugin: the rule is the guest's, the host only applies it.

// Bounds of a standing answer; past them the kefu_triggers answer is
// malformed (no filter: every message goes to the guest).
const (
	maxAnswerConds = 32
	maxCondItems   = 64
	maxCondItem    = 64
)

// Operations of a standing answer's label (section 2.2).
const (
	opSet   = 0 // set the label to the literal value ("" deletes it)
	opField = 1 // set the label to the envelope field the value names
	opStrip = 2 // delete the label when the envelope has it
)

// Flags of a standing answer.
const (
	// answerFlagFold: the phrases match the text lower-cased with every
	// run of white space written as one space (phrase.AppendFold) instead
	// of only lower-cased.
	answerFlagFold = 1
	// answerFlagScan: the answer holds only when the host's detector
	// (pii_scan with the types and locales after the conditions) finds no
	// span in the text.
	answerFlagScan = 2
	// answerFlagMask (ABI 1.4, with scan): when the detector finds spans,
	// the host answers modify itself (maskAnswer, mask.go).
	answerFlagMask = 4
)

// answerFields are the envelope fields an opField label may take.
var answerFields = []string{"tenant", "region", "channel", "visitor"}

// envField is the envelope field name (one of answerFields) of env, as the
// guest receives it before guestView. A switch, not a table of funcs: an
// indirect call would move every caller's envelope to the heap.
func envField(env *chat.Envelope, name string) string {
	switch name {
	case "tenant":
		return env.Tenant
	case "region":
		return env.Region
	case "channel":
		return string(env.Channel)
	case "visitor":
		return env.Visitor
	}
	return ""
}

// answerLabel is one label of a standing answer.
type answerLabel struct {
	op         byte
	key, value string
}

// answerCond holds when the label key's value, split at commas, contains
// every item; without items, when the label is absent or empty.
type answerCond struct {
	key   string
	items []string
	// all is the items sorted, without repeats, joined by commas: a label
	// of that value holds them all (covered's common case in one compare)
	all string
}

// standingAnswer is what a guest's handlers return for a text without its
// trigger phrases: pass with these labels, provided every condition holds.
type standingAnswer struct {
	fold   bool
	labels []answerLabel
	conds  []answerCond
	// scan: the text must hold no span of the detector run as pii_scan
	// with scanTypes and scanLocales (scanOpts)
	scan                   bool
	scanTypes, scanLocales string
	scanOpts               pii.Options
	// mask: with scan, what the guest answers when the detector finds
	// spans (nil: the guest is called then)
	mask *maskAnswer
}

// answerReader reads the little-endian layout of section 2.2.
type answerReader struct {
	b   []byte
	err error
}

func (r *answerReader) u32(what string) uint32 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 4 {
		r.err = fmt.Errorf("%w: %s cut short", errTriggers, what)
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *answerReader) byte1(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.err = fmt.Errorf("%w: %s cut short", errTriggers, what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// str reads a u32 length and that many bytes, at most max.
func (r *answerReader) str(what string, max int) string {
	n := r.u32(what)
	if r.err != nil {
		return ""
	}
	if int64(n) > int64(max) || int(n) > len(r.b) {
		r.err = fmt.Errorf("%w: %s of %d bytes", errTriggers, what, n)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *answerReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{errTriggers}, args...)...)
	}
}

// parseAnswer decodes a standing answer: u32 flags, u32 label count, the
// labels (u8 op, key, value), u32 condition count, the conditions (key,
// u32 item count, items), with flag scan the detector's types and
// locales, strings as u32 length and bytes; nothing after.
func parseAnswer(b []byte) (*standingAnswer, error) {
	r := &answerReader{b: b}
	a := &standingAnswer{}
	flags := r.u32("flags")
	if flags&^(answerFlagFold|answerFlagScan|answerFlagMask) != 0 {
		r.fail("unknown flags %#x", flags)
	}
	if flags&answerFlagMask != 0 && flags&answerFlagScan == 0 {
		r.fail("flag mask without flag scan")
	}
	a.fold, a.scan = flags&answerFlagFold != 0, flags&answerFlagScan != 0
	n := r.u32("label count")
	if n > maxLabels {
		r.fail("%d labels over %d", n, maxLabels)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		l := answerLabel{op: r.byte1("label op"), key: r.str("label key", maxLabelKeyLen), value: r.str("label value", maxLabelValueLen)}
		if r.err == nil {
			r.err = l.check(a.labels)
		}
		a.labels = append(a.labels, l)
	}
	n = r.u32("condition count")
	if n > maxAnswerConds {
		r.fail("%d conditions over %d", n, maxAnswerConds)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		a.conds = append(a.conds, r.cond())
	}
	if a.scan {
		a.scanTypes, a.scanLocales = r.str("scan types", maxPIIList), r.str("scan locales", maxPIIList)
		a.scanOpts = scanOptions(a.scanTypes, a.scanLocales)
	}
	if flags&answerFlagMask != 0 && r.err == nil {
		a.mask = r.maskAnswer(a.labels)
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the standing answer", len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

func (l answerLabel) check(before []answerLabel) error {
	if !validLabelKey(l.key) {
		return fmt.Errorf("%w: label key %q (1-64 of [a-z0-9_.-])", errTriggers, l.key)
	}
	if slices.ContainsFunc(before, func(o answerLabel) bool { return o.key == l.key }) {
		return fmt.Errorf("%w: label %q twice", errTriggers, l.key)
	}
	switch l.op {
	case opSet:
		if !utf8.ValidString(l.value) {
			return fmt.Errorf("%w: label %q value not UTF-8", errTriggers, l.key)
		}
	case opField:
		if !slices.Contains(answerFields, l.value) {
			return fmt.Errorf("%w: label %q from unknown field %q", errTriggers, l.key, l.value)
		}
	case opStrip:
		if l.value != "" {
			return fmt.Errorf("%w: label %q stripped with a value", errTriggers, l.key)
		}
	default:
		return fmt.Errorf("%w: label %q with unknown op %d", errTriggers, l.key, l.op)
	}
	return nil
}

func (r *answerReader) cond() answerCond {
	c := answerCond{key: r.str("condition key", maxLabelKeyLen)}
	if r.err == nil && !validLabelKey(c.key) {
		r.fail("condition key %q", c.key)
	}
	n := r.u32("item count")
	if n > maxCondItems {
		r.fail("condition %q with %d items", c.key, n)
	}
	for i := uint32(0); i < n && r.err == nil; i++ {
		it := r.str("condition item", maxCondItem)
		if r.err == nil && (it == "" || strings.Contains(it, ",") || !utf8.ValidString(it)) {
			r.fail("condition %q item %q", c.key, it)
		}
		c.items = append(c.items, it)
	}
	c.all = strings.Join(slices.Compact(slices.Sorted(slices.Values(c.items))), ",")
	return c
}

// guestView is s as the guest receives it: each invalid UTF-8 byte as
// U+FFFD (appendBinaryString, encoding/json).
func guestView(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// covered reports whether label, split at commas, holds every item; with
// no items, whether label is empty.
func covered(label string, items []string) bool {
	if len(items) == 0 || label == "" {
		return len(items) == 0 && label == ""
	}
	for _, it := range items {
		found := false
		for rest := label; rest != "" && !found; {
			var part string
			part, rest, _ = strings.Cut(rest, ",")
			found = part == it
		}
		if !found {
			return false
		}
	}
	return true
}

// prescan is the detector's answer for a text the host scanned for a
// standing answer and found spans in: the guest's own pii_scan of the same
// text and lists gets it without a second scan (hostPIIScan).
type prescan struct {
	text, types, locales string
	out                  []byte // the pii_scan answer
}

// answer returns the guest's result for env, whose text holds none of the
// trigger phrases, or false when a condition fails, the detector finds a
// span (then with what it found), or a label taken from the envelope
// would not be a valid result (then the guest is called and decides, or
// fails, itself). A nil answer is ABI 1.2's: pass, no labels.
//
// With a mask answer (ABI 1.4) the host answers modify itself when the
// detector finds spans (maskAnswer.answer), sealing values through s.
func (a *standingAnswer) answer(env *chat.Envelope, s *sealer) (Result, bool, *prescan) {
	if a == nil {
		return Result{Verdict: Pass}, true, nil
	}
	for _, c := range a.conds {
		if v := env.Labels[c.key]; v != c.all && !covered(guestView(v), c.items) {
			return Result{}, false, nil
		}
	}
	var labels map[string]string
	for _, l := range a.labels {
		v := l.value
		switch l.op {
		case opField:
			if v = guestView(envField(env, l.value)); len(v) > maxLabelValueLen {
				return Result{}, false, nil
			}
		case opStrip:
			if _, ok := env.Labels[l.key]; !ok {
				continue
			}
		}
		if labels == nil {
			n := len(a.labels)
			if a.mask != nil { // room for the mask answer's labels (maskAnswer.answer)
				n += 2
			}
			labels = make(map[string]string, n)
		}
		labels[l.key] = v
	}
	if a.scan {
		text := guestView(env.Message.Text)
		if len(text) > maxPIIText { // pii_scan refuses it: the guest scans itself
			return Result{}, false, nil
		}
		spans := pii.Scan(text, a.scanOpts)
		if a.mask != nil {
			return a.mask.answer(env, text, spans, labels, a, s)
		}
		if len(spans) > 0 {
			return Result{}, false, a.preFor(text, spans)
		}
	}
	return Result{Verdict: Pass, Labels: labels}, true, nil
}

// preFor is the detector's answer for text (spans), for the guest's pii_scan.
func (a *standingAnswer) preFor(text string, spans []pii.Span) *prescan {
	if len(spans) == 0 {
		return nil
	}
	return &prescan{text, a.scanTypes, a.scanLocales, appendPIISpans(nil, spans)}
}
