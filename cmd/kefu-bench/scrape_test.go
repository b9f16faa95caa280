package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

// TestScrape reads the figures `kefu bench stack` and `kefu bench idle`
// report from a server's /metrics, the CPU time among them.
func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n" +
			"process_cpu_seconds_total 12.34\nprocess_resident_memory_bytes 1048576\ngo_goroutines 7\n" +
			"go_memstats_heap_inuse_bytes 2048\nkefu_edge_connections 3\nkefu_other{x=\"1\"} 5\n"))
	}))
	defer srv.Close()
	got, err := scrape(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	want := serverStats{rss: 1 << 20, heap: 2048, goroutines: 7, edgeConns: 3, cpu: 12.34}
	if got != want {
		t.Fatalf("scrape: %+v, want %+v", got, want)
	}
}

// TestParseProcStat counts the busy time of the aggregate cpu line only:
// idle and iowait left out, guest time not counted twice.
func TestParseProcStat(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     float64
		err      bool
	}{
		{"busy", "cpu  100 20 30 5000 40 1 2 3 7 0\ncpu0 50 10 15 2500 20 0 1 1 0 0\n", 1.56, false},
		{"short line", "cpu  100 20 30 5000\n", 1.5, false},
		{"no aggregate", "cpu0 1 2 3 4 5\n", 0, true},
		{"garbage", "cpu  x 2 3 4 5\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseProcStat(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err %v, want error %v", err, tc.err)
			}
			if d := got - tc.want; d > 1e-9 || d < -1e-9 {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestReadAll reads whole frames into a reused buffer: the bytes of each
// frame alone, however its size compares with what the buffer held before.
func TestReadAll(t *testing.T) {
	var buf []byte
	for _, in := range []string{"", "a", strings.Repeat("x", 5000), "short", strings.Repeat("y", 70000), ""} {
		got, err := readAll(buf[:0], iotest.OneByteReader(strings.NewReader(in)))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != in {
			t.Fatalf("read %d bytes, want %d", len(got), len(in))
		}
		buf = got
	}
	if _, err := readAll(nil, iotest.ErrReader(io.ErrUnexpectedEOF)); err == nil {
		t.Fatal("a failing reader gave no error")
	}
}

func TestProbeSpeed(t *testing.T) {
	s := probeSpeed()
	// Bounds any machine that runs the suite meets, even under -race and
	// at load 20 (SHA-256 runs at ~10-2,000 MiB/s; a page fault takes
	// ~0.1-100 µs): a probe that timed nothing, or the wrong unit, fails.
	if s.shaMBps < 1 || s.shaMBps > 100_000 {
		t.Errorf("SHA-256 at %.1f MiB/s", s.shaMBps)
	}
	if s.pageMicros <= 0.001 || s.pageMicros > 10_000 {
		t.Errorf("%.4f µs per fresh page", s.pageMicros)
	}
	if got := s.String(); !strings.Contains(got, "MiB/s") || !strings.Contains(got, "µs per fresh 4 KiB page") {
		t.Errorf("String() = %q", got)
	}
}
