package stack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestServeMetrics: the separate metrics listener serves the registry and
// the Go metrics to any client, or with the token set only with it; the
// app made for it has no /metrics; the listener stops with its context.
func TestServeMetrics(t *testing.T) {
	reg := metric.NewRegistry()
	c := metric.NewCounter(metric.CounterOpts{Name: "kefu_metrics_test_total", Help: "test"})
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

// TestMetricsExposition: a stack's /metrics, after a shopper's messages,
// parses strictly (metric.ParseText), its families sorted, and every
// family has the name, type and labels in testdata/metrics.txt (taken
// from the Prometheus client's /metrics), and every family without labels
// there is served: names, types and labels do not drift.
func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	want := map[string]string{} // name → "type labels"
	b, err := os.ReadFile("testdata/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		want[name] = rest
	}
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ws, _ := dialShopper(t, s, chat.Frame{Visitor: "v-metrics"})
	id := chat.NewID()
	ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: "What is your return policy?"})
	ws.expectMessage(func(f chat.Frame) bool { return f.ReplyTo == id })

	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	fams, err := metric.ParseText(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	got := map[string]bool{}
	var names []string
	for _, f := range fams {
		names = append(names, f.Name)
		got[f.Name] = true
		var labels []string
		for _, l := range f.Metrics[0].Labels {
			labels = append(labels, l.Name)
		}
		desc := strings.TrimSpace(string(f.Type) + " " + strings.Join(labels, ","))
		if w, ok := want[f.Name]; !ok {
			t.Errorf("%s (%s) is served but not in testdata/metrics.txt", f.Name, desc)
		} else if w != desc {
			t.Errorf("%s is %q, testdata/metrics.txt says %q", f.Name, desc, w)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("families not sorted: %v", names)
	}
	for name, w := range want {
		if !strings.Contains(w, " ") && !got[name] && (runtime.GOOS == "linux" || !strings.HasPrefix(name, "process_")) {
			t.Errorf("%s (%s, no labels) is not served", name, w)
		}
	}
	for _, name := range []string{"kefu_edge_frames_in_total", "kefu_plugin_calls_total", "kefu_central_messages_stored_total"} {
		if !got[name] {
			t.Errorf("%s not served after a shopper's message", name)
		}
	}
}
