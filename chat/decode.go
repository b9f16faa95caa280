package chat

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// DecodeEnvelope decodes data into e exactly as json.Unmarshal(data, e)
// does (the same Envelope, an error in the same cases) for a zero e. The
// common shape — known field names spelled as tagged, string values with
// at most the common escapes (UnescapeString), no nulls or repeated keys —
// is read by a hand-written parser
// that makes one string allocation for all the texts; anything else goes
// to encoding/json. FuzzDecodeEnvelope holds the two to each other.
func DecodeEnvelope(data []byte, e *Envelope) error {
	d := decoder{s: string(data)}
	if d.envelope(e) && d.end() {
		return nil
	}
	var v Envelope // not e: e would escape, and every caller's envelope with it
	err := json.Unmarshal(data, &v)
	*e = v
	return err
}

// DecodeFrame decodes data into f exactly as json.Unmarshal(data, f) does
// for a zero f, as DecodeEnvelope does for envelopes (FuzzDecodeFrame).
func DecodeFrame(data []byte, f *Frame) error {
	d := decoder{s: string(data)}
	if d.frame(f) && d.end() {
		return nil
	}
	var v Frame // not f: f would escape, and every caller's frame with it
	err := json.Unmarshal(data, &v)
	*f = v
	return err
}

// decoder reads the subset of JSON the fast paths accept; every method
// returns false on anything outside it, and the caller falls back.
type decoder struct {
	s string
	i int
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// end reports whether only white space is left.
func (d *decoder) end() bool {
	d.ws()
	return d.i == len(d.s)
}

// peek skips white space and reports whether the next byte is c.
func (d *decoder) peek(c byte) bool {
	d.ws()
	return d.i < len(d.s) && d.s[d.i] == c
}

// object reads one object, calling field for each key with d positioned
// at its value; field returns false for a key it does not take (or a
// value it cannot read). A key given twice is refused.
func (d *decoder) object(field func(key string, seen *uint64) bool) bool {
	if !d.peek('{') {
		return false
	}
	d.i++
	var seen uint64
	if d.peek('}') {
		d.i++
		return true
	}
	for {
		key, ok := d.str()
		if !ok || !d.peek(':') {
			return false
		}
		d.i++
		d.ws()
		if !field(key, &seen) {
			return false
		}
		if d.peek(',') {
			d.i++
			continue
		}
		if d.peek('}') {
			d.i++
			return true
		}
		return false
	}
}

// once marks field bit n as seen and reports whether it was new.
func once(seen *uint64, n uint) bool {
	if *seen&(1<<n) != 0 {
		return false
	}
	*seen |= 1 << n
	return true
}

// raw reads a string without escapes or control bytes, in valid UTF-8,
// and returns it with its quotes.
func (d *decoder) raw() (string, bool) {
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false
	}
	start := d.i
	ascii := true
	for j := d.i + 1; j < len(d.s); j++ {
		c := d.s[j]
		switch {
		case c == '"':
			d.i = j + 1
			if !ascii && !utf8.ValidString(d.s[start+1:j]) {
				return "", false
			}
			return d.s[start:d.i], true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// str reads a string value and returns its contents: as raw does, or,
// when it has escapes, unescaped by UnescapeString (jsonstr.go; a new
// string, and false for what that leaves to encoding/json).
func (d *decoder) str() (string, bool) {
	start := d.i
	r, ok := d.raw()
	if ok {
		return r[1 : len(r)-1], true
	}
	d.i = start
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false
	}
	from := d.i
	if !d.skipStr() { // eventhead.go: to the closing quote, escapes included
		return "", false
	}
	return UnescapeString(d.s[from+1 : d.i-1])
}

// setStr reads a string into *p.
func (d *decoder) setStr(p *string) bool {
	v, ok := d.str()
	*p = v
	return ok
}

// number reads a JSON number; integer refuses a fraction or exponent.
func (d *decoder) number(integer bool) (string, bool) {
	d.ws()
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	if !d.digits(true) {
		return "", false
	}
	if !integer {
		if d.i < len(d.s) && d.s[d.i] == '.' {
			d.i++
			if !d.digits(false) {
				return "", false
			}
		}
		if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
			d.i++
			if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
				d.i++
			}
			if !d.digits(false) {
				return "", false
			}
		}
	}
	return d.s[start:d.i], true
}

// digits reads one or more digits; an integer part may not start with 0
// unless it is 0.
func (d *decoder) digits(intPart bool) bool {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	n := d.i - start
	if intPart && n > 1 && d.s[start] == '0' {
		return false
	}
	return n > 0
}

// setInt reads an integer of at most 18 digits into *p.
func (d *decoder) setInt(p *int64) bool {
	v, ok := d.number(true)
	if !ok || len(v) > 18 {
		return false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	*p = n
	return err == nil
}

// setIntN reads an integer into *p.
func (d *decoder) setIntN(p *int) bool {
	var n int64
	ok := d.setInt(&n)
	*p = int(n)
	return ok
}

// setFloat reads a number into *p as encoding/json does.
func (d *decoder) setFloat(p *float64) bool {
	v, ok := d.number(false)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(v, 64)
	*p = f
	return err == nil
}

// setTime reads a string into *p with time.Time's UnmarshalJSON.
func (d *decoder) setTime(p *time.Time) bool {
	r, ok := d.raw()
	return ok && p.UnmarshalJSON([]byte(r)) == nil
}

// setMap reads an object of strings into a new map at *p.
func (d *decoder) setMap(p *map[string]string) bool {
	m := make(map[string]string, 4)
	*p = m
	return d.object(func(key string, _ *uint64) bool {
		if _, dup := m[key]; dup {
			return false
		}
		v, ok := d.str()
		m[key] = v
		return ok
	})
}

// setCitations reads an array of citations into a new slice at *p (an
// empty array gives an empty slice, as encoding/json does).
func (d *decoder) setCitations(p *[]Citation) bool {
	if !d.peek('[') {
		return false
	}
	d.i++
	cs := make([]Citation, 0, 2)
	*p = cs
	if d.peek(']') {
		d.i++
		return true
	}
	for {
		var c Citation
		if !d.object(func(key string, seen *uint64) bool {
			switch key {
			case "doc":
				return once(seen, 0) && d.setStr(&c.Doc)
			case "title":
				return once(seen, 1) && d.setStr(&c.Title)
			case "version":
				return once(seen, 2) && d.setIntN(&c.Version)
			case "passage":
				return once(seen, 3) && d.setStr(&c.Passage)
			}
			return false
		}) {
			return false
		}
		cs = append(cs, c)
		*p = cs
		if d.peek(',') {
			d.i++
			continue
		}
		if d.peek(']') {
			d.i++
			return true
		}
		return false
	}
}

// envelope reads an Envelope's object.
func (d *decoder) envelope(e *Envelope) bool {
	return d.object(func(key string, seen *uint64) bool {
		switch key {
		case "v":
			return once(seen, 0) && d.setIntN(&e.V)
		case "tenant":
			return once(seen, 1) && d.setStr(&e.Tenant)
		case "region":
			return once(seen, 2) && d.setStr(&e.Region)
		case "channel":
			return once(seen, 3) && d.setStr((*string)(&e.Channel))
		case "visitor":
			return once(seen, 4) && d.setStr(&e.Visitor)
		case "direction":
			return once(seen, 5) && d.setStr((*string)(&e.Direction))
		case "message":
			return once(seen, 6) && d.message(&e.Message)
		case "labels":
			return once(seen, 7) && d.setMap(&e.Labels)
		}
		return false
	})
}

// message reads a Message's object (its scalar fields only).
func (d *decoder) message(m *Message) bool {
	return d.object(func(key string, seen *uint64) bool {
		switch key {
		case "id":
			return once(seen, 0) && d.setStr(&m.ID)
		case "conversation_id":
			return once(seen, 1) && d.setStr(&m.ConversationID)
		case "role":
			return once(seen, 2) && d.setStr((*string)(&m.Role))
		case "text":
			return once(seen, 3) && d.setStr(&m.Text)
		case "source":
			return once(seen, 4) && d.setStr((*string)(&m.Source))
		case "reply_to":
			return once(seen, 5) && d.setStr(&m.ReplyTo)
		case "author":
			return once(seen, 6) && d.setStr(&m.Author)
		case "lang":
			return once(seen, 7) && d.setStr(&m.Lang)
		case "intent":
			return once(seen, 8) && d.setStr(&m.Intent)
		case "intent_confidence":
			return once(seen, 9) && d.setFloat(&m.IntentConfidence)
		case "anger":
			return once(seen, 10) && d.setFloat(&m.Anger)
		case "at":
			return once(seen, 11) && d.setTime(&m.At)
		case "shown":
			return once(seen, 12) && d.setStr(&m.Shown)
		case "channel":
			return once(seen, 13) && d.setStr((*string)(&m.Channel))
		case "channel_id":
			return once(seen, 14) && d.setStr(&m.ChannelID)
		case "sources":
			return once(seen, 15) && d.setCitations(&m.Sources)
		}
		return false
	})
}

// frame reads a Frame's object (its scalar fields and context).
func (d *decoder) frame(f *Frame) bool {
	return d.object(func(key string, seen *uint64) bool {
		switch key {
		case "v":
			return once(seen, 0) && d.setIntN(&f.V)
		case "type":
			return once(seen, 1) && d.setStr((*string)(&f.Type))
		case "site":
			return once(seen, 2) && d.setStr(&f.Site)
		case "visitor":
			return once(seen, 3) && d.setStr(&f.Visitor)
		case "conversation_id":
			return once(seen, 4) && d.setStr(&f.ConversationID)
		case "resume_after":
			return once(seen, 5) && d.setStr(&f.ResumeAfter)
		case "id":
			return once(seen, 6) && d.setStr(&f.ID)
		case "text":
			return once(seen, 7) && d.setStr(&f.Text)
		case "role":
			return once(seen, 8) && d.setStr((*string)(&f.Role))
		case "source":
			return once(seen, 9) && d.setStr((*string)(&f.Source))
		case "lang":
			return once(seen, 10) && d.setStr(&f.Lang)
		case "intent":
			return once(seen, 11) && d.setStr(&f.Intent)
		case "anger":
			return once(seen, 12) && d.setFloat(&f.Anger)
		case "reply_to":
			return once(seen, 13) && d.setStr(&f.ReplyTo)
		case "author":
			return once(seen, 14) && d.setStr(&f.Author)
		case "at":
			return once(seen, 15) && d.setInt(&f.At)
		case "context":
			return once(seen, 16) && d.setMap(&f.Context)
		}
		return d.frameMore(f, key, seen)
	})
}

// frameMore reads the rest of a Frame's scalar fields.
func (d *decoder) frameMore(f *Frame, key string, seen *uint64) bool {
	switch key {
	case "event":
		return once(seen, 17) && d.setStr(&f.Event)
	case "code":
		return once(seen, 18) && d.setStr(&f.Code)
	case "reason":
		return once(seen, 19) && d.setStr(&f.Reason)
	case "max_text":
		return once(seen, 20) && d.setIntN(&f.MaxText)
	case "rating":
		return once(seen, 21) && d.setIntN(&f.Rating)
	case "score":
		return once(seen, 22) && d.setIntN(&f.Score)
	case "idle_s":
		return once(seen, 23) && d.setIntN(&f.IdleS)
	case "upload":
		return once(seen, 24) && d.setStr(&f.Upload)
	case "sources":
		return once(seen, 25) && d.setCitations(&f.Sources)
	}
	return false
}
