// Command pii-redact is the built-in Kefu plugin that masks personal data in
// shopper messages before they leave the edge: phones, e-mail, cards, ids,
// IBANs, passports and street addresses become [PHONE], [EMAIL]… (package
// plugins/pii), the verdict is modify, and label "pii" lists the types found
// ("EMAIL,PHONE"). With the "vault" grant each masked value is also kept in
// the region's vault and label "pii_tokens" lists "TYPE:token" in order of
// appearance ("PHONE:pii_…,EMAIL:pii_…"), so that an agent of the same
// region may reveal one (edge POST /v1/reveal, audited).
//
// The scan itself runs in the host (pdk.PIIScan, import pii_scan: the same
// plugins/pii detector, natively, instead of ~25× slower inside this
// guest); the plugin scans here only when the host refuses.
//
// Config (region TOML, [regions.X.plugins.pii-redact.config]):
//
//	types   = "PHONE,EMAIL,CARD,ID,IBAN,PASSPORT,ADDRESS"   # default: all
//	locales = "zh,en,de"                                   # default: all
//
// Standing answer (plugins/ABI.md section 2.2): a text in which the
// host's detector finds nothing, nor in the labels shopper_fields names,
// gets only label pii_checked; with spans (ABI 1.4 mask answer) the text
// and those labels masked, pii_tokens sealed through the vault, pii and
// pii_checked. The host answers both without calling the plugin.
//
// Grants: "vault" (optional). Its manifest declares pdk.PolicyFailClosed:
// a region runs it fail-closed unless the operator overrides that
// explicitly (fail = "open" with override_policy = true).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o pii-redact.wasm .
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.Declare(pdk.PolicyFailClosed) // it protects data: never skipped when it fails
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		return redact(env, instanceOptions(), pdk.VaultPut)
	})
	// The host answers for it (ABI 1.3, 1.4: also when its detector finds spans).
	pdk.TriggersWith(func(string) ([]string, *pdk.Standing) { return nil, standing(instanceOptions()) })
}

func main() {}
