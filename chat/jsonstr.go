package chat

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// JSON strings with escapes on the hand-written paths. A reply with a
// line break (geo-campaign appends its promotion after "\n\n", so every
// conversation's first reply has one), a quote or an HTML character used
// to send each encoder and decoder of the message to encoding/json: the
// first reply of each conversation took the slow path five times (the
// plugin's result, the shown report and its event at the edge and at
// central, the edge's look at the event's head).

const hexDigits = "0123456789abcdef"

// appendQuoted appends s between quotes exactly as encoding/json writes a
// string (HTML characters escaped, invalid UTF-8 as U+FFFD, U+2028 and
// U+2029 escaped); a plain string is copied whole.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !escaped[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control bytes, <, > and &
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// UnescapeString returns the value of a JSON string whose contents (what
// lies between its quotes) are s, as encoding/json decodes it, for the
// common subset: valid UTF-8, no control bytes, the escapes \" \\ \/ \b
// \f \n \r \t and \uXXXX outside the UTF-16 surrogates. ok is false for
// anything else (a caller falls back to encoding/json). s without a
// backslash is returned as it is.
func UnescapeString(s string) (string, bool) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, plainInput(s)
	}
	if !plainInput(s) {
		return "", false
	}
	var sb strings.Builder
	sb.Grow(len(s))
	sb.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c != '\\' {
			j := strings.IndexByte(s[i:], '\\')
			if j < 0 {
				sb.WriteString(s[i:])
				break
			}
			sb.WriteString(s[i : i+j])
			i += j
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			sb.WriteByte(e)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			if i+6 > len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+2:i+6], 16, 16) // hex digits only: no sign, prefix or '_' in base 16
			if err != nil {
				return "", false
			}
			r := rune(v)
			if 0xD800 <= r && r <= 0xDFFF {
				return "", false // surrogates: left to encoding/json
			}
			sb.WriteRune(r)
			i += 6
			continue
		default:
			return "", false
		}
		i += 2
	}
	return sb.String(), true
}

// plainInput reports whether s has no control bytes and is valid UTF-8.
func plainInput(s string) bool {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.ValidString(s)
}
