package vault

import (
	"io"
	"strconv"
	"testing"

	"github.com/kefu-io/kefu/internal/proccpu"
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

// BenchmarkPutVisitor seals one value per iteration into a vault that
// grows as the edge's does (the EU pipeline seals each e-mail address and
// phone number of a message): the cost of a mask answer's vault_put.
func BenchmarkPutVisitor(b *testing.B) {
	v, err := New("eu", key(1))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	c0 := proccpu.Used()
	for b.Loop() {
		if _, err := v.PutVisitor("shop1", "v-7f3a", "c-19b2", "EMAIL", "jane.doe@example.com"); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time is steadier than wall time on a shared machine
	b.ReportMetric(float64(proccpu.Used()-c0)/float64(b.N), "cpu-ns/op")
}
