package chat

import (
	"strings"
	"unsafe"
)

// EventHead is what a node reads of an Event to tell whether anyone there
// gets it: its type, tenant and conversation, and its message's id and
// role (Message false: the event has none).
type EventHead struct {
	Type           EventType
	Tenant         string
	ConversationID string
	Message        bool
	MessageID      string
	Role           Role
}

// DecodeEventHead reads the head of an encoded Event as json.Unmarshal into
// a struct of those fields would (the rest of the event is only checked
// to be JSON). ok is false when data is outside the shape the hand-written
// parser takes (escaped strings, a head field given twice or spelt in
// another case, deep nesting…) or is not JSON: then decode it with
// encoding/json. An edge reads the head of every conversation event
// central publishes (three per answered message), most of them to skip
// them; encoding/json scanned each whole twice (validation, then decoding).
func DecodeEventHead(data []byte) (h EventHead, ok bool) {
	// Read in place (no copy of the whole event per event): the head's
	// strings are copied out of data by detach before it returns.
	d := decoder{s: unsafe.String(unsafe.SliceData(data), len(data))}
	ok = d.object(func(key string, seen *uint64) bool {
		switch key {
		case "type":
			var t string
			ok := once(seen, 0) && d.setStr(&t)
			h.Type = EventType(t)
			return ok
		case "tenant":
			return once(seen, 1) && d.setStr(&h.Tenant)
		case "conversation_id":
			return once(seen, 2) && d.setStr(&h.ConversationID)
		case "message":
			if !once(seen, 3) {
				return false
			}
			if d.literal("null") {
				return true
			}
			h.Message = true
			return d.object(func(key string, seen *uint64) bool {
				switch key {
				case "id":
					return once(seen, 0) && d.setStr(&h.MessageID)
				case "role":
					var r string
					ok := once(seen, 1) && d.setStr(&r)
					h.Role = Role(r)
					return ok
				}
				return otherKey(key, "id", "role") && d.skip(1)
			})
		}
		return otherKey(key, "type", "tenant", "conversation_id", "message") && d.skip(1)
	}) && d.end()
	if !ok {
		return EventHead{}, false
	}
	return h.detach(), true
}

// detach returns h with its strings copied into one string of their own:
// read in place, they point into the event's data.
func (h EventHead) detach() EventHead {
	var b strings.Builder
	b.Grow(len(h.Type) + len(h.Tenant) + len(h.ConversationID) + len(h.MessageID) + len(h.Role))
	b.WriteString(string(h.Type))
	b.WriteString(h.Tenant)
	b.WriteString(h.ConversationID)
	b.WriteString(h.MessageID)
	b.WriteString(string(h.Role))
	all := b.String()
	next := func(n int) string {
		s := all[:n]
		all = all[n:]
		return s
	}
	h.Type = EventType(next(len(h.Type)))
	h.Tenant = next(len(h.Tenant))
	h.ConversationID = next(len(h.ConversationID))
	h.MessageID = next(len(h.MessageID))
	h.Role = Role(next(len(h.Role)))
	return h
}

// otherKey reports whether key is none of names in any case
// (encoding/json matches keys case-insensitively), and ASCII.
func otherKey(key string, names ...string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 {
			return false
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return false
		}
	}
	return true
}

// maxSkipDepth bounds the nesting skip follows.
const maxSkipDepth = 16

// skip reads one JSON value of any kind and drops it.
func (d *decoder) skip(depth int) bool {
	d.ws()
	if d.i >= len(d.s) || depth > maxSkipDepth {
		return false
	}
	switch d.s[d.i] {
	case '"':
		return d.skipStr()
	case '{':
		return d.object(func(string, *uint64) bool { return d.skip(depth + 1) })
	case '[':
		d.i++
		if d.peek(']') {
			d.i++
			return true
		}
		for {
			if !d.skip(depth + 1) {
				return false
			}
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
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	_, ok := d.number(false)
	return ok
}

// skipStr reads a JSON string, escapes included (its bytes are not
// checked to be UTF-8: encoding/json takes invalid UTF-8 too).
func (d *decoder) skipStr() bool {
	for j := d.i + 1; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			d.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(d.s) {
				return false
			}
			switch d.s[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+5 >= len(d.s) {
					return false
				}
				for _, h := range []byte(d.s[j+2 : j+6]) {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 5
			default:
				return false
			}
		}
	}
	return false
}

// literal reads word (true, false, null) when it comes next.
func (d *decoder) literal(word string) bool {
	d.ws()
	if !strings.HasPrefix(d.s[d.i:], word) {
		return false
	}
	d.i += len(word)
	return true
}
