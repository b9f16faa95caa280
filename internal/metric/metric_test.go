package metric

import (
	"compress/gzip"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestWriteText: each kind of collector in the exposition format 0.0.4,
// byte for byte as the Prometheus client wrote it.
func TestWriteText(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(r *Registry)
		want string
	}{
		{"counter", func(r *Registry) {
			c := NewCounter(CounterOpts{Namespace: "kefu", Subsystem: "test", Name: "things_total", Help: "Things."})
			r.MustRegister(c)
			c.Inc()
			c.Add(2)
		}, "# HELP kefu_test_things_total Things.\n# TYPE kefu_test_things_total counter\nkefu_test_things_total 3\n"},
		{"counter with a fraction and a large value", func(r *Registry) {
			a := NewCounter(CounterOpts{Name: "a_total", Help: "A."})
			b := NewCounter(CounterOpts{Name: "b_total", Help: "B."})
			r.MustRegister(b, a)
			a.Add(0.5)
			a.Add(1)
			b.Add(4.2e9)
		}, "# HELP a_total A.\n# TYPE a_total counter\na_total 1.5\n# HELP b_total B.\n# TYPE b_total counter\nb_total 4.2e+09\n"},
		{"gauge", func(r *Registry) {
			g := NewGauge(GaugeOpts{Name: "depth", Help: "Depth."})
			r.MustRegister(g)
			g.Set(10)
			g.Inc()
			g.Dec()
			g.Dec()
			g.Sub(0.5)
			g.Add(-0.25)
		}, "# HELP depth Depth.\n# TYPE depth gauge\ndepth 8.25\n"},
		{"gauge special values", func(r *Registry) {
			v := NewGaugeVec(GaugeOpts{Name: "g", Help: "G."}, []string{"k"})
			r.MustRegister(v)
			v.WithLabelValues("inf").Set(math.Inf(+1))
			v.WithLabelValues("minf").Set(math.Inf(-1))
			v.WithLabelValues("nan").Set(math.NaN())
			v.WithLabelValues("small").Set(1e-7)
			v.WithLabelValues("zero").Set(0)
		}, `# HELP g G.
# TYPE g gauge
g{k="inf"} +Inf
g{k="minf"} -Inf
g{k="nan"} NaN
g{k="small"} 1e-07
g{k="zero"} 0
`},
		{"labels sorted by name, series by value, escaped", func(r *Registry) {
			v := NewCounterVec(CounterOpts{Name: "calls_total", Help: "Calls with \\ and\nnewline \"quoted\"."}, []string{"region", "hook", "plugin"})
			r.MustRegister(v)
			v.WithLabelValues("eu", "inbound", "b").Inc()
			v.WithLabelValues("eu", "inbound", "a").Add(2)
			v.WithLabelValues("us", "event", `q"\`+"\n").Inc()
		}, `# HELP calls_total Calls with \\ and\nnewline "quoted".
# TYPE calls_total counter
calls_total{hook="event",plugin="q\"\\\n",region="us"} 1
calls_total{hook="inbound",plugin="a",region="eu"} 2
calls_total{hook="inbound",plugin="b",region="eu"} 1
`},
		{"a family with labels and no series is left out", func(r *Registry) {
			r.MustRegister(NewCounterVec(CounterOpts{Name: "empty_total", Help: "E."}, []string{"x"}))
			r.MustRegister(NewCounter(CounterOpts{Name: "zero_total", Help: "Z."}))
		}, "# HELP zero_total Z.\n# TYPE zero_total counter\nzero_total 0\n"},
		{"histogram", func(r *Registry) {
			h := NewHistogram(HistogramOpts{Name: "latency_seconds", Help: "L.", Buckets: []float64{0.005, 0.1, 1}})
			r.MustRegister(h)
			for _, v := range []float64{0.001, 0.005, 0.05, 0.5, 7} {
				h.Observe(v)
			}
		}, `# HELP latency_seconds L.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.005"} 2
latency_seconds_bucket{le="0.1"} 3
latency_seconds_bucket{le="1"} 4
latency_seconds_bucket{le="+Inf"} 5
latency_seconds_sum 7.556
latency_seconds_count 5
`},
		{"histogram with labels and exponential buckets", func(r *Registry) {
			v := NewHistogramVec(HistogramOpts{Name: "h_seconds", Help: "H.", Buckets: ExponentialBuckets(0.0002, 2, 3)}, []string{"region", "plugin"})
			r.MustRegister(v)
			v.WithLabelValues("eu", "p").Observe(0.0003)
		}, `# HELP h_seconds H.
# TYPE h_seconds histogram
h_seconds_bucket{plugin="p",region="eu",le="0.0002"} 0
h_seconds_bucket{plugin="p",region="eu",le="0.0004"} 1
h_seconds_bucket{plugin="p",region="eu",le="0.0008"} 1
h_seconds_bucket{plugin="p",region="eu",le="+Inf"} 1
h_seconds_sum{plugin="p",region="eu"} 0.0003
h_seconds_count{plugin="p",region="eu"} 1
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRegistry()
			tc.make(r)
			if got := Text(r); got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if _, err := ParseText(strings.NewReader(tc.want)); err != nil {
				t.Fatalf("ParseText of the expected text: %v", err)
			}
		})
	}
}

func TestSummaryText(t *testing.T) {
	fams := []Family{{Name: "s_seconds", Help: "S.", Type: SummaryType, Metrics: []Metric{{
		Quantiles: []Quantile{{0, 0.1}, {0.5, 0.2}, {1, 0.3}}, Sum: 0.6, Count: 3}}}}
	var b strings.Builder
	if err := WriteText(&b, fams); err != nil {
		t.Fatal(err)
	}
	want := `# HELP s_seconds S.
# TYPE s_seconds summary
s_seconds{quantile="0"} 0.1
s_seconds{quantile="0.5"} 0.2
s_seconds{quantile="1"} 0.3
s_seconds_sum 0.6
s_seconds_count 3
`
	if b.String() != want {
		t.Fatalf("got:\n%s", b.String())
	}
}

// TestRuntime: the go_* and process_* series parse strictly, sorted, and
// include those the Grafana dashboard and `kefu-bench idle` read.
func TestRuntime(t *testing.T) {
	fams, err := ParseText(strings.NewReader(Text(Runtime)))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]Type{}
	var names []string
	for _, f := range fams {
		types[f.Name] = f.Type
		names = append(names, f.Name)
	}
	if !slices.IsSorted(names) {
		t.Fatalf("families not sorted: %v", names)
	}
	want := map[string]Type{
		"go_goroutines": GaugeType, "go_threads": GaugeType, "go_info": GaugeType,
		"go_gc_duration_seconds": SummaryType, "go_memstats_heap_inuse_bytes": GaugeType,
		"go_memstats_alloc_bytes_total": CounterType, "go_sched_gomaxprocs_threads": GaugeType,
		"process_resident_memory_bytes": GaugeType, "process_cpu_seconds_total": CounterType,
		"process_open_fds": GaugeType, "process_max_fds": GaugeType, "process_start_time_seconds": GaugeType,
	}
	for name, typ := range want {
		if types[name] != typ {
			t.Errorf("%s: type %q, want %q", name, types[name], typ)
		}
	}
	for _, f := range fams {
		if f.Name == "process_resident_memory_bytes" && f.Metrics[0].Value < 1<<20 {
			t.Errorf("RSS %v", f.Metrics[0].Value)
		}
		if f.Name == "go_goroutines" && f.Metrics[0].Value < 1 {
			t.Errorf("goroutines %v", f.Metrics[0].Value)
		}
	}
}

// TestParseTextRejects: the strict parser refuses what Prometheus would
// misread or what WriteText never writes.
func TestParseTextRejects(t *testing.T) {
	const head = "# HELP x X.\n# TYPE x counter\n"
	const hist = "# HELP h H.\n# TYPE h histogram\n"
	for name, text := range map[string]string{
		"no HELP":             "# TYPE x counter\nx 1\n",
		"no TYPE":             "# HELP x X.\nx 1\n",
		"unknown type":        "# HELP x X.\n# TYPE x untyped\nx 1\n",
		"no series":           head,
		"family twice":        head + "x 1\n" + head + "x 2\n",
		"series twice":        head + "x 1\nx 2\n",
		"another family":      head + "y 1\n",
		"bad name":            "# HELP 1x X.\n# TYPE 1x counter\n1x 1\n",
		"bad value":           head + "x one\n",
		"timestamp":           head + "x 1 1700000000\n",
		"labels unsorted":     head + `x{b="1",a="2"} 1` + "\n",
		"bad escape":          head + `x{a="\t"} 1` + "\n",
		"unterminated":        head + `x{a="1} 1` + "\n",
		"blank line":          head + "x 1\n\n",
		"comment":             head + "# just a note\nx 1\n",
		"le not last":         hist + `h_bucket{le="1",a="x"} 1` + "\n",
		"no +Inf":             hist + `h_bucket{le="1"} 1` + "\nh_sum 1\nh_count 1\n",
		"buckets decrease":    hist + `h_bucket{le="1"} 2` + "\n" + `h_bucket{le="+Inf"} 1` + "\nh_sum 1\nh_count 1\n",
		"count not +Inf":      hist + `h_bucket{le="+Inf"} 1` + "\nh_sum 1\nh_count 2\n",
		"no _count":           hist + `h_bucket{le="+Inf"} 1` + "\nh_sum 1\n",
		"histogram as plain":  hist + "h 1\n",
		"counter with suffix": head + "x_sum 1\n",
	} {
		if _, err := ParseText(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted:\n%s", name, text)
		}
	}
}

func TestRegister(t *testing.T) {
	r := NewRegistry()
	a := NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"x"})
	r.MustRegister(a)
	err := r.Register(NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"x"}))
	are, ok := errors.AsType[AlreadyRegisteredError](err)
	if !ok || are.ExistingCollector != Collector(a) {
		t.Fatalf("same family again: %v", err)
	}
	err = r.Register(NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"y"}))
	if _, ok := errors.AsType[AlreadyRegisteredError](err); ok || err == nil {
		t.Fatalf("same name, other labels: %v", err)
	}
	for name, mk := range map[string]func(){
		"bad metric name":       func() { NewCounter(CounterOpts{Name: "a-b"}) },
		"bad label name":        func() { NewCounterVec(CounterOpts{Name: "a"}, []string{"a b"}) },
		"repeated label":        func() { NewCounterVec(CounterOpts{Name: "a"}, []string{"x", "x"}) },
		"le on a histogram":     func() { NewHistogramVec(HistogramOpts{Name: "h"}, []string{"le"}) },
		"buckets not rising":    func() { NewHistogram(HistogramOpts{Name: "h", Buckets: []float64{1, 1}}) },
		"counter decreases":     func() { NewCounter(CounterOpts{Name: "c"}).Add(-1) },
		"wrong count of values": func() { NewCounterVec(CounterOpts{Name: "a"}, []string{"x"}).WithLabelValues("1", "2") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			mk()
		}()
	}
}

// TestShared: the second collector of a family gets the first; a name
// taken by another family is an error; a nil registry registers nothing.
func TestShared(t *testing.T) {
	r := NewRegistry()
	a, err := Shared(r, NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"x"}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Shared(r, NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"x"}))
	if err != nil || b != a {
		t.Fatalf("same family again: %p, %v; want %p", b, err, a)
	}
	if _, err := Shared(r, NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"y"})); err == nil {
		t.Fatal("same name, other labels: no error")
	}
	if _, err := Shared(r, NewGauge(GaugeOpts{Name: "a_total", Help: "A."})); err == nil {
		t.Fatal("same name, other type: no error")
	}
	c := NewCounter(CounterOpts{Name: "c_total"})
	if got, err := Shared(nil, c); got != c || err != nil {
		t.Fatalf("nil registry: %p, %v", got, err)
	}
}

// TestMustShare: MustShare returns what Shared does, and panics where
// Shared errs (a name taken by another family).
func TestMustShare(t *testing.T) {
	r := NewRegistry()
	a := MustShare(r, NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"x"}))
	if b := MustShare(r, NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"x"})); b != a {
		t.Fatalf("same family again: %p, want %p", b, a)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("same name, other type: no panic")
		}
	}()
	MustShare(r, NewGauge(GaugeOpts{Name: "a_total", Help: "A."}))
}

// TestConcurrent: counts from many goroutines add up (run with -race).
func TestConcurrent(t *testing.T) {
	c := NewCounterVec(CounterOpts{Name: "c_total"}, []string{"k"})
	g := NewGauge(GaugeOpts{Name: "g"})
	h := NewHistogramVec(HistogramOpts{Name: "h", Buckets: []float64{1, 2}}, []string{"k"})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			k := string(rune('a' + i%3))
			for range 1000 {
				c.WithLabelValues(k).Inc()
				g.Add(0.5)
				h.WithLabelValues(k).Observe(1.5)
			}
		})
	}
	wg.Wait()
	total, count := 0.0, uint64(0)
	for _, k := range []string{"a", "b", "c"} {
		total += c.WithLabelValues(k).Value()
		count += h.WithLabelValues(k).Count()
	}
	if total != 8000 || count != 8000 || g.Value() != 4000 {
		t.Fatalf("counter %v, histogram count %d, gauge %v; want 8000, 8000, 4000", total, count, g.Value())
	}
}

func TestInvalidUTF8LabelValue(t *testing.T) {
	r := NewRegistry()
	v := NewCounterVec(CounterOpts{Name: "a_total", Help: "A."}, []string{"tenant"})
	r.MustRegister(v)
	v.WithLabelValues("bad\xff").Inc()
	v.WithLabelValues("bad\xff").Inc()
	if got, want := Text(r), "# HELP a_total A.\n# TYPE a_total counter\na_total{tenant=\"bad\uFFFD\"} 2\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestHandler(t *testing.T) {
	r := NewRegistry()
	c := NewCounter(CounterOpts{Name: "kefu_x_total", Help: "X."})
	r.MustRegister(c)
	c.Inc()
	srv := httptest.NewServer(Handler(Runtime, r))
	defer srv.Close()
	for _, gz := range []bool{false, true} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = resp.Body
		if gz {
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatal("not gzipped")
			}
			if body, err = gzip.NewReader(resp.Body); err != nil {
				t.Fatal(err)
			}
		}
		fams, err := ParseText(body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Type") != ContentType {
			t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
		}
		var names []string
		for _, f := range fams {
			names = append(names, f.Name)
		}
		if !slices.IsSorted(names) || !slices.Contains(names, "kefu_x_total") || !slices.Contains(names, "go_goroutines") {
			t.Fatalf("families %v", names)
		}
	}
}
