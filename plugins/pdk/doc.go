// Package pdk is the Go plugin development kit for Kefu edge plugins. It
// hides the WebAssembly ABI (plugins/ABI.md, version 1) behind typed Go: a
// plugin registers a handler per hook in an init function and calls host
// functions through plain Go wrappers.
//
//	package main
//
//	import "github.com/kefu-io/kefu/plugins/pdk"
//
//	func init() {
//		pdk.OnInbound(func(env *pdk.Envelope) pdk.Result {
//			if strings.Contains(env.Message.Text, "lawyer") {
//				return pdk.Escalate("legal threat")
//			}
//			return pdk.Pass()
//		})
//	}
//
//	func main() {}
//
// Build with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o name.wasm .
//
// (or `kefu plugin build DIR`). The module is a WASI reactor: the host runs
// `_initialize` (package init functions, so handlers must be registered in
// init, not in main) and then calls the exported hooks.
//
// # Native tests
//
// The package also compiles for the host platform so that plugin logic can
// be unit-tested with plain `go test`: Handle runs the registered handler,
// and the host functions are served by TestHost (config, KV, HTTP, alerts and
// logs in memory; PIIScan by a detector the test sets).
//
// # Dependencies
//
// Standard library only. The envelope decoder and the result encoder are
// hand-written (json.go, fuzzed against encoding/json): inside the host every
// loop iteration of guest code is metered, and reflection-driven decoding
// was ~10× the work. The PDK tells the host (kefu_envelope_formats) that it
// also takes the binary envelope (ABI.md section 4.1, binary.go), which the
// host then sends: decoding it is slicing, not a pass over every byte.
// Strings of a decoded envelope share one private copy of the input (one
// allocation), and config values are cached per instance (the host fixes
// them for an instance's life). encoding/json is linked only into plugins that call HTTP
// or Alert (their small request/response bodies). Plugins are not
// size-critical like the widget: a Go guest is ~2–3 MB and is compiled once
// per edge (and cached on disk). Handlers run one at a time per instance;
// the PDK keeps no locks.
//
// # What survives between calls
//
// Package-level variables live as long as the instance; the host runs
// several instances per plugin and discards one after any failure, so keep
// only caches there and use KVGet/KVSet for state that must be shared.
package pdk
