package stack

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestServePprof(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.DiscardHandler)
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"localhost:0", true},
		{"0.0.0.0:0", false},
		{":0", false},
		{"192.0.2.1:0", false},
		{"no-port", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			addr, err := ServePprof(t.Context(), tc.addr, quiet)
			if !tc.ok {
				if err == nil {
					t.Fatalf("ServePprof(%q) listens on %s; want a refusal", tc.addr, addr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.Get("http://" + addr.String() + "/debug/pprof/goroutine?debug=1")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "goroutine profile") {
				t.Fatalf("goroutine profile: %d %.200s", resp.StatusCode, b)
			}
		})
	}
}
