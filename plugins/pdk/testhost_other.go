//go:build !wasip1

package pdk

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// TestHost serves the host functions when the PDK is compiled natively, so
// that plugin logic can be unit-tested with `go test` (not available in
// wasip1 builds). Set Test's fields before running handlers; it is not safe
// for concurrent use.
type TestHost struct {
	// Config answers Config.
	Config map[string]string
	// Grants lists granted capabilities ("kv", "http", "alert", "vault"); nil grants all.
	Grants []string
	// KV backs KVGet/KVSet (TTL is ignored).
	KV map[string][]byte
	// HTTP answers HTTP; nil makes HTTP fail with ErrIO.
	HTTP func(Request) (Response, error)
	// Vault records VaultPut calls in order; the token of the i-th value
	// is "tok<i+1>" (as seen by the plugin).
	Vault []VaultEntry
	// Alerts and Logs record what the plugin sent.
	Alerts []AlertMsg
	Logs   []string
	// Clock answers Now; nil uses time.Now.
	Clock func() time.Time
	// PIIScan answers PIIScan (a plugin's test passes the detector it
	// expects, e.g. a wrapper of pii.Scan); nil makes PIIScan fail with
	// ErrInvalid. types and locales are as PIIScan got them.
	PIIScan func(text string, types, locales []string) []PIISpan
}

// VaultEntry is one value a plugin stored with VaultPut under a TestHost.
type VaultEntry struct {
	Token, Type, Value string
}

// Test is the TestHost used by native builds. Reset it with ResetTest.
var Test = &TestHost{}

// ResetTest replaces Test with an empty TestHost.
func ResetTest() { Test = &TestHost{} }

func (t *TestHost) granted(c string) bool {
	if t.Grants == nil {
		return true
	}
	for _, g := range t.Grants {
		if g == c {
			return true
		}
	}
	return false
}

func platLog(level int32, msg string) {
	Test.Logs = append(Test.Logs, fmt.Sprintf("%d %s", level, msg))
}

func platNow() int64 {
	if Test.Clock != nil {
		return Test.Clock().UnixNano()
	}
	return time.Now().UnixNano()
}

func platConfig(key string) (string, int32) {
	v, ok := Test.Config[key]
	if !ok {
		return "", codeNotFound
	}
	return v, int32(len(v))
}

func platKVGet(key string) ([]byte, int32) {
	if !Test.granted("kv") {
		return nil, codeNotGranted
	}
	v, ok := Test.KV[key]
	if !ok {
		return nil, codeNotFound
	}
	return append([]byte(nil), v...), int32(len(v))
}

func platKVSet(key string, val []byte, _ int32) int32 {
	if !Test.granted("kv") {
		return codeNotGranted
	}
	if Test.KV == nil {
		Test.KV = map[string][]byte{}
	}
	if len(val) == 0 {
		delete(Test.KV, key)
		return 0
	}
	Test.KV[key] = append([]byte(nil), val...)
	return 0
}

func platHTTP(in []byte) ([]byte, int32) {
	if !Test.granted("http") {
		return nil, codeNotGranted
	}
	var req Request
	if err := json.Unmarshal(in, &req); err != nil {
		return nil, codeInvalid
	}
	if Test.HTTP == nil {
		return nil, codeIO
	}
	resp, err := Test.HTTP(req)
	if err != nil {
		return nil, codeIO
	}
	out, _ := json.Marshal(resp)
	return out, int32(len(out))
}

func platAlert(in []byte) int32 {
	if !Test.granted("alert") {
		return codeNotGranted
	}
	var a AlertMsg
	if err := json.Unmarshal(in, &a); err != nil {
		return codeInvalid
	}
	Test.Alerts = append(Test.Alerts, a)
	return 0
}

func platVaultPut(typ, value string) ([]byte, int32) {
	if !Test.granted("vault") {
		return nil, codeNotGranted
	}
	if typ == "" || value == "" {
		return nil, codeInvalid
	}
	tok := fmt.Sprintf("tok%d", len(Test.Vault)+1)
	Test.Vault = append(Test.Vault, VaultEntry{Token: tok, Type: typ, Value: value})
	return []byte(tok), int32(len(tok))
}

func platPIIScan(text, types, locales string) ([]byte, int32) {
	if Test.PIIScan == nil {
		return nil, codeInvalid
	}
	spans := Test.PIIScan(text, splitList(types), splitList(locales))
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(spans)))
	for _, s := range spans {
		b = binary.LittleEndian.AppendUint32(b, uint32(s.Start))
		b = binary.LittleEndian.AppendUint32(b, uint32(s.End))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Type)))
		b = append(b, s.Type...)
	}
	return b, int32(len(b))
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
