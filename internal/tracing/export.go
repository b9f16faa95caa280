package tracing

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Tracer.
type Options struct {
	// Endpoint is the OTLP/HTTP traces URL spans are POSTed to
	// ("http://collector:4318/v1/traces"). Required.
	Endpoint string
	// Headers are added to every export request (an API key of a hosted
	// collector). Default: none.
	Headers map[string]string
	// Service is the resource's service.name ("kefu-edge"). Required.
	Service string
	// Attributes are further resource attributes (kefu.region → "eu").
	// Default: none.
	Attributes map[string]string
	// Interval is how often ended spans are exported. Default: 2s.
	Interval time.Duration
	// MaxQueue bounds the spans waiting for export; past it new spans are
	// dropped and counted (Tracer.Dropped). Default: 8192.
	MaxQueue int
	// Client sends the requests. Default: a client with a 10 s timeout.
	Client *http.Client
	// Logger receives export failures (at most one a minute). Default:
	// slog.Default().
	Logger *slog.Logger
}

// Tracer records spans and exports them in batches. It is safe for
// concurrent use; Close exports what is left.
type Tracer struct {
	o       Options
	mu      sync.Mutex
	q       []*Span
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Int64
	failed  atomic.Int64
	lastLog time.Time
}

// ErrNoEndpoint is returned by New without an endpoint.
var ErrNoEndpoint = errors.New("tracing: no OTLP endpoint")

// New starts a Tracer that exports to o.Endpoint.
func New(o Options) (*Tracer, error) {
	if o.Endpoint == "" {
		return nil, ErrNoEndpoint
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("tracing: OTLP endpoint %q: want http(s)://host[:port]/v1/traces", o.Endpoint)
	}
	if o.Service == "" {
		return nil, errors.New("tracing: no service name")
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 8192
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	t := &Tracer{o: o, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go t.loop()
	return t, nil
}

// EndpointFromEnv is the traces endpoint the standard OpenTelemetry
// variables name: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else
// OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces", else "" (off).
func EndpointFromEnv() string {
	if v := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"); v != "" {
		return v
	}
	if v := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"); v != "" {
		return strings.TrimRight(v, "/") + "/v1/traces"
	}
	return ""
}

// HeadersFromEnv parses OTEL_EXPORTER_OTLP_HEADERS (or its _TRACES_
// variant): "k1=v1,k2=v2", values URL-encoded.
func HeadersFromEnv() map[string]string {
	v := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS")
	if v == "" {
		v = os.Getenv("OTEL_EXPORTER_OTLP_HEADERS")
	}
	h := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		if dec, err := url.QueryUnescape(strings.TrimSpace(val)); err == nil {
			val = dec
		}
		h[strings.TrimSpace(k)] = val
	}
	return h
}

// Dropped is how many spans were dropped: queue full or export failed.
func (t *Tracer) Dropped() int64 {
	if t == nil {
		return 0
	}
	return t.dropped.Load()
}

// Close exports the spans still queued (waiting at most until ctx ends)
// and stops the exporter. It is safe to call more than once and on nil.
func (t *Tracer) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.once.Do(func() { close(t.stop) })
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("tracing: close: %w", ctx.Err())
	}
}

func (t *Tracer) queue(s *Span) {
	t.mu.Lock()
	if len(t.q) >= t.o.MaxQueue {
		t.mu.Unlock()
		t.dropped.Add(1)
		return
	}
	t.q = append(t.q, s)
	full := len(t.q) >= 512
	t.mu.Unlock()
	if full {
		select {
		case t.kick <- struct{}{}:
		default:
		}
	}
}

func (t *Tracer) loop() {
	defer close(t.done)
	tick := time.NewTicker(t.o.Interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			t.flush()
			return
		case <-tick.C:
		case <-t.kick:
		}
		t.flush()
	}
}

// flush exports every queued span, in requests of at most 512.
func (t *Tracer) flush() {
	for {
		t.mu.Lock()
		n := min(len(t.q), 512)
		batch := t.q[:n:n]
		t.q = t.q[n:]
		if len(t.q) == 0 {
			t.q = nil
		}
		t.mu.Unlock()
		if n == 0 {
			return
		}
		if err := t.export(batch); err != nil {
			t.dropped.Add(int64(n))
			t.failed.Add(1)
			if time.Since(t.lastLog) > time.Minute {
				t.lastLog = time.Now()
				t.o.Logger.Warn("tracing: spans not exported; dropped", "endpoint", t.o.Endpoint, "spans", n, "err", err)
			}
		}
	}
}

func (t *Tracer) export(spans []*Span) error {
	body, err := json.Marshal(t.encode(spans))
	if err != nil {
		return fmt.Errorf("tracing: encode: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, t.o.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range t.o.Headers {
		req.Header.Set(k, v)
	}
	resp, err := t.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("tracing: export: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("tracing: export: %s", resp.Status)
	}
	return nil
}

// The OTLP/JSON shapes (opentelemetry-proto, trace/v1/trace.proto in the
// JSON mapping of OTLP/HTTP: ids in hex, 64-bit integers as strings, enums
// as numbers, lowerCamelCase names).
type (
	exportRequest struct {
		ResourceSpans []resourceSpans `json:"resourceSpans"`
	}
	resourceSpans struct {
		Resource   resource     `json:"resource"`
		ScopeSpans []scopeSpans `json:"scopeSpans"`
	}
	resource struct {
		Attributes []keyValue `json:"attributes"`
	}
	scopeSpans struct {
		Scope scope      `json:"scope"`
		Spans []spanJSON `json:"spans"`
	}
	scope struct {
		Name string `json:"name"`
	}
	spanJSON struct {
		TraceID           string     `json:"traceId"`
		SpanID            string     `json:"spanId"`
		ParentSpanID      string     `json:"parentSpanId,omitempty"`
		Name              string     `json:"name"`
		Kind              int        `json:"kind"`
		StartTimeUnixNano string     `json:"startTimeUnixNano"`
		EndTimeUnixNano   string     `json:"endTimeUnixNano"`
		Attributes        []keyValue `json:"attributes,omitempty"`
		Status            *status    `json:"status,omitempty"`
	}
	status struct {
		Code    int    `json:"code"`
		Message string `json:"message,omitempty"`
	}
	keyValue struct {
		Key   string   `json:"key"`
		Value anyValue `json:"value"`
	}
	anyValue struct {
		StringValue *string  `json:"stringValue,omitempty"`
		IntValue    *string  `json:"intValue,omitempty"`
		DoubleValue *float64 `json:"doubleValue,omitempty"`
		BoolValue   *bool    `json:"boolValue,omitempty"`
	}
)

// scopeName is the instrumentation scope of every span.
const scopeName = "github.com/kefu-io/kefu"

func (t *Tracer) encode(spans []*Span) exportRequest {
	res := []keyValue{kv("service.name", t.o.Service)}
	for k, v := range t.o.Attributes {
		res = append(res, kv(k, v))
	}
	out := make([]spanJSON, 0, len(spans))
	for _, s := range spans {
		j := spanJSON{TraceID: hex.EncodeToString(s.sc.TraceID[:]), SpanID: hex.EncodeToString(s.sc.SpanID[:]),
			Name: s.name, Kind: int(s.kind),
			StartTimeUnixNano: strconv.FormatInt(s.start.UnixNano(), 10), EndTimeUnixNano: strconv.FormatInt(s.end.UnixNano(), 10)}
		if s.parent != [8]byte{} {
			j.ParentSpanID = hex.EncodeToString(s.parent[:])
		}
		for _, a := range s.attrs {
			j.Attributes = append(j.Attributes, kv(a.key, a.val))
		}
		if s.status != 0 {
			j.Status = &status{Code: s.status, Message: s.msg}
		}
		out = append(out, j)
	}
	return exportRequest{ResourceSpans: []resourceSpans{{Resource: resource{Attributes: res},
		ScopeSpans: []scopeSpans{{Scope: scope{Name: scopeName}, Spans: out}}}}}
}

func kv(k string, v any) keyValue {
	var a anyValue
	switch x := v.(type) {
	case string:
		a.StringValue = &x
	case int64:
		s := strconv.FormatInt(x, 10)
		a.IntValue = &s
	case float64:
		a.DoubleValue = &x
	case bool:
		a.BoolValue = &x
	default:
		s := fmt.Sprint(x)
		a.StringValue = &s
	}
	return keyValue{Key: k, Value: a}
}
