// Package poll waits in tests for something another goroutine or process
// makes true: a row stored, a page updated, a stream filled.
package poll

import (
	"testing"
	"time"
)

// Interval is how often Until calls its function.
const Interval = 20 * time.Millisecond

// Until calls f every Interval until it returns nil, and fails t with f's
// last error when wait has passed.
func Until(t testing.TB, wait time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
			return
		}
		time.Sleep(Interval)
	}
}
