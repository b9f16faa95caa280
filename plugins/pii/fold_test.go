package pii

import (
	"strings"
	"testing"
)

// TestScanSeesThroughInvisibleCharacters: zero-width and other format
// characters, no-break spaces (phones insert U+202F when they format a
// number), soft hyphens and non-ASCII digits do not hide a value, and the
// masked text keeps the original text's shape (issue 8 item 2).
func TestScanSeesThroughInvisibleCharacters(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"zero-width space in card", "card 4111\u200b1111\u200b1111\u200b1111 thanks", "card [CARD] thanks"},
		{"word joiner in card", "card 4111\u20601111\u20601111\u20601111", "card [CARD]"},
		{"soft hyphen in phone", "call me 138\u00ad1234\u00ad5678", "call me [PHONE]"},
		{"narrow nbsp in phone", "phone +44\u202f7700\u202f900888 pls", "phone [PHONE] pls"},
		{"nbsp in phone", "Telefon: +49\u00a0151\u00a023456789", "Telefon: [PHONE]"},
		{"figure space in iban", "IBAN DE89\u20073704\u20070044\u20070532\u20070130\u200700", "IBAN [IBAN]"},
		{"zero-width in email", "mail li.lei\u200b@exa\u200cmple.com now", "mail [EMAIL] now"},
		{"bom and rtl mark in phone", "tel \ufeff138\u200e1234\u200f5678", "tel \ufeff[PHONE]"},
		{"arabic-indic digits", "رقمي +٩٧١ ٥٠ ١٢٣ ٤٥٦٧ شكرا", "رقمي [PHONE] شكرا"},
		{"full-width card", "卡号４１１１１１１１１１１１１１１１", "卡号[CARD]"},
		{"surrounding text untouched", "a\u200bb 13812345678 c\u00a0d", "a\u200bb [PHONE] c\u00a0d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Redact(tt.text, Options{})
			if r.Text != tt.want {
				t.Fatalf("Redact(%q) = %q, want %q", tt.text, r.Text, tt.want)
			}
			for _, s := range r.Spans {
				if tt.text[s.Start:s.End] != s.Value {
					t.Fatalf("span %+v does not index the original text", s)
				}
			}
		})
	}
}

// TestFoldIsIdentityOnPlainText: text with nothing to fold is scanned as it
// is (no copy).
func TestFoldIsIdentityOnPlainText(t *testing.T) {
	for _, s := range []string{"", "hello 13812345678", "我的手机 138 1234 5678", strings.Repeat("é", 10)} {
		if _, ok := fold(s); ok {
			t.Errorf("fold(%q) changed plain text", s)
		}
	}
	if f, ok := fold("a\u200bb\u00a0\uff11\xff"); !ok || f.text != "ab 1\xff" {
		t.Fatalf("fold = %q, %v", f.text, ok)
	}
}
