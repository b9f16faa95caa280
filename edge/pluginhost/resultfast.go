package pluginhost

import "github.com/kefu-io/kefu/chat"

// decodeWire parses a result in the form the Go PDK writes (plugins/pdk
// Result.Encode): one object, no white space, the known keys each at most
// once, string values with at most the common escapes (chat.UnescapeString),
// labels an object of such strings.
// ok is false for anything else, which DecodeResult then leaves to
// encoding/json; what decodeWire accepts it decodes as encoding/json does
// (FuzzDecodeResult compares the two). Decoding results with
// encoding/json was 7% of the server's CPU in `kefu bench stack` at 2,000
// messages per second.
func decodeWire(b []byte) (w wireResult, ok bool) {
	p := wireParser{b: b}
	if !p.skip('{') {
		return w, false
	}
	if p.skip('}') {
		return w, p.done()
	}
	var seen uint8
	for {
		key, ok := p.raw()
		if !ok || !p.skip(':') {
			return w, false
		}
		var bit uint8
		switch string(key) { // no allocation
		case "verdict":
			bit = 1
			w.Verdict, ok = p.str()
		case "text":
			bit = 2
			w.Text, ok = p.strPtr()
		case "lang":
			bit = 4
			w.Lang, ok = p.strPtr()
		case "intent":
			bit = 8
			w.Intent, ok = p.strPtr()
		case "labels":
			bit = 16
			w.Labels, ok = p.labels()
		case "answer":
			bit = 32
			w.Answer, ok = p.str()
		case "reason":
			bit = 64
			w.Reason, ok = p.str()
		default:
			return w, false
		}
		if !ok || seen&bit != 0 { // a repeated key: encoding/json's rules (merge, last wins) apply
			return w, false
		}
		seen |= bit
		if p.skip(',') {
			continue
		}
		if p.skip('}') {
			return w, p.done()
		}
		return w, false
	}
}

type wireParser struct {
	b []byte
	i int
}

func (p *wireParser) skip(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *wireParser) done() bool { return p.i == len(p.b) }

// raw reads a string without escapes or control characters and returns
// its bytes (a view into the input).
func (p *wireParser) raw() ([]byte, bool) {
	if !p.skip('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			r := p.b[start:p.i]
			p.i++
			return r, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// str reads a string: raw as a string, or, when it has escapes (a reply
// with a line break: geo-campaign's promotion follows "\n\n"), the value
// chat.UnescapeString gives; false for what that leaves to encoding/json.
func (p *wireParser) str() (string, bool) {
	start := p.i
	r, ok := p.raw()
	if ok {
		return string(r), true
	}
	p.i = start
	if !p.skip('"') {
		return "", false
	}
	from := p.i
	for ; p.i < len(p.b); p.i++ {
		switch p.b[p.i] {
		case '\\':
			p.i++ // the escaped byte; UnescapeString checks the escape
		case '"':
			p.i++
			return chat.UnescapeString(string(p.b[from : p.i-1]))
		}
	}
	return "", false
}

func (p *wireParser) strPtr() (*string, bool) {
	s, ok := p.str()
	if !ok {
		return nil, false
	}
	return &s, true
}

func (p *wireParser) labels() (map[string]string, bool) {
	if !p.skip('{') {
		return nil, false
	}
	m := map[string]string{}
	if p.skip('}') {
		return m, true
	}
	for {
		k, ok := p.str()
		if !ok || !p.skip(':') {
			return nil, false
		}
		v, ok := p.str()
		if !ok {
			return nil, false
		}
		if _, dup := m[k]; dup {
			return nil, false
		}
		m[k] = v
		if p.skip(',') {
			continue
		}
		return m, p.skip('}')
	}
}
