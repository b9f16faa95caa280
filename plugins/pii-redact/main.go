// Command pii-redact is the built-in Kefu plugin that masks personal data in
// shopper messages before they leave the edge: phones, e-mail, cards, ids,
// IBANs, passports and street addresses become [PHONE], [EMAIL]… (package
// plugins/pii), the verdict is modify, and label "pii" lists the types found
// ("EMAIL,PHONE").
//
// Config (region TOML, [regions.X.plugins.pii-redact.config]):
//
//	types   = "PHONE,EMAIL,CARD,ID,IBAN,PASSPORT,ADDRESS"   # default: all
//	locales = "zh,en,de"                                   # default: all
//
// Grants: none. Run it fail-closed where masking is a legal duty.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o pii-redact.wasm .
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		return redact(env, optionsFromConfig(pdk.Config))
	})
}

func main() {}
