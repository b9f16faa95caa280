package poll

import (
	"errors"
	"testing"
	"time"
)

func TestUntilReturnsOnceTrue(t *testing.T) {
	n := 0
	Until(t, time.Minute, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if n != 3 {
		t.Fatalf("f called %d times, want 3", n)
	}
}

// fatalRecorder records Fatal instead of stopping the test.
type fatalRecorder struct {
	testing.TB
	msg []any
}

func (r *fatalRecorder) Helper()           {}
func (r *fatalRecorder) Fatal(args ...any) { r.msg = args }

func TestUntilFailsWithLastError(t *testing.T) {
	r := &fatalRecorder{TB: t}
	Until(r, 50*time.Millisecond, func() error { return errors.New("never") })
	if len(r.msg) != 1 || r.msg[0].(error).Error() != "never" {
		t.Fatalf("Fatal got %v, want the last error", r.msg)
	}
}
