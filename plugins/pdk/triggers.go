package pdk

import (
	"encoding/binary"
	"strings"
)

// Trigger phrases (plugins/ABI.md section 2.1, ABI 1.2): a plugin whose
// inbound and outbound handlers act only on texts containing certain words
// (sensitive-alert's watch list) names them, and the host skips its calls
// for every other text — a skipped call costs no guest code at all.

// Bounds of the host (plugins/ABI.md section 2.1): past them EncodeTriggers
// gives no filter.
const (
	maxTriggerBytes   = 64 << 10
	maxTriggerPhrases = 4096
	maxTriggerPhrase  = 1024
)

var triggersFn func(tenant string) []string

// Triggers registers f, which returns a tenant's trigger phrases: the
// plugin promises that its inbound and outbound handlers return Pass()
// with no labels for every message whose text, lower-cased as
// strings.ToLower, contains none of them. The host asks once per tenant
// and plugin version (an instance's config is fixed) and keeps the answer.
// No phrases (nil) means no message needs the handlers. The phrases are
// lower-cased here; an empty phrase, or a list past the
// host's bounds (4,096 phrases, 1 KiB each, 64 KiB in all), sends every
// message to the handlers. Call it from init.
func Triggers(f func(tenant string) []string) { triggersFn = f }

// EncodeTriggers appends phrases, lower-cased, to dst in the layout of a
// kefu_triggers answer (a u32 count, then per phrase a u32 length and its
// bytes). ok is false when the list cannot filter: an empty phrase, or past
// the host's bounds.
func EncodeTriggers(dst []byte, phrases []string) (out []byte, ok bool) {
	if len(phrases) > maxTriggerPhrases {
		return dst, false
	}
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(phrases)))
	for _, p := range phrases {
		p = strings.ToLower(p)
		if p == "" || len(p) > maxTriggerPhrase {
			return dst[:start], false
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p)))
		dst = append(dst, p...)
		if len(dst)-start > maxTriggerBytes {
			return dst[:start], false
		}
	}
	return dst, true
}
