package pdk

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors the host functions return (plugins/ABI.md section 6). Test with
// errors.Is.
var (
	ErrNotFound   = errors.New("pdk: not found")
	ErrNotGranted = errors.New("pdk: capability not granted to this plugin in this region")
	ErrDenied     = errors.New("pdk: denied by the host")
	ErrQuota      = errors.New("pdk: tenant quota spent")
	ErrInvalid    = errors.New("pdk: invalid host call")
	ErrIO         = errors.New("pdk: upstream failed")
	ErrTooLarge   = errors.New("pdk: value too large")
)

// ABI error codes.
const (
	codeNotFound   = -1
	codeNotGranted = -2
	codeDenied     = -3
	codeQuota      = -4
	codeInvalid    = -5
	codeIO         = -6
	codeTooLarge   = -7
)

func codeErr(op string, code int32) error {
	var err error
	switch code {
	case codeNotFound:
		err = ErrNotFound
	case codeNotGranted:
		err = ErrNotGranted
	case codeDenied:
		err = ErrDenied
	case codeQuota:
		err = ErrQuota
	case codeInvalid:
		err = ErrInvalid
	case codeIO:
		err = ErrIO
	case codeTooLarge:
		err = ErrTooLarge
	default:
		return fmt.Errorf("pdk: %s: host error code %d", op, code)
	}
	return fmt.Errorf("pdk: %s: %w", op, err)
}

// Level is a log level.
type Level int32

// Log levels.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

// Log writes one line to the edge's log under the plugin's name.
func Log(level Level, msg string) { platLog(int32(level), msg) }

// Logf formats and logs one line.
func Logf(level Level, format string, args ...any) { Log(level, fmt.Sprintf(format, args...)) }

// Now returns the host's wall clock.
func Now() time.Time { return time.Unix(0, platNow()) }

// Config returns the operator's config value for key in this region; ok is
// false when it is not set.
func Config(key string) (value string, ok bool) {
	v, code := platConfig(key)
	if code < 0 {
		return "", false
	}
	return v, true
}

// KVGet returns the value stored under key for this tenant and plugin, or
// an error wrapping ErrNotFound (or ErrNotGranted without the kv grant).
func KVGet(key string) ([]byte, error) {
	b, code := platKVGet(key)
	if code < 0 {
		return nil, codeErr("kv_get "+key, code)
	}
	return b, nil
}

// KVSet stores value under key for this tenant and plugin; ttl 0 keeps it
// until evicted; an empty value deletes the key.
func KVSet(key string, value []byte, ttl time.Duration) error {
	if code := platKVSet(key, value, int32(ttl/time.Second)); code < 0 {
		return codeErr("kv_set "+key, code)
	}
	return nil
}

// Request is an outbound HTTP request (only to hosts the region allows).
type Request struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// Response is the answer to a Request.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
}

// HTTP performs req through the host. It needs the "http" grant and counts
// against the tenant's HTTP quota.
func HTTP(req Request) (Response, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("pdk: encoding request: %w", err)
	}
	out, code := platHTTP(in)
	if code < 0 {
		return Response{}, codeErr("http_request "+req.URL, code)
	}
	var resp Response
	if err := json.Unmarshal(out, &resp); err != nil {
		return Response{}, fmt.Errorf("pdk: decoding response: %w", err)
	}
	return resp, nil
}

// AlertMsg is an alert for the region's alert webhook. The host adds tenant,
// region, plugin and conversation id.
type AlertMsg struct {
	Level string `json:"level"`
	Text  string `json:"text"`
	Link  string `json:"link,omitempty"`
}

// Alert queues an alert. It needs the "alert" grant.
func Alert(a AlertMsg) error {
	in, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("pdk: encoding alert: %w", err)
	}
	if code := platAlert(in); code < 0 {
		return codeErr("alert", code)
	}
	return nil
}

// VaultPut stores value (personal data of PII type typ, e.g. "PHONE") in the
// region's vault for this tenant and conversation and returns the token that
// names it ("pii_…"). An agent of the same region may later reveal the value
// through the edge, with an audit record. It needs the "vault" grant.
func VaultPut(typ, value string) (string, error) {
	out, code := platVaultPut(typ, value)
	if code < 0 {
		return "", codeErr("vault_put "+typ, code)
	}
	return string(out), nil
}

// PIISpan is personal data the host's detector found in a text (PIIScan).
type PIISpan struct {
	// Type is the kind of data: "PHONE", "EMAIL", "CARD", "ID", "IBAN",
	// "PASSPORT" or "ADDRESS".
	Type string
	// Start and End are byte offsets into the scanned text.
	Start, End int
}

// PIIScan runs the host's built-in personal-data detector (package
// plugins/pii, the one `kefu pii eval` measures) on text, natively, and
// returns its spans sorted by Start, never overlapping. types and locales
// restrict it as pii.Options does (nil: every type, every locale). It needs
// no grant; text is at most 64 KiB (ErrTooLarge), and the texts of one hook
// call together at most 1 MiB (ErrQuota). Scanning in the host costs a
// small fraction of running the detector inside a Go guest.
func PIIScan(text string, types, locales []string) ([]PIISpan, error) {
	out, code := platPIIScan(text, strings.Join(types, ","), strings.Join(locales, ","))
	if code < 0 {
		return nil, codeErr("pii_scan", code)
	}
	spans, err := decodePIISpans(out, len(text))
	if err != nil {
		return nil, fmt.Errorf("pdk: pii_scan: %w", err)
	}
	return spans, nil
}

// piiTypes are the detector's type names, so that decoding a span's type
// allocates nothing for them.
var piiTypes = []string{"EMAIL", "IBAN", "CARD", "ID", "PASSPORT", "PHONE", "ADDRESS"}

// decodePIISpans reads pii_scan's answer (plugins/ABI.md section 6) for a
// text of n bytes.
func decodePIISpans(b []byte, n int) ([]PIISpan, error) {
	u32 := func() (int, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v := int(binary.LittleEndian.Uint32(b))
		b = b[4:]
		return v, true
	}
	count, ok := u32()
	if !ok || count > len(b)/12 {
		return nil, errors.New("malformed answer")
	}
	if count == 0 {
		return nil, nil
	}
	spans := make([]PIISpan, count)
	for i := range spans {
		start, ok1 := u32()
		end, ok2 := u32()
		tn, ok3 := u32()
		if !ok1 || !ok2 || !ok3 || start > end || end > n || tn > len(b) {
			return nil, errors.New("malformed answer")
		}
		spans[i] = PIISpan{Type: internType(b[:tn]), Start: start, End: end}
		b = b[tn:]
	}
	return spans, nil
}

func internType(b []byte) string {
	for _, t := range piiTypes {
		if string(b) == t {
			return t
		}
	}
	return string(b)
}
