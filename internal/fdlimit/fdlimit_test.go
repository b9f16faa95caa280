package fdlimit

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestConnCap(t *testing.T) {
	tests := []struct {
		nofile uint64
		want   int
	}{
		{0, 0},
		{20_000, 20_000 - 2_064},
		{1024, 1024 - 166},
		{300, 300 - 94},
		{64, 1},
		{1 << 20, 1<<20 - (1<<20/10 + 64)},
	}
	for _, tt := range tests {
		if got := ConnCap(tt.nofile); got != tt.want {
			t.Errorf("ConnCap(%d) = %d, want %d", tt.nofile, got, tt.want)
		}
	}
}

func TestCap(t *testing.T) {
	tests := []struct {
		configured, derived, want int
	}{
		{0, 17_936, 17_936},      // default: from the limit
		{50_000, 17_936, 17_936}, // set above the limit: the limit wins
		{1_000, 17_936, 1_000},   // set lower: kept
		{-1, 17_936, 17_936},     // "no cap" still stops short of the limit
		{1_000, 0, 1_000},        // limit unknown
		{-1, 0, 0},               // limit unknown, no cap
	}
	for _, tt := range tests {
		if got := Cap(tt.configured, tt.derived); got != tt.want {
			t.Errorf("Cap(%d, %d) = %d, want %d", tt.configured, tt.derived, got, tt.want)
		}
	}
}

func TestNoFile(t *testing.T) {
	if NoFile() == 0 {
		t.Fatal("RLIMIT_NOFILE not read")
	}
}

// flaky fails Accept with errs, in order, then accepts from a real listener.
type flaky struct {
	net.Listener
	errs []error
}

func (f *flaky) Accept() (net.Conn, error) {
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	return f.Listener.Accept()
}

func TestListenerRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	f := &flaky{Listener: ln, errs: []error{emfile, emfile, emfile, errors.New("something else")}}
	var slept []time.Duration
	errs := 0
	l := Wrap(f, slog.New(slog.DiscardHandler), func() { errs++ })
	l.sleep = func(d time.Duration) { slept = append(slept, d) }
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			defer c.Close()
			time.Sleep(time.Second)
		}
	}()
	c, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept after transient failures: %v", err)
	}
	c.Close()
	want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	if len(slept) != len(want) || errs != 4 || l.Failures() != 4 {
		t.Fatalf("slept %v (want %v), onError %d, Failures %d", slept, want, errs, l.Failures())
	}
	for i := range want {
		if slept[i] != want[i] {
			t.Fatalf("backoff %v, want %v", slept, want)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
	}
}

// TestListenerOutOfDescriptors lowers RLIMIT_NOFILE in this process until
// accept fails with EMFILE for real, and checks that Accept waits it out
// and returns the connection once a descriptor is free.
func TestListenerOutOfDescriptors(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Wrap(ln, slog.New(slog.DiscardHandler), nil)
	defer l.Close()
	client, err := net.Dial("tcp", ln.Addr().String()) // waits in the backlog
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	// Fill the descriptor table up to a lowered limit.
	var fill []*os.File
	defer func() {
		for _, f := range fill {
			f.Close()
		}
	}()
	low := old
	low.Cur = 64
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip("cannot lower RLIMIT_NOFILE:", err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		fill = append(fill, f)
	}
	got := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if c != nil {
			c.Close()
		}
		got <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for l.Failures() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l.Failures() == 0 {
		t.Fatal("accept never failed with the descriptor table full")
	}
	select {
	case err := <-got:
		t.Fatalf("Accept returned while out of descriptors: %v", err)
	default:
	}
	fill[len(fill)-1].Close()
	fill = fill[:len(fill)-1]
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Accept after a descriptor was freed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept did not recover once a descriptor was free")
	}
}
