// Package brrr stands in for github.com/molecule-man/go-brrr v1.3.1 (see
// third_party/README.md): the subset of its API that fasthttp uses, backed
// by github.com/andybalholm/brotli, which kefu links anyway. Kefu never
// asks fasthttp to compress or decompress brotli; the stand-in keeps a
// second brotli implementation (~5 CPU seconds of a clean build) out of it.
package brrr

import (
	"io"

	"github.com/andybalholm/brotli"
)

// Compression levels, as go-brrr and brotli number them.
const (
	BestSpeed       = brotli.BestSpeed
	BestCompression = brotli.BestCompression
)

// Reader decompresses a brotli stream.
type Reader struct{ r *brotli.Reader }

// NewReader returns a Reader decompressing src.
func NewReader(src io.Reader) *Reader { return &Reader{r: brotli.NewReader(src)} }

// Read reads decompressed bytes.
func (r *Reader) Read(p []byte) (int, error) { return r.r.Read(p) }

// Reset makes r decompress src from its start, reusing r's buffers.
func (r *Reader) Reset(src io.Reader) { _ = r.r.Reset(src) }

// Close releases nothing; it exists for go-brrr's API.
func (r *Reader) Close() error { return nil }

// Writer compresses into a brotli stream.
type Writer struct{ w *brotli.Writer }

// NewWriter returns a Writer compressing into dst at level (0–11).
func NewWriter(dst io.Writer, level int) (*Writer, error) {
	return &Writer{w: brotli.NewWriterLevel(dst, level)}, nil
}

// Write compresses p.
func (w *Writer) Write(p []byte) (int, error) { return w.w.Write(p) }

// Flush writes out everything compressed so far.
func (w *Writer) Flush() error { return w.w.Flush() }

// Close ends the stream.
func (w *Writer) Close() error { return w.w.Close() }

// Reset makes w start a new stream into dst at the same level.
func (w *Writer) Reset(dst io.Writer) { w.w.Reset(dst) }
