// Command brsize prints the raw, gzip and brotli sizes of files and, with
// -write, writes a brotli-compressed copy (FILE.br) beside each one. The
// Makefile uses it for `make wasm` (kefu.wasm.br, served precompressed) and
// `make size`.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	write := flag.Bool("write", false, "write FILE.br beside each FILE")
	flag.Parse()
	fmt.Printf("%-32s %10s %10s %10s\n", "file", "raw", "gzip-9", "brotli-11")
	code := 0
	for _, name := range flag.Args() {
		if err := one(name, *write); err != nil {
			fmt.Fprintln(os.Stderr, "brsize:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func one(name string, write bool) error {
	raw, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	var gz, br bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	gw.Write(raw)
	gw.Close()
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	bw.Write(raw)
	bw.Close()
	fmt.Printf("%-32s %10d %10d %10d\n", name, len(raw), gz.Len(), br.Len())
	if write {
		if err := os.WriteFile(name+".br", br.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s.br: %w", name, err)
		}
	}
	return nil
}
