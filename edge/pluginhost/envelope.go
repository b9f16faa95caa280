package pluginhost

import (
	"encoding/binary"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/kefu-io/kefu/chat"
)

// Input formats a guest may take (plugins/ABI.md section 4): bits of the
// optional export kefu_envelope_formats. JSON is what every guest takes.
const (
	formatJSON   = 1
	formatBinary = 2
)

// binaryMagic starts a binary envelope (plugins/ABI.md section 4.1); a JSON
// decoder fails on its first byte, so a mix-up is an error, not a misread.
var binaryMagic = [4]byte{'k', 'e', 'v', 1}

// binaryZeroTime is the "at" of an envelope without a time.
const binaryZeroTime = math.MinInt64

// appendBinaryEnvelope appends env in the binary envelope format: what a
// guest that exports kefu_envelope_formats with bit 2 receives instead of
// JSON. Strings are made valid UTF-8 as encoding/json would (each invalid
// byte becomes U+FFFD); labels are sorted by key.
func appendBinaryEnvelope(b []byte, env *chat.Envelope) []byte {
	b = append(b, binaryMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(env.V)))
	at := int64(binaryZeroTime)
	if !env.Message.At.IsZero() {
		at = env.Message.At.UnixNano()
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(at))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(env.Message.Anger))
	m := &env.Message
	fields := [...]string{env.Tenant, env.Region, string(env.Channel), env.Visitor, string(env.Direction),
		m.ID, m.ConversationID, string(m.Role), m.Text, string(m.Source), m.ReplyTo, m.Author, m.Lang, m.Intent}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(fields)))
	for _, s := range fields {
		b = appendBinaryString(b, s)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(env.Labels)))
	if len(env.Labels) > 0 {
		keys := make([]string, 0, len(env.Labels))
		for k := range env.Labels {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = appendBinaryString(b, k)
			b = appendBinaryString(b, env.Labels[k])
		}
	}
	// The numbers trailer (ABI 1.1): a count and that many f64 values.
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(env.Message.IntentConfidence))
	return b
}

// BinaryEnvelope returns env in the binary envelope format of
// plugins/ABI.md section 4.1, for tools that feed Kefu guests outside a
// Host (kefu bench plugins gives it to the Extism twin of the pass-through
// plugin, so that both hosts' guests decode the same bytes).
func BinaryEnvelope(env *chat.Envelope) []byte {
	return appendBinaryEnvelope(make([]byte, 0, 256+len(env.Message.Text)), env)
}

func appendBinaryString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // each invalid byte → U+FFFD, as encoding/json
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
