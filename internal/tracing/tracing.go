// Package tracing records OpenTelemetry spans of a shopper's message on its
// way through edge, plugins, NATS and central, and exports them to an
// OpenTelemetry collector with OTLP/HTTP in its JSON encoding (POST
// ENDPOINT/v1/traces, Content-Type application/json). It is off unless an
// endpoint is configured (kefu edge|central|dev --otlp-endpoint, or the
// standard OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT).
//
// Why not the OpenTelemetry Go SDK: the SDK with its OTLP/HTTP exporter
// (go.opentelemetry.io/otel/sdk, otlptracehttp and their protobuf and gRPC
// dependencies) would put the production binary over its 60 MB budget
// (README, "Regional ops"); what Kefu needs of it — spans with attributes,
// W3C trace context across NATS, batched export — fits in this package.
//
// # Trace ids from message ids
//
// The trace of a shopper's message has the trace id MessageTraceID(id): the
// first 16 bytes of SHA-256 of the message id the widget (or the channel
// adapter) gave it. So every retry of a message lands in the same trace,
// every part finds the trace of a message from its id alone, and a support
// engineer who has a message id can look its trace up.
//
// # Propagation
//
// The edge's span of the NATS publish is carried to central in the W3C
// `traceparent` header of the NATS message that holds the envelope
// (JetStream keeps headers, also through a leaf edge's regional stream);
// central's replies carry central's span the same way back to the edge.
// Spans hold ids, names, counts and verdicts — never a message text.
//
// A nil *Tracer is valid and records nothing; so is a nil *Span.
package tracing

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Kind is a span's kind (OTLP SpanKind).
type Kind int

// Span kinds.
const (
	KindInternal Kind = 1
	KindServer   Kind = 2
	KindClient   Kind = 3
	KindProducer Kind = 4
	KindConsumer Kind = 5
)

// Header is the W3C trace-context header that carries a SpanContext on a
// NATS message.
const Header = "traceparent"

// SpanContext identifies a span within a trace.
type SpanContext struct {
	TraceID [16]byte
	SpanID  [8]byte
}

// IsValid reports whether both ids are set.
func (c SpanContext) IsValid() bool {
	return c.TraceID != [16]byte{} && c.SpanID != [8]byte{}
}

// Traceparent is c as a W3C traceparent value
// ("00-<trace id>-<span id>-01"), or "" when c is not valid.
func (c SpanContext) Traceparent() string {
	if !c.IsValid() {
		return ""
	}
	return "00-" + hex.EncodeToString(c.TraceID[:]) + "-" + hex.EncodeToString(c.SpanID[:]) + "-01"
}

// ParseTraceparent reads a W3C traceparent value; ok is false for anything
// malformed, a version ff, or all-zero ids.
func ParseTraceparent(v string) (c SpanContext, ok bool) {
	v = strings.TrimSpace(v)
	parts := strings.Split(v, "-")
	if len(parts) < 4 || len(parts[0]) != 2 || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		return SpanContext{}, false
	}
	if parts[0] == "ff" || (parts[0] == "00" && len(parts) != 4) {
		return SpanContext{}, false
	}
	var ver [1]byte
	if _, err := hex.Decode(ver[:], []byte(parts[0])); err != nil {
		return SpanContext{}, false
	}
	if _, err := hex.Decode(c.TraceID[:], []byte(parts[1])); err != nil {
		return SpanContext{}, false
	}
	if _, err := hex.Decode(c.SpanID[:], []byte(parts[2])); err != nil {
		return SpanContext{}, false
	}
	if _, err := hex.Decode(ver[:], []byte(parts[3])); err != nil {
		return SpanContext{}, false
	}
	if strings.ToLower(v) != v || !c.IsValid() {
		return SpanContext{}, false
	}
	return c, true
}

// MessageTraceID is the trace id of the message with this id: the first 16
// bytes of SHA-256 of the id.
func MessageTraceID(messageID string) [16]byte {
	sum := sha256.Sum256([]byte(messageID))
	var id [16]byte
	copy(id[:], sum[:16])
	return id
}

// Span is one operation of a trace. Its methods may be called on nil. A
// span is used by one goroutine at a time; End hands it to the exporter.
type Span struct {
	t      *Tracer
	name   string
	kind   Kind
	sc     SpanContext
	parent [8]byte
	start  time.Time
	end    time.Time
	attrs  []attr
	status int // 0 unset, 1 ok, 2 error
	msg    string
	ended  bool
}

type attr struct {
	key string
	val any // string, int64, float64, bool
}

// Context is the span's SpanContext (zero for nil).
func (s *Span) Context() SpanContext {
	if s == nil {
		return SpanContext{}
	}
	return s.sc
}

// SetAttr sets an attribute; value is a string, an integer, a float or a
// bool (anything else is recorded as its type's zero string). Never put a
// message text here.
func (s *Span) SetAttr(key string, value any) {
	if s == nil {
		return
	}
	switch v := value.(type) {
	case string, int64, float64, bool:
		s.attrs = append(s.attrs, attr{key, v})
	case int:
		s.attrs = append(s.attrs, attr{key, int64(v)})
	case int32:
		s.attrs = append(s.attrs, attr{key, int64(v)})
	case uint64:
		s.attrs = append(s.attrs, attr{key, int64(v)})
	case float32:
		s.attrs = append(s.attrs, attr{key, float64(v)})
	default:
		s.attrs = append(s.attrs, attr{key, ""})
	}
}

// SetError marks the span failed with err's message (nil: nothing).
func (s *Span) SetError(err error) {
	if s == nil || err == nil {
		return
	}
	s.status, s.msg = 2, err.Error()
}

// End ends the span and queues it for export; later calls do nothing.
func (s *Span) End() {
	if s == nil || s.ended {
		return
	}
	s.ended = true
	s.end = time.Now()
	s.t.queue(s)
}

type ctxKey struct{}

// remote is a parent from elsewhere (a traceparent header, a message id).
type remote struct{ sc SpanContext }

// ContextWithSpan returns ctx carrying s as the parent of spans started
// from it.
func ContextWithSpan(ctx context.Context, s *Span) context.Context {
	if s == nil {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, s)
}

// SpanFrom returns the span ctx carries, or nil.
func SpanFrom(ctx context.Context) *Span {
	s, _ := ctx.Value(ctxKey{}).(*Span)
	return s
}

// WithRemoteParent returns ctx whose next span is a child of sc (from a
// traceparent header); an invalid sc leaves ctx as it is.
func WithRemoteParent(ctx context.Context, sc SpanContext) context.Context {
	if !sc.IsValid() {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, remote{sc})
}

// WithMessageTrace returns ctx whose next span starts the trace
// MessageTraceID(messageID) (a root span in it) unless ctx already has a
// parent.
func WithMessageTrace(ctx context.Context, messageID string) context.Context {
	if ctx.Value(ctxKey{}) != nil || messageID == "" {
		return ctx
	}
	return context.WithValue(ctx, ctxKey{}, remote{SpanContext{TraceID: MessageTraceID(messageID)}})
}

// FromHeader returns ctx with the parent a traceparent header value names,
// else the trace of messageID (WithMessageTrace).
func FromHeader(ctx context.Context, traceparent, messageID string) context.Context {
	if sc, ok := ParseTraceparent(traceparent); ok {
		return WithRemoteParent(ctx, sc)
	}
	return WithMessageTrace(ctx, messageID)
}

// Start starts a span named name as a child of the span ctx carries (or of
// its remote parent, or as the root of a new trace) and returns ctx
// carrying it. With a nil t it returns ctx and a nil span.
func (t *Tracer) Start(ctx context.Context, name string, kind Kind) (context.Context, *Span) {
	if t == nil {
		return ctx, nil
	}
	s := &Span{t: t, name: name, kind: kind, start: time.Now()}
	switch p := ctx.Value(ctxKey{}).(type) {
	case *Span:
		s.sc.TraceID, s.parent = p.sc.TraceID, p.sc.SpanID
	case remote:
		s.sc.TraceID, s.parent = p.sc.TraceID, p.sc.SpanID
	}
	if s.sc.TraceID == [16]byte{} {
		_, _ = rand.Read(s.sc.TraceID[:])
	}
	for s.sc.SpanID == [8]byte{} {
		_, _ = rand.Read(s.sc.SpanID[:])
	}
	return context.WithValue(ctx, ctxKey{}, s), s
}

// Start starts a child of the span ctx carries with that span's tracer;
// without a span in ctx (tracing off, or no trace here) it returns ctx and
// nil. Packages that only continue traces (the plugin host) use it.
func Start(ctx context.Context, name string, kind Kind) (context.Context, *Span) {
	p := SpanFrom(ctx)
	if p == nil {
		return ctx, nil
	}
	return p.t.Start(ctx, name, kind)
}

// Traceparent is the traceparent value of the span ctx carries ("" when
// none), for the header of an outgoing NATS message.
func Traceparent(ctx context.Context) string {
	return SpanFrom(ctx).Context().Traceparent()
}
