package stack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kefu-io/kefu/internal/poll"
)

// TestServeMetrics: the separate metrics listener serves the registry and
// the Go metrics to any client, or with the token set only with it; the
// app made for it has no /metrics; the listener stops with its context.
func TestServeMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "kefu_metrics_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	get := func(url, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	ctx, cancel := context.WithCancel(t.Context())
	addr, err := ServeMetrics(ctx, "127.0.0.1:0", reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + addr.String() + "/metrics"
	if code, body := get(url, ""); code != 200 || !strings.Contains(body, "kefu_metrics_test_total 3") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics: %d\n%.500s", code, body)
	}
	if code, _ := get("http://"+addr.String()+"/healthz", ""); code != http.StatusNotFound {
		t.Fatalf("the metrics listener serves /healthz: %d", code)
	}
	cancel()
	poll.Until(t, 5*time.Second, func() error {
		conn, err := net.DialTimeout("tcp", addr.String(), 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return errStillOpen
		}
		return nil
	})

	t.Setenv(MetricsTokenEnv, "s3cret")
	addr, err = ServeMetrics(t.Context(), "127.0.0.1:0", reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	url = "http://" + addr.String() + "/metrics"
	if code, _ := get(url, ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := get(url, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	if code, body := get(url, "s3cret"); code != 200 || !strings.Contains(body, "kefu_metrics_test_total 3") {
		t.Fatalf("with the token: %d", code)
	}
	if _, err := ServeMetrics(t.Context(), addr.String(), reg, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a second listener on a taken address")
	}

	app := NewAppWithoutMetrics()
	for path, want := range map[string]int{"/metrics": http.StatusNotFound, "/healthz": http.StatusOK} {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
		if err != nil || resp.StatusCode != want {
			t.Fatalf("%s on the app without metrics: %v %v", path, err, resp)
		}
	}
}

var errStillOpen = errors.New("the metrics listener still accepts connections")
