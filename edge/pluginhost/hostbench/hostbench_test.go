package hostbench

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

// TestMainTable runs the whole comparison with few calls and checks the
// table (the numbers themselves are not asserted).
func TestMainTable(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"plugins", "-n", "50", "-concurrent", "40", "-pool", "2"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"manifest timeout", "RSS", "cold start, no cache", "on-disk compilation cache", "per call, pass-through, 1024 B text", "40 concurrent calls", "ratio"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := Main(context.Background(), []string{"plugins", "-n", "20", "-concurrent", "10", "-pool", "2", "-pipeline"}, nil, &out, &errb); code != 0 {
		t.Fatalf("pipeline: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "EU pipeline [pii-redact gdpr-residency sensitive-alert]") {
		t.Errorf("no pipeline line:\n%s", out.String())
	}
	if code := Main(context.Background(), []string{"-bogus"}, nil, &out, &errb); code != 2 {
		t.Fatalf("bad flag: exit %d", code)
	}
	if code := Main(context.Background(), []string{"-ours", "/nonexistent.wasm", "-extism", "/nonexistent.wasm"}, nil, &out, &errb); code != 1 {
		t.Fatalf("missing files: exit %d", code)
	}
}

func benchHosts(b *testing.B) (*Ours, *Extism) {
	ctx := context.Background()
	ours, ext, err := Bundles(ctx)
	if err != nil {
		b.Fatal(err)
	}
	o, err := NewOurs(ctx, ours, "", 4)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { o.Close() })
	e, err := NewExtism(ctx, ext, wazero.NewCompilationCache(), 4, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return o, e
}

// BenchmarkPassthroughVsExtism: one pass-through call with a 1 KiB text in
// each host (go test -bench PassthroughVsExtism ./edge/pluginhost/hostbench).
func BenchmarkPassthroughVsExtism(b *testing.B) {
	o, e := benchHosts(b)
	env := Envelope(1024)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		c    caller
	}{{"kefu", o}, {"extism", e}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.c.Call(ctx, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkConcurrent1000: 1,000 calls at once through a pool of 4.
func BenchmarkConcurrent1000(b *testing.B) {
	o, e := benchHosts(b)
	env := Envelope(1024)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		c    caller
	}{{"kefu", o}, {"extism", e}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := concurrent(ctx, c.c, env, 1000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
