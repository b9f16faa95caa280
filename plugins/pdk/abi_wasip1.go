//go:build wasip1

package pdk

import "unsafe"

// Input and output buffers, reused across calls (plugins/ABI.md section 3).
var (
	inBuf  []byte
	outBuf []byte
)

//go:wasmexport kefu_abi_version
func kefuABIVersion() int32 { return 1 }

//go:wasmexport kefu_hooks
func kefuHooks() int32 { return hookBits() }

// kefu_envelope_formats: JSON and the binary envelope (ABI.md section 4.1).
//
//go:wasmexport kefu_envelope_formats
func kefuEnvelopeFormats() int32 { return formatJSON | formatBinary }

// kefu_policy: the plugin's manifest of policies (ABI.md section 2, Declare).
//
//go:wasmexport kefu_policy
func kefuPolicy() int32 { return int32(policy) }

//go:wasmexport kefu_alloc
func kefuAlloc(n int32) uint32 {
	if n < 0 {
		return 0
	}
	if cap(inBuf) < int(n) || cap(inBuf) == 0 {
		inBuf = make([]byte, max(int(n), 1024))
	}
	inBuf = inBuf[:cap(inBuf)]
	return uint32(uintptr(unsafe.Pointer(&inBuf[0])))
}

// kefu_triggers: the tenant's trigger phrases (ABI.md section 2.1,
// Triggers) and standing answer (section 2.2, TriggersWith); 0 without them.
//
//go:wasmexport kefu_triggers
func kefuTriggers(ptr, n uint32) uint64 {
	if triggersFn == nil && triggersWithFn == nil {
		return 0
	}
	if len(inBuf) == 0 || uint32(uintptr(unsafe.Pointer(&inBuf[0]))) != ptr || int(n) > len(inBuf) {
		panic("pdk: host passed a buffer kefu_alloc did not return")
	}
	out, ok := encodeTriggerAnswer(outBuf[:0], string(inBuf[:n]))
	if !ok {
		return 0
	}
	outBuf = out
	return uint64(uintptr(unsafe.Pointer(&outBuf[0])))<<32 | uint64(len(outBuf))
}

//go:wasmexport kefu_on_inbound
func kefuOnInbound(ptr, n uint32) uint64 { return call(HookInbound, ptr, n) }

//go:wasmexport kefu_on_outbound
func kefuOnOutbound(ptr, n uint32) uint64 { return call(HookOutbound, ptr, n) }

//go:wasmexport kefu_on_event
func kefuOnEvent(ptr, n uint32) uint64 { return call(HookEvent, ptr, n) }

func call(hook Hook, ptr, n uint32) uint64 {
	if len(inBuf) == 0 || uint32(uintptr(unsafe.Pointer(&inBuf[0]))) != ptr || int(n) > len(inBuf) {
		panic("pdk: host passed a buffer kefu_alloc did not return")
	}
	// The result is encoded into outBuf, which stays the guest's answer
	// until the next call (ABI section 3) and is reused by it.
	out, err := handle(hook, inBuf[:n], outBuf[:0])
	if err != nil {
		Log(LevelError, err.Error())
		r := Result{Verdict: VerdictPass}.WithLabel("pdk_error", "1")
		out = r.appendTo(outBuf[:0])
	}
	if len(out) == 0 {
		return 0
	}
	outBuf = out
	return uint64(uintptr(unsafe.Pointer(&outBuf[0])))<<32 | uint64(len(outBuf))
}

//go:wasmimport kefu log
func kefuLog(level int32, ptr unsafe.Pointer, n uint32)

//go:wasmimport kefu now
func kefuNow() int64

//go:wasmimport kefu config_get
func kefuConfigGet(kp unsafe.Pointer, kn uint32, op unsafe.Pointer, on uint32) int32

//go:wasmimport kefu take
func kefuTake(op unsafe.Pointer, on uint32) int32

//go:wasmimport kefu kv_get
func kefuKVGet(kp unsafe.Pointer, kn uint32, op unsafe.Pointer, on uint32) int32

//go:wasmimport kefu kv_set
func kefuKVSet(kp unsafe.Pointer, kn uint32, vp unsafe.Pointer, vn uint32, ttl int32) int32

//go:wasmimport kefu http_request
func kefuHTTP(rp unsafe.Pointer, rn uint32, op unsafe.Pointer, on uint32) int32

//go:wasmimport kefu vault_put
func kefuVaultPut(tp unsafe.Pointer, tn uint32, vp unsafe.Pointer, vn uint32, op unsafe.Pointer, on uint32) int32

//go:wasmimport kefu pii_scan
func kefuPIIScan(tp unsafe.Pointer, tn uint32, yp unsafe.Pointer, yn uint32, lp unsafe.Pointer, ln uint32, op unsafe.Pointer, on uint32) int32

//go:wasmimport kefu alert
func kefuAlert(p unsafe.Pointer, n uint32) int32

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// readOut runs a host call that writes into an out buffer, taking the
// pending value when the first buffer was too small.
func readOut(call func(op unsafe.Pointer, on uint32) int32) ([]byte, int32) {
	var small [512]byte
	n := call(unsafe.Pointer(&small[0]), uint32(len(small)))
	if n < 0 {
		return nil, n
	}
	if int(n) <= len(small) {
		return append([]byte(nil), small[:n]...), n
	}
	big := make([]byte, n)
	m := kefuTake(unsafe.Pointer(&big[0]), uint32(n))
	if m < 0 {
		return nil, m
	}
	return big[:m], m
}

func platLog(level int32, msg string) { kefuLog(level, strPtr(msg), uint32(len(msg))) }

func platNow() int64 { return kefuNow() }

// configCache keeps config_get answers: the host fixes an instance's config
// for its whole life (a reload replaces the instances; plugins/ABI.md
// section 6), so each key crosses the boundary once per instance.
var configCache = map[string]configAnswer{}

type configAnswer struct {
	val  string
	code int32
}

func platConfig(key string) (string, int32) {
	if a, ok := configCache[key]; ok {
		return a.val, a.code
	}
	val, code := readOut(func(op unsafe.Pointer, on uint32) int32 {
		return kefuConfigGet(strPtr(key), uint32(len(key)), op, on)
	})
	if code >= 0 || code == codeNotFound { // not INVALID (outside a hook call)
		configCache[key] = configAnswer{string(val), code}
	}
	return string(val), code
}

func platKVGet(key string) ([]byte, int32) {
	return readOut(func(op unsafe.Pointer, on uint32) int32 {
		return kefuKVGet(strPtr(key), uint32(len(key)), op, on)
	})
}

func platKVSet(key string, val []byte, ttl int32) int32 {
	return kefuKVSet(strPtr(key), uint32(len(key)), bytesPtr(val), uint32(len(val)), ttl)
}

func platHTTP(req []byte) ([]byte, int32) {
	return readOut(func(op unsafe.Pointer, on uint32) int32 {
		return kefuHTTP(bytesPtr(req), uint32(len(req)), op, on)
	})
}

func platAlert(payload []byte) int32 {
	return kefuAlert(bytesPtr(payload), uint32(len(payload)))
}

func platVaultPut(typ, value string) ([]byte, int32) {
	return readOut(func(op unsafe.Pointer, on uint32) int32 {
		return kefuVaultPut(strPtr(typ), uint32(len(typ)), strPtr(value), uint32(len(value)), op, on)
	})
}

func platPIIScan(text, types, locales string) ([]byte, int32) {
	return readOut(func(op unsafe.Pointer, on uint32) int32 {
		return kefuPIIScan(strPtr(text), uint32(len(text)), strPtr(types), uint32(len(types)),
			strPtr(locales), uint32(len(locales)), op, on)
	})
}
