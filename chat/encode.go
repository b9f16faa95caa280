package chat

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// EncodeEnvelope returns json.Marshal(e), byte for byte (FuzzEncodeEnvelope):
// an envelope of scalar fields and labels, with texts that need no escaping,
// is written by hand; anything else goes to encoding/json.
func EncodeEnvelope(e *Envelope) ([]byte, error) {
	if !e.Message.handWritten() { // no buffer made to be thrown away
		return json.Marshal(e)
	}
	bp := getEncBuf(384 + len(e.Message.Text) + sourcesSize(e.Message.Sources))
	b, ok := appendEnvelope(*bp, e)
	if out := putEncBuf(bp, b, ok); ok {
		return out, nil
	}
	v := *e // not e: e would escape, and every caller's envelope with it
	return json.Marshal(&v)
}

// EncodeFrame returns json.Marshal(f), byte for byte, as EncodeEnvelope
// does for envelopes (FuzzEncodeFrame).
func EncodeFrame(f *Frame) ([]byte, error) {
	size := 160 + len(f.Text) + len(f.ID) + len(f.ConversationID) + len(f.ReplyTo) + len(f.Reason) + len(f.Author) + sourcesSize(f.Sources)
	bp := getEncBuf(size)
	b, ok := appendFrame(*bp, f)
	if out := putEncBuf(bp, b, ok); ok {
		return out, nil
	}
	v := *f // not f: f would escape, and every caller's frame with it
	return json.Marshal(&v)
}

// EncodeEvent returns json.Marshal(ev), byte for byte, as EncodeEnvelope
// does for envelopes: an event without queue facts, rating or tags whose
// message (if any) the envelope encoder writes is written by hand.
func EncodeEvent(ev *Event) ([]byte, error) {
	n := 256
	if ev.Message != nil {
		if !ev.Message.handWritten() {
			return json.Marshal(ev)
		}
		n += len(ev.Message.Text) + sourcesSize(ev.Message.Sources)
	}
	bp := getEncBuf(n)
	b, ok := appendEvent(*bp, ev)
	if out := putEncBuf(bp, b, ok); ok {
		return out, nil
	}
	return json.Marshal(ev)
}

// encBufs holds the hand-written encoders' scratch buffers: a value is
// written into one and copied out at its exact size, instead of into a
// buffer sized by estimate that the labels or a long text outgrow (each
// growth a copy and a larger slice thrown away; the estimate itself is
// mostly larger than the value).
var encBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// encBufMax bounds the scratch buffers kept in encBufs.
const encBufMax = 64 << 10

// getEncBuf returns an empty scratch buffer with room for about n bytes.
func getEncBuf(n int) *[]byte {
	bp := encBufs.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, 0, n)
	}
	*bp = (*bp)[:0]
	return bp
}

// putEncBuf returns a copy of b, what was written into *bp (nil unless
// ok), and gives the buffer back to encBufs.
func putEncBuf(bp *[]byte, b []byte, ok bool) []byte {
	var out []byte
	if ok {
		out = make([]byte, len(b))
		copy(out, b)
	}
	if cap(b) <= encBufMax {
		*bp = b[:0]
		encBufs.Put(bp)
	}
	return out
}

// sourcesSize is about what cs takes encoded, so that the buffer is made
// once.
func sourcesSize(cs []Citation) int {
	n := 0
	for i := range cs {
		n += 48 + len(cs[i].Doc) + len(cs[i].Title) + len(cs[i].Passage)
	}
	return n
}

// escaped marks the ASCII bytes encoding/json does not write as they are
// between quotes: control bytes, the quote, the backslash and its HTML
// escapes.
var escaped = func() (t [utf8.RuneSelf]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = true
	}
	return t
}()

// enc appends JSON; ok turns false at the first value it cannot write as
// encoding/json would.
type enc struct {
	b     []byte
	ok    bool
	comma bool
}

func (w *enc) key(k string) {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = true
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *enc) str(k, v string) {
	w.key(k)
	w.quote(v)
}

func (w *enc) quote(v string) {
	w.b = appendQuoted(w.b, v) // jsonstr.go: escaped as encoding/json escapes
}

// opt writes a string field tagged omitempty.
func (w *enc) opt(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *enc) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *enc) optInt(k string, v int64) {
	if v != 0 {
		w.int(k, v)
	}
}

// time writes a time field as encoding/json does (RFC 3339 with
// nanoseconds); a time it refuses falls back. It appends in place:
// time.Time.MarshalJSON would allocate its result for every message.
func (w *enc) time(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	start := len(w.b)
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	if !strictRFC3339(w.b[start:]) {
		w.ok = false
	}
	w.b = append(w.b, '"')
}

// strictRFC3339 reports whether b, a time formatted as time.RFC3339Nano,
// is one time.Time.MarshalJSON accepts: a year of exactly four digits and
// a zone offset under 24 hours (the checks of its appendStrictRFC3339).
func strictRFC3339(b []byte) bool {
	if len(b) < len("9999-") || b[len("9999")] != '-' {
		return false
	}
	if b[len(b)-1] == 'Z' {
		return true
	}
	if len(b) < len("9999-01-01T00:00:00+07:00") {
		return false
	}
	c := b[len(b)-len("Z07:00")]
	h := b[len(b)-len("07:00"):]
	return !('0' <= c && c <= '9') && 10*(h[0]-'0')+(h[1]-'0') < 24
}

// optFloat writes a float64 field tagged omitempty in encoding/json's
// 'f' range; other magnitudes fall back.
func (w *enc) optFloat(k string, v float64) {
	if v == 0 {
		return
	}
	if a := math.Abs(v); math.IsNaN(v) || a < 1e-6 || a >= 1e21 {
		w.ok = false
		return
	}
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
}

// optMap writes a string map tagged omitempty, keys sorted as encoding/json sorts them.
func (w *enc) optMap(k string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	w.key(k)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.quote(k)
		w.b = append(w.b, ':')
		w.quote(m[k])
	}
	w.b = append(w.b, '}')
}

func appendEnvelope(b []byte, e *Envelope) ([]byte, bool) {
	w := enc{b: append(b, '{'), ok: true}
	w.int("v", int64(e.V))
	w.str("tenant", e.Tenant)
	w.str("region", e.Region)
	w.str("channel", string(e.Channel))
	w.str("visitor", e.Visitor)
	w.str("direction", string(e.Direction))
	w.key("message")
	w.message(&e.Message)
	w.optMap("labels", e.Labels)
	w.b = append(w.b, '}')
	return w.b, w.ok
}

func appendEvent(b []byte, ev *Event) ([]byte, bool) {
	if ev.Queue != nil || ev.CSAT != nil || len(ev.Tags) > 0 {
		return b, false
	}
	w := enc{b: append(b, '{'), ok: true}
	w.int("v", int64(ev.V))
	w.str("type", string(ev.Type))
	w.str("tenant", ev.Tenant)
	w.str("conversation_id", ev.ConversationID)
	w.opt("visitor", ev.Visitor)
	w.opt("agent", ev.Agent)
	w.opt("reason", ev.Reason)
	w.optInt("priority", int64(ev.Priority))
	if ev.Message != nil {
		w.key("message")
		w.message(ev.Message)
		w.comma = true
	}
	w.time("at", ev.At)
	w.opt("team", ev.Team)
	w.b = append(w.b, '}')
	return w.b, w.ok
}

// handWritten reports whether message writes m: it has none of the
// fields left to encoding/json (a product card, quick replies, a
// translation…). A bot's answer with its sources is written by hand: it is
// every reply of the knowledge bot, four encodings on its way to the shopper.
func (m *Message) handWritten() bool {
	return len(m.PII) == 0 && len(m.QuickReplies) == 0 && m.Card == nil &&
		m.Translation == nil && m.Original == nil && len(m.Attachments) == 0
}

// sources writes a []Citation field tagged omitempty.
func (w *enc) sources(k string, cs []Citation) {
	if len(cs) == 0 {
		return
	}
	w.key(k)
	w.b = append(w.b, '[')
	for i := range cs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		c := &cs[i]
		w.b = append(w.b, '{')
		w.comma = false
		w.str("doc", c.Doc)
		w.str("title", c.Title)
		w.optInt("version", int64(c.Version))
		w.opt("passage", c.Passage)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
	w.comma = true
}

func (w *enc) message(m *Message) {
	if !m.handWritten() {
		w.ok = false
		return
	}
	w.b = append(w.b, '{')
	w.comma = false
	w.str("id", m.ID)
	w.opt("conversation_id", m.ConversationID)
	w.str("role", string(m.Role))
	w.str("text", m.Text)
	w.opt("source", string(m.Source))
	w.opt("reply_to", m.ReplyTo)
	w.opt("author", m.Author)
	w.opt("lang", m.Lang)
	w.opt("intent", m.Intent)
	w.optFloat("intent_confidence", m.IntentConfidence)
	w.optFloat("anger", m.Anger)
	w.time("at", m.At)
	w.sources("sources", m.Sources) // after pii, quick_replies and card, which fall back
	w.opt("shown", m.Shown)
	w.opt("channel", string(m.Channel))
	w.opt("channel_id", m.ChannelID)
	w.b = append(w.b, '}')
}

func appendFrame(b []byte, f *Frame) ([]byte, bool) {
	if f.Identity != nil || f.Original != nil || f.Answer != nil || len(f.Products) > 0 ||
		len(f.QuickReplies) > 0 || len(f.Attachments) > 0 {
		return b, false
	}
	w := enc{b: append(b, '{'), ok: true}
	w.optInt("v", int64(f.V))
	w.str("type", string(f.Type))
	w.opt("site", f.Site)
	w.opt("visitor", f.Visitor)
	w.opt("conversation_id", f.ConversationID)
	w.opt("resume_after", f.ResumeAfter)
	w.opt("id", f.ID)
	w.opt("text", f.Text)
	w.opt("role", string(f.Role))
	w.opt("source", string(f.Source))
	w.opt("lang", f.Lang)
	w.opt("intent", f.Intent)
	w.optFloat("anger", f.Anger)
	w.opt("reply_to", f.ReplyTo)
	w.opt("author", f.Author)
	w.optInt("at", f.At)
	w.optMap("context", f.Context)
	w.opt("event", f.Event)
	w.opt("code", f.Code)
	w.opt("reason", f.Reason)
	w.optInt("max_text", int64(f.MaxText))
	if f.Position != nil {
		w.int("position", int64(*f.Position))
	}
	if f.WaitS != nil {
		w.int("wait_s", int64(*f.WaitS))
	}
	w.optInt("rating", int64(f.Rating))
	w.optInt("score", int64(f.Score))
	w.sources("sources", f.Sources)
	w.optInt("idle_s", int64(f.IdleS))
	w.opt("upload", f.Upload)
	w.b = append(w.b, '}')
	return w.b, w.ok
}
