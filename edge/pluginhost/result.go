package pluginhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Result is a plugin's decoded answer to one hook call (plugins/ABI.md
// section 5).
type Result struct {
	Verdict Verdict
	// Text, Lang and Intent are set when the plugin changed them (Modify).
	Text, Lang, Intent *string
	// Labels are merged into the envelope; "" deletes.
	Labels map[string]string
	Answer string
	Reason string
}

// Result limits beyond the configurable text limit.
const (
	maxLabels        = 32
	maxLabelKeyLen   = 64
	maxLabelValueLen = 1 << 10
	maxReasonLen     = 1 << 10
)

// ErrBadResult is wrapped by DecodeResult's errors.
var ErrBadResult = errors.New("pluginhost: malformed plugin result")

type wireResult struct {
	Verdict string            `json:"verdict"`
	Text    *string           `json:"text"`
	Lang    *string           `json:"lang"`
	Intent  *string           `json:"intent"`
	Labels  map[string]string `json:"labels"`
	Answer  string            `json:"answer"`
	Reason  string            `json:"reason"`
}

// DecodeResult parses and checks what a plugin returned. An empty input is
// a plain pass. maxText bounds a modified text and an answer (<= 0: 4 KiB).
// It never panics on any input (FuzzDecodeResult).
func DecodeResult(b []byte, maxText int) (Result, error) {
	if len(b) == 0 {
		return Result{Verdict: Pass}, nil
	}
	if maxText <= 0 {
		maxText = 4 << 10
	}
	if !utf8.Valid(b) {
		return Result{}, fmt.Errorf("%w: not valid UTF-8", ErrBadResult)
	}
	w, ok := decodeWire(b) // resultfast.go: the Go PDK's form, without encoding/json
	if !ok {
		w = wireResult{}
		if err := json.Unmarshal(b, &w); err != nil {
			return Result{}, fmt.Errorf("%w: %v", ErrBadResult, err)
		}
	}
	r := Result{Text: w.Text, Lang: w.Lang, Intent: w.Intent, Labels: w.Labels, Answer: w.Answer, Reason: w.Reason}
	switch w.Verdict {
	case "", "pass":
		r.Verdict = Pass
	case "modify":
		r.Verdict = Modify
	case "answer":
		r.Verdict = Answer
	case "drop":
		r.Verdict = Drop
	case "escalate":
		r.Verdict = Escalate
	case "decline":
		r.Verdict = Decline
	default:
		return Result{}, fmt.Errorf("%w: unknown verdict %q", ErrBadResult, w.Verdict)
	}
	if r.Verdict != Modify && (r.Text != nil || r.Lang != nil || r.Intent != nil) {
		return Result{}, fmt.Errorf("%w: text/lang/intent with verdict %s", ErrBadResult, r.Verdict)
	}
	if r.Text != nil {
		if *r.Text == "" {
			return Result{}, fmt.Errorf("%w: empty text", ErrBadResult)
		}
		if len(*r.Text) > maxText {
			return Result{}, fmt.Errorf("%w: text of %d bytes over the limit %d", ErrBadResult, len(*r.Text), maxText)
		}
	}
	for _, s := range []*string{r.Lang, r.Intent} {
		if s != nil && len(*s) > 64 {
			return Result{}, fmt.Errorf("%w: lang/intent over 64 bytes", ErrBadResult)
		}
	}
	if r.Verdict == Answer && r.Answer == "" {
		return Result{}, fmt.Errorf("%w: answer verdict without answer text", ErrBadResult)
	}
	if len(r.Answer) > maxText {
		return Result{}, fmt.Errorf("%w: answer of %d bytes over the limit %d", ErrBadResult, len(r.Answer), maxText)
	}
	if len(r.Reason) > maxReasonLen {
		return Result{}, fmt.Errorf("%w: reason over %d bytes", ErrBadResult, maxReasonLen)
	}
	if len(r.Labels) > maxLabels {
		return Result{}, fmt.Errorf("%w: %d labels, limit %d", ErrBadResult, len(r.Labels), maxLabels)
	}
	for k, v := range r.Labels {
		if !validLabelKey(k) {
			return Result{}, fmt.Errorf("%w: label key %q (1-64 of [a-z0-9_.-])", ErrBadResult, k)
		}
		if len(v) > maxLabelValueLen {
			return Result{}, fmt.Errorf("%w: label %q value over %d bytes", ErrBadResult, k, maxLabelValueLen)
		}
	}
	return r, nil
}

func validLabelKey(k string) bool {
	if k == "" || len(k) > maxLabelKeyLen {
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
