package pluginhost

import (
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/vault"
	"github.com/kefu-io/kefu/plugins/pdk"
	"github.com/kefu-io/kefu/plugins/pii"
)

// TestMaskAnswer: the host's modify answer (ABI 1.4) — masked text and
// labels, tokens sealed in order and opening to the values, "-" where the
// vault keeps nothing, no tokens label without the grant, the list stopped
// before 1 KiB, and the guest called (nothing sealed) where the host cannot
// answer as it would.
func TestMaskAnswer(t *testing.T) {
	a, err := parseAnswer(encodeStanding(t, (&pdk.Standing{}).Set("pii_checked", "EMAIL,PHONE").
		NoSpans([]string{"EMAIL", "PHONE"}, nil).MaskSpans("pii_tokens", "pii", "shopper_fields")))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New("eu", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	granted := &sealer{vault: v, granted: true, maxText: 4 << 10, log: log}
	env := func(text string, labels map[string]string) *chat.Envelope {
		e := envelope(text)
		e.Labels = labels
		return &e
	}
	str := func(s string) *string { return &s }
	const text = "mail a@b.de or call +49 170 1234567"
	const masked = "mail [EMAIL] or call [PHONE]"
	for _, tc := range []struct {
		name   string
		env    *chat.Envelope
		s      *sealer
		ok     bool
		text   *string
		labels map[string]string // pii_tokens: the types and "-" only
		sealed int
	}{
		{"nothing found", env("hello", map[string]string{"shopper_fields": "page", "page": "home"}), granted, true, nil,
			map[string]string{"pii_checked": "EMAIL,PHONE"}, 0},
		{"text", env(text, map[string]string{"pii": "ID, X"}), granted, true, str(masked),
			map[string]string{"pii_checked": "EMAIL,PHONE", "pii": "EMAIL,ID,PHONE,X", "pii_tokens": "EMAIL,PHONE"}, 2},
		{"not granted", env(text, nil), &sealer{vault: v, maxText: 4 << 10, log: log}, true, str(masked),
			map[string]string{"pii_checked": "EMAIL,PHONE", "pii": "EMAIL,PHONE"}, 0},
		{"no vault", env(text, nil), &sealer{granted: true, maxText: 4 << 10, log: log}, true, str(masked),
			map[string]string{"pii_checked": "EMAIL,PHONE", "pii": "EMAIL,PHONE", "pii_tokens": "EMAIL:-,PHONE:-"}, 0},
		{"labels only", env("hi", map[string]string{"shopper_fields": "page name,gone", "page": "x@y.org", "name": "Li"}), granted, true, nil,
			map[string]string{"pii_checked": "EMAIL,PHONE", "pii": "EMAIL", "page": "[EMAIL]"}, 0},
		{"listed label the answer sets", env(text, map[string]string{"shopper_fields": "pii", "pii": "a@b.de"}), granted, false, nil, nil, 0},
		{"listed bad key", env("hi", map[string]string{"shopper_fields": "Page"}), granted, false, nil, nil, 0},
		{"masked label over 1 KiB", env("hi", map[string]string{"shopper_fields": "p", "p": strings.Repeat("a@b.de ", 150)}), granted, false, nil, nil, 0},
		{"text over the limit", env(text, nil), &sealer{vault: v, granted: true, maxText: 20, log: log}, false, nil, nil, 0},
		{"no sealer", env(text, nil), nil, false, nil, nil, 0},
	} {
		before := v.Len()
		got, ok, pre := a.answer(tc.env, tc.s)
		if ok != tc.ok || v.Len()-before != tc.sealed {
			t.Errorf("%s: %+v %v, %d sealed; want %v, %d", tc.name, got, ok, v.Len()-before, tc.ok, tc.sealed)
			continue
		}
		if !ok {
			if strings.Contains(tc.env.Message.Text, "@") && pre == nil {
				t.Errorf("%s: no prescan for the guest", tc.name)
			}
			continue
		}
		if tokens := got.Labels["pii_tokens"]; tokens != "" {
			var shape []string
			for i, item := range strings.Split(tokens, ",") {
				typ, tok, _ := strings.Cut(item, ":")
				if tok != chat.NotKept {
					val, err := v.Reveal(vault.RevealRequest{Tenant: "shop1", Token: tok, Agent: "a", AgentRegion: "eu", Reason: "test"})
					if want := []string{"a@b.de", "+49 170 1234567"}[i]; err != nil || val != want {
						t.Errorf("%s: token %d opens to %q (%v), want %q", tc.name, i, val, err, want)
					}
					item = typ
				}
				shape = append(shape, item)
			}
			got.Labels["pii_tokens"] = strings.Join(shape, ",")
		}
		if wantVerdict := Modify; tc.text == nil && tc.labels["pii"] == "" {
			wantVerdict = Pass
			if got.Verdict != wantVerdict {
				t.Errorf("%s: verdict %v", tc.name, got.Verdict)
			}
		} else if got.Verdict != wantVerdict {
			t.Errorf("%s: verdict %v", tc.name, got.Verdict)
		}
		if !reflect.DeepEqual(got.Text, tc.text) || !reflect.DeepEqual(got.Labels, tc.labels) {
			t.Errorf("%s: text %v labels %q; want %v %q", tc.name, deref(got.Text), got.Labels, deref(tc.text), tc.labels)
		}
	}
}

// TestTokensStopBeforeLimit: the list ends before the item that would
// take it over 1 KiB (that value is sealed, as vault_put sealed it for the
// guest, and not listed).
func TestTokensStopBeforeLimit(t *testing.T) {
	a, err := parseAnswer(encodeStanding(t, (&pdk.Standing{}).NoSpans([]string{"EMAIL"}, nil).MaskSpans("pii_tokens", "", "")))
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New("eu", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := envelope(strings.Repeat("write to a@b.de or ", 100))
	got, ok, _ := a.answer(&e, &sealer{vault: v, granted: true, maxText: 4 << 10, log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	tokens := got.Labels["pii_tokens"]
	n := strings.Count(tokens, ",") + 1
	if !ok || len(tokens) > maxLabelValueLen || n >= 100 || v.Len() != n+1 || len(tokens)+len(",EMAIL:")+len(strings.TrimPrefix(strings.Split(tokens, ",")[0], "EMAIL:")) <= maxLabelValueLen {
		t.Errorf("%v: %d tokens in %d bytes, %d sealed", ok, n, len(tokens), v.Len())
	}
}

func TestSealerPut(t *testing.T) {
	v, err := vault.New("eu", make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := &sealer{vault: v, granted: true, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e := envelope("x")
	for _, tc := range []struct{ typ, value, want string }{
		{"EMAIL", strings.Repeat("v", maxVaultValue+1), chat.NotKept},
		{"EMAIL", "", chat.NotKept},
		{"email", "a@b.de", chat.NotKept},
		{"EMAIL", strings.Repeat("v", maxVaultValue), "token"},
	} {
		if got := s.put(&e, tc.typ, tc.value); (got == chat.NotKept) != (tc.want == chat.NotKept) {
			t.Errorf("put(%q, %d bytes) = %q", tc.typ, len(tc.value), got)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestTypesLabel: the types found merged into the label's list as
// pii-redact's typesLabel merges them (split at ',', ' ' and new lines,
// sorted, without repeats or empty items).
func TestTypesLabel(t *testing.T) {
	spans := func(ts ...pii.Type) []pii.Span {
		var out []pii.Span
		for _, ty := range ts {
			out = append(out, pii.Span{Type: ty})
		}
		return out
	}
	for _, tc := range []struct {
		spans []pii.Span
		prev  string
		want  string
	}{
		{nil, "", ""},
		{nil, " ,\n", ""},
		{spans(pii.Phone), "", "PHONE"},
		{spans(pii.Phone, pii.Email, pii.Phone), "", "EMAIL,PHONE"},
		{spans(pii.Email), "PHONE", "EMAIL,PHONE"},
		{spans(pii.Email), "EMAIL", "EMAIL"},
		{nil, "X, Y\nX,,Z ", "X,Y,Z"},
		{spans(pii.Card), "\xffZ, EMAIL", "CARD,EMAIL,\xffZ"},
		{spans(pii.Address, pii.Card, pii.Email, pii.IBAN, pii.ID, pii.Passport, pii.Phone), "A,B,C,D,E,F,G,H,I,J,K,L", "A,ADDRESS,B,C,CARD,D,E,EMAIL,F,G,H,I,IBAN,ID,J,K,L,PASSPORT,PHONE"},
	} {
		if got := typesLabel(tc.prev, tc.spans[:len(tc.spans)/2], tc.spans[len(tc.spans)/2:]); got != tc.want {
			t.Errorf("typesLabel(%v, %q) = %q, want %q", tc.spans, tc.prev, got, tc.want)
		}
	}
}
