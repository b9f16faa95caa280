package fuel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/kefu-io/kefu/internal/wasmbuild"
)

// loopModule: (func (export "spin") (param i64) (result i64) loop over
// param iterations, returning the count) — hand-assembled.
var loopModule = []byte("\x00asm\x01\x00\x00\x00" +
	"\x01\x06\x01\x60\x01\x7e\x01\x7e" + // type: (i64) -> i64
	"\x03\x02\x01\x00" + // func 0: type 0
	"\x07\x08\x01\x04spin\x00\x00" + // export spin
	"\x0a\x19\x01\x17\x01\x01\x7e" + // code: 1 body, size 23, locals: 1 i64
	"\x03\x40" + // loop
	"\x20\x01\x42\x01\x7c\x21\x01" + // local1 += 1
	"\x20\x01\x20\x00\x53\x0d\x00" + // br_if 0 (local1 < param)
	"\x0b" + // end loop
	"\x20\x01\x0b") // local1, end

func TestInstrumentLoop(t *testing.T) {
	ctx := context.Background()
	inst, err := Instrument(loopModule, 100)
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	spin := mod.ExportedFunction("spin")
	g := mod.ExportedGlobal(ExportName).(api.MutableGlobal)
	if got := int64(g.Get()); got != 100 {
		t.Fatalf("initial fuel %d", got)
	}
	res, err := spin.Call(ctx, 50)
	if err != nil || res[0] != 50 {
		t.Fatalf("50 iterations on 100 fuel: %v %v", res, err)
	}
	if got := int64(g.Get()); got != 50 {
		t.Fatalf("fuel after 50 iterations: %d", got)
	}
	g.Set(1000)
	if _, err := spin.Call(ctx, 1<<40); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("endless spin: %v", err)
	}
	if got := int64(g.Get()); got > 0 {
		t.Fatalf("fuel after the trap: %d", got)
	}
}

func TestInstrumentRejects(t *testing.T) {
	if _, err := Instrument([]byte("nope"), 1); err == nil {
		t.Fatal("garbage accepted")
	}
	simd := []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x07\x01\x05\x00\xfd\x0c\x1a\x0b")
	if _, err := Instrument(simd, 1); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("simd: %v", err)
	}
}

// TestInstrumentGoGuest instruments a real Go reactor and runs it.
func TestInstrumentGoGuest(t *testing.T) {
	root, err := wasmbuild.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	path, err := wasmbuild.Cached(context.Background(), filepath.Join(root, "edge", "pluginhost", "testdata", "hostile", "bigoutput"))
	if err != nil {
		t.Fatal(err)
	}
	wasm, _ := os.ReadFile(path)
	inst, err := Instrument(wasm, 1e9)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	mod, err := rt.InstantiateWithConfig(ctx, inst, wazero.NewModuleConfig().WithStartFunctions("_initialize"))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := mod.ExportedFunction("kefu_abi_version").Call(ctx); err != nil || res[0] != 1 {
		t.Fatalf("abi version: %v %v", res, err)
	}
	used := 1e9 - int64(mod.ExportedGlobal(ExportName).Get())
	t.Logf("Go runtime start used %d loop iterations", used)
}

func FuzzInstrument(f *testing.F) {
	f.Add(loopModule)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Instrument(b, 10) // must not panic
	})
}
