package edge

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kefu-io/kefu/edge/vault"
)

// FuzzRevealBody feeds arbitrary bodies to the reveal request parser (the
// body of POST /v1/reveal is untrusted): it never panics, and whatever it
// accepts has a token and a visible, valid reason within the limit.
func FuzzRevealBody(f *testing.F) {
	for _, s := range []string{
		`{"token":"pii_abc","reason":"courier needs to call"}`,
		`{"token":"pii_abc","reason":"\u200b\u200b\u200b\u200b"}`,
		`{"token":"","reason":"x"}`, `{"token":1}`, `[]`, `null`, `{"reason":"` + strings.Repeat("a", 2000) + `"}`,
		"{\"token\":\"t\",\"reason\":\"\xff\xfe\xfd\xfc\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRevealBody(body)
		if err != nil {
			return
		}
		if req.Token == "" || !vault.VisibleReason(req.Reason) || len(req.Reason) > maxRevealReason || !utf8.ValidString(req.Reason) {
			t.Fatalf("accepted %+v from %q", req, body)
		}
	})
}
