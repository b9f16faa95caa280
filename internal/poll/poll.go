// Package poll waits in tests for something another goroutine or process
// makes true: a row stored, a page updated, a stream filled.
package poll

import (
	"os"
	"testing"
	"time"
)

// Interval is how often Until calls its function.
const Interval = 20 * time.Millisecond

// Until calls f every Interval until it returns nil, and fails t with f's
// last error when wait has passed. The wait only bounds a failure (a test
// that passes returns as soon as f does), so under CI, on a shared machine
// that may be several times slower than a developer's, it is Scale(wait).
func Until(t testing.TB, wait time.Duration, f func() error) {
	t.Helper()
	Every(t, wait, Interval, f)
}

// Every is Until calling f every pace instead of every Interval: for a
// condition each call of f changes (a probe sent, a replay requested).
func Every(t testing.TB, wait, pace time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(Scale(wait))
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
			return
		}
		time.Sleep(pace)
	}
}

// Scale is d, or three times d under CI (the environment variable CI is
// set): for deadlines that bound a hung test, never for what a test measures.
func Scale(d time.Duration) time.Duration {
	if os.Getenv("CI") != "" {
		return 3 * d
	}
	return d
}
