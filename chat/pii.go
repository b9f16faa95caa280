package chat

import "strings"

// LabelPIITokens is the envelope label in which the pii-redact plugin lists
// the values it masked and kept in its region's vault: "TYPE:token,…" in
// order of appearance in the text ("PHONE:pii_…,EMAIL:pii_…"). A value it
// masked but could not keep is listed as "TYPE:-" (NotKept), so the n-th
// token of a type still belongs to the n-th placeholder of that type.
// Central turns it into Message.PII.
const LabelPIITokens = "pii_tokens"

// NotKept stands in LabelPIITokens (and as an empty PIIToken.Token) for a
// value that was masked but not kept in the vault: nothing to reveal.
const NotKept = "-"

// maxPIITokens caps how many tokens one message keeps (the label itself is
// at most 1 KiB, about 25 tokens).
const maxPIITokens = 64

// PIIToken names one value masked in a message's text ([PHONE], [EMAIL]…)
// that an edge kept in its region's vault. An agent of the message's tenant
// reveals it at that region's edge (POST /v1/reveal, docs/CONTRACTS.md).
type PIIToken struct {
	// Type is the PII type; the text shows the value as "[" + Type + "]".
	Type string `json:"type"`
	// Token names the sealed value ("pii_…"); empty when the value was
	// masked but not kept (nothing to reveal; the slot keeps the order).
	Token string `json:"token"`
	// Region is the edge region whose vault keeps the value.
	Region string `json:"region,omitempty"`
}

// ParsePIITokens parses a LabelPIITokens value of an envelope from region.
// Items that are not TYPE:token with TYPE of 1–32 [A-Z0-9_] and token
// "pii_" followed by 1–64 [a-z0-9] (or NotKept, parsed as an empty token)
// are skipped; at most 64 are kept. The
// result is nil when nothing is valid.
func ParsePIITokens(label, region string) []PIIToken {
	var out []PIIToken
	for item := range strings.SplitSeq(label, ",") {
		typ, tok, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || !validPIIType(typ) || (tok != NotKept && !ValidPIIToken(tok)) {
			continue
		}
		if tok == NotKept {
			tok = ""
		}
		out = append(out, PIIToken{Type: typ, Token: tok, Region: region})
		if len(out) == maxPIITokens {
			break
		}
	}
	return out
}

// ValidPIIToken reports whether s has the form of a vault token: "pii_"
// followed by 1–64 lower-case letters and digits.
func ValidPIIToken(s string) bool {
	rest, ok := strings.CutPrefix(s, "pii_")
	if !ok || len(rest) == 0 || len(rest) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func validPIIType(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// LabelShopperFields is the envelope label in which the edge lists, comma
// separated and sorted, the other labels whose values a shopper typed or
// controls (page context such as "url", "title", "custom.*"; names a page
// gives later). They pass the region's inbound pipeline with the message
// text, and a plugin that masks personal data masks their values as it
// masks the text (pii-redact does). A shopper cannot set this label: the
// edge keeps only whitelisted client labels and sets it itself.
const LabelShopperFields = "shopper_fields"
