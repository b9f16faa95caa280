package pdk

import "testing"

// TestEncodeStandingMask: a mask answer needs the scan and label keys that
// are "" or valid, none twice, none a standing label's; it sets flag 4.
func TestEncodeStandingMask(t *testing.T) {
	scan := func() *Standing { return (&Standing{}).Set("pii_checked", "PHONE").NoSpans([]string{"PHONE"}, nil) }
	for _, tc := range []struct {
		name string
		s    *Standing
		ok   bool
	}{
		{"all keys", scan().MaskSpans("pii_tokens", "pii", "shopper_fields"), true},
		{"no keys", scan().MaskSpans("", "", ""), true},
		{"without scan", (&Standing{}).MaskSpans("pii_tokens", "pii", ""), false},
		{"bad key", scan().MaskSpans("PII", "", ""), false},
		{"key twice", scan().MaskSpans("pii", "pii", ""), false},
		{"a standing label", scan().MaskSpans("", "", "pii_checked"), false},
	} {
		b, ok := EncodeStanding(nil, tc.s)
		if ok != tc.ok || ok && (len(b) < 4 || b[0]&4 == 0) {
			t.Errorf("%s: %v %x", tc.name, ok, b)
		}
	}
}
