package tracing

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestParseTraceparent(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01", false},
		{"", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sc, ok := ParseTraceparent(tt.in)
			if ok != tt.ok {
				t.Fatalf("ParseTraceparent(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if ok && hex.EncodeToString(sc.TraceID[:]) != tt.in[3:35] {
				t.Fatalf("trace id %x from %q", sc.TraceID, tt.in)
			}
			if ok && tt.in[:2] == "00" && sc.Traceparent()[:53] != tt.in[:53] {
				t.Fatalf("round trip %q → %q", tt.in, sc.Traceparent())
			}
		})
	}
}

func TestMessageTraceIDIsStable(t *testing.T) {
	a, b := MessageTraceID("01HV7ZA1B2C3D4E5F6G7H8J9K0"), MessageTraceID("01HV7ZA1B2C3D4E5F6G7H8J9K0")
	if a != b || a == MessageTraceID("01HV7ZA1B2C3D4E5F6G7H8J9K1") || a == [16]byte{} {
		t.Fatalf("trace ids %x %x", a, b)
	}
}

func TestNilTracerAndSpanDoNothing(t *testing.T) {
	var tr *Tracer
	ctx, sp := tr.Start(context.Background(), "x", KindServer)
	sp.SetAttr("k", "v")
	sp.SetError(errors.New("e"))
	sp.End()
	if sp != nil || SpanFrom(ctx) != nil || Traceparent(ctx) != "" || tr.Close(ctx) != nil {
		t.Fatal("a nil tracer recorded something")
	}
	if _, child := Start(ctx, "child", KindInternal); child != nil {
		t.Fatal("Start without a parent span made a span")
	}
}

// collector is an OTLP/HTTP JSON receiver stand-in.
type collector struct {
	mu    sync.Mutex
	reqs  []exportRequest
	ctype string
	auth  string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req exportRequest
	if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.reqs, c.ctype, c.auth = append(c.reqs, req), r.Header.Get("Content-Type"), r.Header.Get("Authorization")
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}"))
}

func TestExportOTLPJSON(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	tr, err := New(Options{Endpoint: srv.URL + "/v1/traces", Service: "kefu-edge", Attributes: map[string]string{"kefu.region": "eu"},
		Headers: map[string]string{"Authorization": "Bearer k"}, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithMessageTrace(context.Background(), "m1")
	ctx, root := tr.Start(ctx, "edge.message", KindServer)
	root.SetAttr("kefu.message_id", "m1")
	root.SetAttr("kefu.plugins", 3)
	_, child := Start(ctx, "plugin pii-redact", KindInternal)
	child.SetError(errors.New("deadline"))
	child.End()
	root.End()
	remoteCtx := FromHeader(context.Background(), Traceparent(ctx), "ignored")
	_, far := tr.Start(remoteCtx, "central.process", KindConsumer)
	far.End()
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if len(col.reqs) != 1 || col.ctype != "application/json" || col.auth != "Bearer k" {
		t.Fatalf("%d requests, content type %q, auth %q", len(col.reqs), col.ctype, col.auth)
	}
	rs := col.reqs[0].ResourceSpans[0]
	if *rs.Resource.Attributes[0].Value.StringValue != "kefu-edge" || len(rs.ScopeSpans[0].Spans) != 3 {
		t.Fatalf("resource %+v, %d spans", rs.Resource, len(rs.ScopeSpans[0].Spans))
	}
	spans := map[string]spanJSON{}
	for _, s := range rs.ScopeSpans[0].Spans {
		spans[s.Name] = s
	}
	want := MessageTraceID("m1")
	for name, s := range spans {
		if s.TraceID != hex.EncodeToString(want[:]) {
			t.Errorf("%s: trace id %s, want %x", name, s.TraceID, want)
		}
	}
	r, p, c := spans["edge.message"], spans["plugin pii-redact"], spans["central.process"]
	if r.ParentSpanID != "" || p.ParentSpanID != r.SpanID || c.ParentSpanID != r.SpanID || r.Kind != int(KindServer) {
		t.Fatalf("parents: root %q, plugin %q, central %q (root span %s)", r.ParentSpanID, p.ParentSpanID, c.ParentSpanID, r.SpanID)
	}
	if p.Status == nil || p.Status.Code != 2 || *r.Attributes[1].Value.IntValue != "3" || r.EndTimeUnixNano < r.StartTimeUnixNano {
		t.Fatalf("plugin status %+v, root attributes %+v", p.Status, r.Attributes)
	}
}

func TestNewRefusesBadEndpoints(t *testing.T) {
	for _, ep := range []string{"", "collector:4318", "ftp://x/v1/traces", "http:///v1/traces"} {
		if tr, err := New(Options{Endpoint: ep, Service: "s"}); err == nil {
			_ = tr.Close(context.Background())
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}

func TestExportFailureDropsAndCounts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 503) }))
	defer srv.Close()
	tr, err := New(Options{Endpoint: srv.URL + "/v1/traces", Service: "s", Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, sp := tr.Start(context.Background(), "x", KindInternal)
	sp.End()
	_ = tr.Close(context.Background())
	if tr.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", tr.Dropped())
	}
}
