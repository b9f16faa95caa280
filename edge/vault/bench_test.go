package vault

import (
	"io"
	"strconv"
	"testing"
)

// BenchmarkSave10k writes a snapshot of 10,000 sealed values (what
// edge/pluginhost does every save interval when the vault changed).
func BenchmarkSave10k(b *testing.B) {
	v, err := New("eu", key(1))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10_000 {
		if _, err := v.PutVisitor("shop1", "v"+strconv.Itoa(i%500), "c"+strconv.Itoa(i%2000), "PHONE", "+49 151 2345"+strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Save(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutDuringSave is Put while another goroutine saves 10,000
// values in a loop: Save must not hold Put up for the whole encoding.
func BenchmarkPutDuringSave(b *testing.B) {
	v, err := New("eu", key(1))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10_000 {
		v.PutVisitor("shop1", "v", "c", "PHONE", "+49 151 2345"+strconv.Itoa(i))
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_ = v.Save(io.Discard)
			}
		}
	}()
	for b.Loop() {
		if _, err := v.Put("shop1", "c", "PHONE", "13812345678"); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	<-done
}
