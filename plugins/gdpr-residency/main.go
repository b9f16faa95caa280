// Command gdpr-residency is the built-in Kefu plugin that enforces a
// region's data-residency rules at the edge and turns "delete my data"
// requests into erasure requests.
//
// Inbound, in order:
//
//  1. Erasure: a shopper asking to delete their data ("delete my data",
//     删除我的数据, "Daten löschen", "supprimer mes données", "borrar mis
//     datos", …) gets label erasure=1 and the verdict escalate with reason
//     "gdpr-erasure": central hands the conversation to a human and records
//     the request (chat.EventErasure). With erasure = "label" in the config
//     the message is only labelled and the pipeline goes on.
//  2. Residency: PII types listed in "resident" (default: all types) are
//     masked if still in clear text (so the rule holds even when pii-redact
//     is not in the pipeline, failed open, or masks fewer types or
//     locales; when label pii_checked says an earlier plugin already
//     masked every resident type in every locale, the text is not scanned
//     again), and labels listed in
//     "strip_labels" (default: "ip,geo,email,phone,address") are deleted so
//     they never leave the region. Label residency=<region> records that the
//     rules ran.
//
// Event hook: on conversation.erasure the plugin deletes what it keeps in KV
// for the visitor (its own consent flags), if it has the kv grant.
//
// Config: resident, strip_labels, erasure ("escalate" | "label").
//
// Standing answer (plugins/ABI.md section 2.2): for a text without an
// erasure phrase whose label pii_checked lists every resident type, the
// result is always the same labels (residency, stripped labels), so the
// plugin tells the host, which then applies them without calling it.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o gdpr-residency.wasm .
package main

import "github.com/kefu-io/kefu/plugins/pdk"

func init() {
	pdk.Declare(pdk.PolicyFailClosed) // it protects data: never skipped when it fails
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result { return inbound(env, instanceRules()) })
	// The host answers for it when a text holds no erasure phrase and
	// label pii_checked lists every resident type (ABI 1.3).
	pdk.TriggersWith(func(string) ([]string, *pdk.Standing) { return erasurePhrases, standing(instanceRules()) })
	pdk.OnEvent(func(env *pdk.Envelope) pdk.Result { return event(env) })
}

func main() {}
