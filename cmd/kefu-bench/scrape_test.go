package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
