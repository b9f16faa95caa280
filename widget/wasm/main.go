//go:build js && wasm

// Command wasm is the widget's WebAssembly core (GOOS=js GOARCH=wasm). It
// binds package widget/core to the page through syscall/js and registers
//
//	globalThis.kefuCore = {
//	  load(name, Uint8Array) → null | "error text",   // "langid", "intent" or "intent.<lang>" model (*.kmod)
//	  loadFAQ(entries, decline?) → null | "error text", // chat.FAQEntry-shaped plain objects; decline: chat.FAQPack.Decline
//	  ready: true,
//	}
//
// then blocks forever so the callbacks stay alive. It dispatches a
// "kefucore" event on globalThis once registered. Questions are not asked
// through syscall/js (a js.FuncOf call costs the page tens of µs and
// several js.Values, each with a finalizer) but through two WebAssembly
// exports and the core's memory (ask.go): the loader (assets/widget
// more.js) adds kefuCore.answer(text) → {lang, intent, score, anger,
// orderSpecific, faqId, text} | null and kefuCore.analyze(text) → {lang,
// intent, score, anger, orderSpecific} over them.
//
// Build (assets/dist is embedded by package assets/dist):
//
//	GOOS=js GOARCH=wasm go build -trimpath -gcflags=all=-l -gcflags=github.com/kefu-io/kefu/...= -ldflags="-s -w" -o assets/dist/kefu.wasm ./widget/wasm
//
// (the Makefile's WASM_FLAGS: the runtime and standard library without
// inlining, our packages with it; widget/core TestWASMCoreSize).
//
// It imports neither fmt nor encoding/json (see widget/core's package doc).
package main

import (
	"syscall/js"

	"github.com/kefu-io/kefu/widget/core"
)

func main() {
	// The page's answers must not wait for the collector: the page starts
	// the core with GOGC=off and GOMEMLIMIT=48MiB in its environment
	// (more.js loadCore), so it collects only near that limit (the models
	// and FAQ index are ~2 MB of live data). runtime/debug.SetGCPercent
	// would link fmt, os and time, 49 KB of the core's brotli size.
	c := core.New(core.DefaultConfig())
	theCore = c
	api := js.Global().Get("Object").New()
	api.Set("load", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 2 || args[0].Type() != js.TypeString {
			return "kefuCore.load(name, bytes): bad arguments"
		}
		b := make([]byte, args[1].Get("length").Int())
		js.CopyBytesToGo(b, args[1])
		if err := loadModel(c, args[0].String(), b); err != nil {
			return err.Error()
		}
		return js.Null()
	}))
	api.Set("loadFAQ", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 1 || args[0].Type() != js.TypeObject {
			return "kefuCore.loadFAQ(entries): bad arguments"
		}
		var decline []string
		if len(args) > 1 && args[1].Type() == js.TypeObject {
			for i, n := 0, min(args[1].Get("length").Int(), 1<<14); i < n; i++ {
				if v := args[1].Index(i); v.Type() == js.TypeString {
					decline = append(decline, v.String())
				}
			}
		}
		if err := c.LoadPack(entries(args[0]), decline); err != nil {
			return err.Error()
		}
		return js.Null()
	}))
	traceAPI(api)
	api.Set("ready", true)
	js.Global().Set("kefuCore", api)
	if ev := js.Global().Get("Event"); ev.Truthy() && js.Global().Get("dispatchEvent").Truthy() {
		js.Global().Call("dispatchEvent", ev.New("kefucore"))
	}
	select {}
}

// entries converts an array of {id, intent, questions: {lang: [..]},
// answers: {lang: ".."}, local} objects. Missing or mistyped fields become
// zero values, which core.LoadFAQ then refuses with a clear error.
func entries(arr js.Value) []core.Entry {
	n := arr.Get("length")
	if n.Type() != js.TypeNumber {
		return nil
	}
	out := make([]core.Entry, n.Int())
	keys := js.Global().Get("Object").Get("keys")
	for i := range out {
		v := arr.Index(i)
		if v.Type() != js.TypeObject {
			continue
		}
		e := &out[i]
		e.ID = str(v.Get("id"))
		e.Intent = str(v.Get("intent"))
		e.Local = v.Get("local").Type() == js.TypeBoolean && v.Get("local").Bool()
		if q := v.Get("questions"); q.Type() == js.TypeObject {
			e.Questions = map[string][]string{}
			ks := keys.Invoke(q)
			for j := 0; j < ks.Length(); j++ {
				k := ks.Index(j).String()
				list := q.Get(k)
				if list.Type() != js.TypeObject || list.Get("length").Type() != js.TypeNumber {
					continue
				}
				for m := 0; m < list.Length(); m++ {
					if s := str(list.Index(m)); s != "" {
						e.Questions[k] = append(e.Questions[k], s)
					}
				}
			}
		}
		if a := v.Get("answers"); a.Type() == js.TypeObject {
			e.Answers = map[string]string{}
			ks := keys.Invoke(a)
			for j := 0; j < ks.Length(); j++ {
				k := ks.Index(j).String()
				e.Answers[k] = str(a.Get(k))
			}
		}
	}
	return out
}

func str(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}
