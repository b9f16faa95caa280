package datasegs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/kefu-io/kefu/edge/pluginhost/internal/wasmbin"
	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// module is a wasm module with one memory page and the given sections
// after it (each: id, body).
func module(sections ...[]byte) []byte {
	b := []byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x01") // memory: min 1
	for _, s := range sections {
		b = append(b, s[0])
		b = wasmbin.AppendU32(b, uint32(len(s)-1))
		b = append(b, s[1:]...)
	}
	return b
}

// data is a data section of active memory-0 segments.
func data(segs ...segment) []byte {
	return append([]byte{sectionData}, encode(segs)...)
}

func seg(offset uint32, init string) segment { return segment{offset, []byte(init)} }

// image is the memory a module's data section writes (up to limit bytes).
func image(t testing.TB, wasm []byte, limit int) []byte {
	t.Helper()
	mem := make([]byte, limit)
	for _, s := range dataSegments(t, wasm) {
		if int64(s.offset) < int64(limit) {
			copy(mem[s.offset:], s.init)
		}
	}
	return mem
}

// dataSegments are the segments of wasm's data section (none without one).
func dataSegments(t testing.TB, wasm []byte) []segment {
	t.Helper()
	secs, err := wasmbin.Sections(wasm)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secs {
		if s.ID == sectionData {
			segs, err := parse(s.Body)
			if err != nil {
				t.Fatalf("data section: %v", err)
			}
			return segs
		}
	}
	return nil
}

func TestCoalesce(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		gap     int
		want    int // segments after
		err     error
		changed bool
	}{
		{"adjacent", module(data(seg(0, "ab"), seg(2, "cd"))), 0, 1, nil, true},
		{"short gaps", module(data(seg(16, "ab"), seg(20, "cd"), seg(100, "ef"))), 8, 2, nil, true},
		{"gap too long", module(data(seg(16, "ab"), seg(100, "cd"))), 8, 2, nil, false},
		{"unsorted", module(data(seg(20, "cd"), seg(16, "ab"))), 8, 1, nil, true},
		{"negative offset is a high address", module(data(seg(10, "a"), seg(1<<31, "b"))), 64, 2, nil, false},
		{"no data", module(), 8, 0, nil, false},
		{"overlap", module(data(seg(16, "abcd"), seg(18, "xy"))), 8, 0, ErrUnsupported, false},
		{"passive", module([]byte{sectionData, 1, 1, 2, 'a', 'b'}), 8, 0, ErrUnsupported, false},
		{"global offset", module([]byte{sectionData, 1, 0, 0x23, 0, 0x0b, 1, 'a'}), 8, 0, ErrUnsupported, false},
		{"data count", module([]byte{sectionDataCount, 0}, data(seg(0, "a"), seg(1, "b"))), 8, 0, ErrUnsupported, false},
		{"truncated segment", module([]byte{sectionData, 1, 0, 0x41, 0, 0x0b, 9, 'a'}), 8, 0, ErrMalformed, false},
		{"trailing bytes", module(append(data(seg(0, "a")), 7)), 8, 0, ErrMalformed, false},
		{"not wasm", []byte("nope, not wasm"), 8, 0, ErrMalformed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Coalesce(tt.in, tt.gap)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if got := len(dataSegments(t, out)); got != tt.want {
				t.Fatalf("%d segments, want %d", got, tt.want)
			}
			if changed := !bytes.Equal(out, tt.in); changed != tt.changed {
				t.Fatalf("changed %v, want %v", changed, tt.changed)
			}
			if !bytes.Equal(image(t, out, 256), image(t, tt.in, 256)) {
				t.Fatal("memory image differs")
			}
		})
	}
}

// goPlugin is the built-in pii-redact plugin, built (and cached) from source.
func goPlugin(t testing.TB) []byte {
	t.Helper()
	root, err := wasmbuild.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	path, err := wasmbuild.Cached(context.Background(), filepath.Join(root, "plugins", "pii-redact"))
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// TestCoalesceGoPlugin coalesces a built-in plugin (a Go reactor) and
// checks that wazero instantiates both modules to the same memory and
// that the coalesced one runs.
func TestCoalesceGoPlugin(t *testing.T) {
	ctx := context.Background()
	wasm := goPlugin(t)
	out, err := Coalesce(wasm, 4096)
	if err != nil {
		t.Fatal(err)
	}
	before, after := len(dataSegments(t, wasm)), len(dataSegments(t, out))
	t.Logf("%d segments -> %d; %d -> %d bytes", before, after, len(wasm), len(out))
	if before < 1000 || after*100 > before {
		t.Fatalf("%d segments -> %d: want a Go module's thousands cut a hundredfold", before, after)
	}
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	stubHost(ctx, t, rt, out)
	var mems [2][]byte
	for i, code := range [][]byte{wasm, out} {
		cfg := wazero.NewModuleConfig().WithName(string(rune('a' + i))).WithStartFunctions() // data only
		mod, err := rt.InstantiateWithConfig(ctx, code, cfg)
		if err != nil {
			t.Fatal(err)
		}
		mem, ok := mod.Memory().Read(0, mod.Memory().Size())
		if !ok {
			t.Fatal("memory unreadable")
		}
		mems[i] = bytes.Clone(mem)
	}
	if !bytes.Equal(mems[0], mems[1]) {
		t.Fatal("coalesced module instantiates to a different memory")
	}
	mod, err := rt.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig().WithName("run").WithStartFunctions("_initialize"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := mod.ExportedFunction("kefu_abi_version").Call(ctx); err != nil || res[0] != 1 {
		t.Fatalf("abi version: %v %v", res, err)
	}
}

// BenchmarkInstantiate instantiates a Go plugin's memory (no start
// function) from the module as built and coalesced, and reports the heap
// objects its compiled form holds.
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	wasm := goPlugin(b)
	out, err := Coalesce(wasm, 4096)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		code []byte
	}{{"as-built", wasm}, {"coalesced", out}} {
		b.Run(bc.name, func(b *testing.B) {
			rt := wazero.NewRuntime(ctx)
			defer rt.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, rt)
			stubHost(ctx, b, rt, bc.code)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			c, err := rt.CompileModule(ctx, bc.code)
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := float64(after.HeapObjects) - float64(before.HeapObjects)
			for i := 0; b.Loop(); i++ {
				mod, err := rt.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName(strconv.Itoa(i)).WithStartFunctions())
				if err != nil {
					b.Fatal(err)
				}
				_ = mod.Close(ctx)
			}
			b.ReportMetric(held, "held-objects")
		})
	}
}

// stubHost instantiates the host module wasm imports functions from
// (kefu's ABI) with functions that do nothing: enough to instantiate.
func stubHost(ctx context.Context, t testing.TB, rt wazero.Runtime, wasm []byte) {
	t.Helper()
	c, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	builders := map[string]wazero.HostModuleBuilder{}
	for _, fn := range c.ImportedFunctions() {
		mod, name, _ := fn.Import()
		if mod == wasi_snapshot_preview1.ModuleName {
			continue
		}
		if builders[mod] == nil {
			builders[mod] = rt.NewHostModuleBuilder(mod)
		}
		builders[mod].NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}), fn.ParamTypes(), fn.ResultTypes()).
			Export(name)
	}
	for mod, b := range builders {
		if _, err := b.Instantiate(ctx); err != nil {
			t.Fatalf("stub %s: %v", mod, err)
		}
	}
}

func FuzzCoalesce(f *testing.F) {
	f.Add(module(data(seg(0, "ab"), seg(2, "cd"), seg(40, "ef"))), 8)
	f.Add(module(data(seg(100, "x"), seg(7, "yz"))), 100)
	f.Add(module([]byte{sectionData, 1, 1, 2, 'a', 'b'}), 0)
	f.Fuzz(func(t *testing.T, wasm []byte, gap int) {
		if gap < 0 || gap > 1<<16 {
			return
		}
		out, err := Coalesce(wasm, gap)
		if err != nil || bytes.Equal(out, wasm) {
			return
		}
		// A change keeps the memory image (checked where it is small).
		for _, s := range dataSegments(t, out) {
			if uint64(s.offset)+uint64(len(s.init)) > 1<<16 {
				return
			}
		}
		if !bytes.Equal(image(t, out, 1<<16), image(t, wasm, 1<<16)) {
			t.Fatal("memory image differs")
		}
	})
}
