package pdk

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// The envelope decoder and result encoder below are hand-written instead of
// encoding/json: inside wazero with a per-call deadline every loop
// iteration of guest code costs an exit to the host (see
// edge/pluginhost's package doc), and reflection-driven decoding was ~10×
// the work. They follow RFC 8259; FuzzDecodeEnvelope checks them against
// encoding/json.

var errSyntax = errors.New("pdk: malformed envelope JSON")

type decoder struct {
	b []byte
	i int
	// owned: b is a private copy that nothing writes again, so strings
	// without escapes are views into it (one allocation per envelope
	// instead of one per field; allocation is dear inside wasm).
	owned bool
	// valid: all of b is UTF-8, so every string in it is (its quotes are
	// ASCII): one check for the whole envelope instead of one per string.
	valid bool
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

func (d *decoder) expect(c byte) error {
	if d.peek() != c {
		return errSyntax
	}
	d.i++
	return nil
}

// object calls field for each key of an object; field must consume the value.
func (d *decoder) object(field func(key string) error) error {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.i++
		return nil
	}
	for {
		key, err := d.str()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			return nil
		default:
			return errSyntax
		}
	}
}

func (d *decoder) literal(lit string) error {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return errSyntax
	}
	d.i += len(lit)
	return nil
}

// strOrNull decodes a string; null gives "".
func (d *decoder) strOrNull() (string, error) {
	if d.peek() == 'n' {
		return "", d.literal("null")
	}
	return d.str()
}

func (d *decoder) str() (string, error) {
	if err := d.expect('"'); err != nil {
		return "", err
	}
	start := d.i
	for d.i < len(d.b) { // fast path: no escapes
		c := d.b[d.i]
		if c == '"' {
			s := d.b[start:d.i]
			d.i++
			if d.valid || utf8.Valid(s) {
				if d.owned && len(s) > 0 {
					return unsafe.String(&s[0], len(s)), nil
				}
				return string(s), nil
			}
			return string([]rune(string(s))), nil // invalid bytes → U+FFFD, as encoding/json
		}
		if c == '\\' || c < 0x20 {
			break
		}
		d.i++
	}
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if !utf8.Valid(out) {
				return string([]rune(string(out))), nil
			}
			return string(out), nil
		case c < 0x20:
			return "", errSyntax
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return "", errSyntax
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", errSyntax
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					save := d.i
					d.i += 2
					var ok2 bool
					if r2, ok2 = d.hex4(); !ok2 {
						return "", errSyntax
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						continue
					}
					d.i = save
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errSyntax
		}
	}
	return "", errSyntax
}

func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	var r rune
	for _, c := range d.b[d.i : d.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.i += 4
	return r, true
}

func (d *decoder) number() (string, error) {
	d.ws()
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.i++
			continue
		}
		break
	}
	if start == d.i {
		return "", errSyntax
	}
	if d.owned {
		return unsafe.String(&d.b[start], d.i-start), nil
	}
	return string(d.b[start:d.i]), nil
}

// skip consumes any value.
func (d *decoder) skip() error {
	switch c := d.peek(); {
	case c == '{':
		return d.object(func(string) error { return d.skip() })
	case c == '[':
		d.i++
		if d.peek() == ']' {
			d.i++
			return nil
		}
		for {
			if err := d.skip(); err != nil {
				return err
			}
			switch d.peek() {
			case ',':
				d.i++
			case ']':
				d.i++
				return nil
			default:
				return errSyntax
			}
		}
	case c == '"':
		_, err := d.str()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		s, err := d.number()
		if err != nil {
			return err
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return errSyntax
		}
		return nil
	}
}

// decodeEnvelope parses the envelope JSON into env. b is not retained:
// the strings of env live in one private copy of it.
func decodeEnvelope(b []byte, env *Envelope) error {
	d := &decoder{b: append([]byte(nil), b...), owned: true, valid: utf8.Valid(b)}
	err := d.object(func(k string) error {
		var err error
		switch k {
		case "v":
			if d.peek() == 'n' {
				return d.literal("null")
			}
			var s string
			if s, err = d.number(); err == nil {
				env.V, err = strconv.Atoi(s)
			}
		case "tenant":
			env.Tenant, err = d.strOrNull()
		case "region":
			env.Region, err = d.strOrNull()
		case "channel":
			env.Channel, err = d.strOrNull()
		case "visitor":
			env.Visitor, err = d.strOrNull()
		case "direction":
			env.Direction, err = d.strOrNull()
		case "message":
			err = decodeMessage(d, &env.Message)
		case "labels":
			if d.peek() == 'n' {
				return d.literal("null")
			}
			if env.Labels == nil {
				env.Labels = map[string]string{}
			}
			err = d.object(func(lk string) error {
				v, err := d.strOrNull()
				env.Labels[lk] = v
				return err
			})
		default:
			err = d.skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	if d.peek() != 0 {
		return errSyntax
	}
	return nil
}

func decodeMessage(d *decoder, m *Message) error {
	return d.object(func(k string) error {
		var err error
		switch k {
		case "id":
			m.ID, err = d.strOrNull()
		case "conversation_id":
			m.ConversationID, err = d.strOrNull()
		case "role":
			m.Role, err = d.strOrNull()
		case "text":
			m.Text, err = d.strOrNull()
		case "source":
			m.Source, err = d.strOrNull()
		case "reply_to":
			m.ReplyTo, err = d.strOrNull()
		case "author":
			m.Author, err = d.strOrNull()
		case "lang":
			m.Lang, err = d.strOrNull()
		case "intent":
			m.Intent, err = d.strOrNull()
		case "anger":
			if d.peek() == 'n' {
				return d.literal("null")
			}
			var s string
			if s, err = d.number(); err == nil {
				m.Anger, err = strconv.ParseFloat(s, 64)
			}
		case "intent_confidence":
			if d.peek() == 'n' {
				return d.literal("null")
			}
			var s string
			if s, err = d.number(); err == nil {
				m.IntentConfidence, err = strconv.ParseFloat(s, 64)
			}
		case "at":
			var s string
			if s, err = d.strOrNull(); err == nil && s != "" {
				m.At, err = time.Parse(time.RFC3339Nano, s)
			}
		default:
			err = d.skip()
		}
		return err
	})
}

// appendString appends s as a JSON string (invalid UTF-8 → U+FFFD).
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		// a run of bytes written as they are, copied at once
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] < utf8.RuneSelf && s[j] != '"' && s[j] != '\\' {
			j++
		}
		if j > i {
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
