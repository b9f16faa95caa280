package pdk

import "sort"

// Verdict is what a handler decided (plugins/ABI.md section 5).
type Verdict string

// Verdicts.
const (
	VerdictPass     Verdict = "pass"
	VerdictModify   Verdict = "modify"
	VerdictAnswer   Verdict = "answer"
	VerdictDrop     Verdict = "drop"
	VerdictEscalate Verdict = "escalate"
	// VerdictDecline says "not mine": the plugin saw something it could
	// act on (an order number) but the message asks something else. The
	// pipeline goes on as for pass; the host counts and logs the decline
	// with its reason (ABI.md section 5, ABI 1.1).
	VerdictDecline Verdict = "decline"
)

// Result is a handler's answer. Build it with Pass, Modify, Answer, Drop or
// Escalate, then add labels with WithLabel. It is a value: copy freely.
type Result struct {
	Verdict Verdict           `json:"verdict,omitempty"`
	Text    *string           `json:"text,omitempty"`
	Lang    *string           `json:"lang,omitempty"`
	Intent  *string           `json:"intent,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Answer  string            `json:"answer,omitempty"`
	Reason  string            `json:"reason,omitempty"`
}

// Pass leaves the envelope unchanged.
func Pass() Result { return Result{Verdict: VerdictPass} }

// ModifyText replaces the message text.
func ModifyText(text string) Result { return Result{Verdict: VerdictModify, Text: &text} }

// Modify reports env's text, lang, intent and labels as the new values.
// Fields a plugin may not change (tenant, ids, …) are ignored by the host.
// Labels removed from env are not deleted; use WithLabel(k, "") for that.
func Modify(env *Envelope) Result {
	r := Result{Verdict: VerdictModify}
	text, lang, intent := env.Message.Text, env.Message.Lang, env.Message.Intent
	r.Text = &text
	if lang != "" {
		r.Lang = &lang
	}
	if intent != "" {
		r.Intent = &intent
	}
	for k, v := range env.Labels {
		r = r.WithLabel(k, v)
	}
	return r
}

// Answer replies to the shopper directly and stops the pipeline.
func Answer(text string) Result { return Result{Verdict: VerdictAnswer, Answer: text} }

// Drop refuses the message and stops the pipeline.
func Drop(reason string) Result { return Result{Verdict: VerdictDrop, Reason: reason} }

// Escalate forwards the message and asks central for a human.
func Escalate(reason string) Result { return Result{Verdict: VerdictEscalate, Reason: reason} }

// Decline passes the message on and tells the host why this plugin did not
// act on it ("asks to cancel, not to track"). On a host older than ABI 1.1,
// which does not know the verdict, Handle sends pass instead.
func Decline(reason string) Result { return Result{Verdict: VerdictDecline, Reason: reason} }

// WithLabel returns r with label k set to v ("" deletes the label on the
// envelope). Keys are lower-case ASCII letters, digits, '_', '.', '-'.
func (r Result) WithLabel(k, v string) Result {
	m := make(map[string]string, max(len(r.Labels)+1, 4)) // room for the next few

	for k2, v2 := range r.Labels {
		m[k2] = v2
	}
	m[k] = v
	r.Labels = m
	return r
}

// isPlainPass reports whether r carries nothing but pass, so the guest can
// answer 0 without encoding.
func (r *Result) isPlainPass() bool {
	return (r.Verdict == "" || r.Verdict == VerdictPass) && len(r.Labels) == 0
}

// Encode returns the result's wire form (plugins/ABI.md section 5). A plain
// pass encodes to nil.
func (r Result) Encode() []byte {
	if r.isPlainPass() {
		return nil
	}
	return r.appendTo(nil)
}

// maxSortedLabels is how many label keys appendTo sorts in a stack array.
const maxSortedLabels = 16

// appendTo appends the result's wire form to b (grown once to the size it
// needs when b is short).
func (r Result) appendTo(b []byte) []byte {
	need := 64 + len(r.Answer) + len(r.Reason)
	for _, f := range []*string{r.Text, r.Lang, r.Intent} {
		if f != nil {
			need += 16 + len(*f)
		}
	}
	for k, v := range r.Labels {
		need += 6 + len(k) + len(v)
	}
	if cap(b)-len(b) < need {
		b = append(make([]byte, 0, len(b)+need+need/8), b...)
	}
	b = append(b, `{"verdict":`...)
	v := r.Verdict
	if v == "" {
		v = VerdictPass
	}
	b = appendString(b, string(v))
	for _, f := range []struct {
		key string
		val *string
	}{{"text", r.Text}, {"lang", r.Lang}, {"intent", r.Intent}} {
		if f.val != nil {
			b = append(b, ',', '"')
			b = append(b, f.key...)
			b = append(b, '"', ':')
			b = appendString(b, *f.val)
		}
	}
	if len(r.Labels) > 0 {
		var small [maxSortedLabels]string
		keys := small[:0]
		if len(r.Labels) > len(small) {
			keys = make([]string, 0, len(r.Labels))
		}
		for k := range r.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `,"labels":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, r.Labels[k])
		}
		b = append(b, '}')
	}
	if r.Answer != "" {
		b = append(b, `,"answer":`...)
		b = appendString(b, r.Answer)
	}
	if r.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendString(b, r.Reason)
	}
	return append(b, '}')
}
