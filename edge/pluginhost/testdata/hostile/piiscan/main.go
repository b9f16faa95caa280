// Command piiscan calls the host's pii_scan with hostile arguments on
// "attack": a text pointer outside its memory, a text over the 64 KiB
// limit, and a 60 KiB text again and again until the call's 1 MiB scan
// budget is spent; it answers the codes it got and how many scans passed,
// then one honest scan's spans.
package main

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/kefu-io/kefu/plugins/pdk"
)

//go:wasmimport kefu pii_scan
func piiScan(tp unsafe.Pointer, tn uint32, yp unsafe.Pointer, yn uint32, lp unsafe.Pointer, ln uint32, op unsafe.Pointer, on uint32) int32

func init() {
	pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
		if env.Message.Text != "attack" {
			return pdk.Answer("ok:piiscan")
		}
		var out [64]byte
		o := unsafe.Pointer(&out[0])
		bad := piiScan(unsafe.Pointer(uintptr(0xfffffff0)), 64, nil, 0, nil, 0, o, uint32(len(out)))
		big := make([]byte, 64<<10+1)
		tooLarge := piiScan(unsafe.Pointer(&big[0]), uint32(len(big)), nil, 0, nil, 0, o, uint32(len(out)))
		text := []byte(strings.Repeat("call 13812345678 now ", 3000)) // 63,000 bytes, 3,000 phones
		scans, last := 0, int32(0)
		for scans < 100 {
			if last = piiScan(unsafe.Pointer(&text[0]), uint32(len(text)), nil, 0, nil, 0, o, uint32(len(out))); last < 0 {
				break
			}
			scans++
		}
		return pdk.Answer(fmt.Sprintf("bad=%d toolarge=%d scans=%d then=%d", bad, tooLarge, scans, last))
	})
}

func main() {}
