package pluginhost

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"github.com/kefu-io/kefu/plugins/pii"
)

// Limits of pii_scan (plugins/ABI.md section 6).
const (
	// maxPIIText is the longest text one pii_scan call takes.
	maxPIIText = 64 << 10
	// maxPIIList is the longest types or locales list.
	maxPIIList = 1 << 10
	// maxPIIBytes bounds the text all pii_scan calls of one hook call
	// scan together: the host's detector runs outside the guest's fuel,
	// so a guest calling it in a loop is stopped by this budget.
	maxPIIBytes = 1 << 20
)

// hostPIIScan is the import pii_scan(text, types, locales, out): the
// built-in personal-data detector (package plugins/pii, the one `kefu pii
// eval` measures) run natively on a guest's text. It answers the spans in
// the binary layout of plugins/ABI.md section 6: u32 count, then per span
// u32 start, u32 end (byte offsets into text) and the type as u32 length
// and bytes. A Go guest scanning in wasm paid ~25× the native cost.
func (h *Host) hostPIIScan(ctx context.Context, m api.Module, s []uint64) {
	st := stateOf(ctx)
	if st == nil || !st.active {
		ret(s, codeInvalid)
		return
	}
	if uint32(s[1]) > maxPIIText {
		ret(s, codeTooLarge)
		return
	}
	if st.piiBytes+int(uint32(s[1])) > maxPIIBytes {
		ret(s, codeQuota)
		return
	}
	text, ok := m.Memory().Read(uint32(s[0]), uint32(s[1]))
	if !ok {
		ret(s, codeInvalid)
		return
	}
	types, ok1 := read(m, s[2], s[3], maxPIIList)
	locales, ok2 := read(m, s[4], s[5], maxPIIList)
	if !ok1 || !ok2 {
		ret(s, codeInvalid)
		return
	}
	st.piiBytes += len(text)
	if pre := st.prescan; pre != nil && string(types) == pre.types && string(locales) == pre.locales && string(text) == pre.text {
		// the host scanned this text for the plugin's standing answer
		st.piiOut = append(st.piiOut[:0], pre.out...)
	} else {
		// the text is copied: the detector's spans keep slices of it, and
		// guest memory may move when it grows
		spans := pii.Scan(string(text), scanOptions(string(types), string(locales)))
		st.piiOut = appendPIISpans(st.piiOut[:0], spans)
	}
	deliver(m, st, s, st.piiOut, s[6], s[7])
	if st.pending != nil { // delivered later by take: keep a copy of its own
		st.pending = append([]byte(nil), st.pending...)
	}
}

// scanOptions are the detector's options for pii_scan's types and
// locales lists.
func scanOptions(types, locales string) pii.Options {
	var o pii.Options
	for _, t := range splitComma(types) {
		o.Types = append(o.Types, pii.Type(t))
	}
	o.Locales = splitComma(locales)
	return o
}

// splitComma splits a comma-separated list; an empty list is nil.
func splitComma(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// appendPIISpans appends the pii_scan answer for spans to b.
func appendPIISpans(b []byte, spans []pii.Span) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(spans)))
	for _, sp := range spans {
		b = binary.LittleEndian.AppendUint32(b, uint32(sp.Start))
		b = binary.LittleEndian.AppendUint32(b, uint32(sp.End))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(sp.Type)))
		b = append(b, sp.Type...)
	}
	return b
}
