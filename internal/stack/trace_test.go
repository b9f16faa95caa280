package stack

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
	"github.com/kefu-io/kefu/internal/tracing"
)

// otlpCollector is a stand-in of an OpenTelemetry collector's OTLP/HTTP
// receiver: it takes JSON export requests on /v1/traces and keeps the
// spans with their service name, and every request body.
type otlpCollector struct {
	mu     sync.Mutex
	spans  []collectedSpan
	bodies []string
}

type collectedSpan struct {
	Service                             string
	TraceID, SpanID, ParentSpanID, Name string
	Kind                                int
	Attrs                               map[string]string
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want POST /v1/traces application/json", http.StatusBadRequest)
		return
	}
	var req struct {
		ResourceSpans []struct {
			Resource struct {
				Attributes []otlpKV `json:"attributes"`
			} `json:"resource"`
			ScopeSpans []struct {
				Spans []struct {
					TraceID      string   `json:"traceId"`
					SpanID       string   `json:"spanId"`
					ParentSpanID string   `json:"parentSpanId"`
					Name         string   `json:"name"`
					Kind         int      `json:"kind"`
					Attributes   []otlpKV `json:"attributes"`
				} `json:"spans"`
			} `json:"scopeSpans"`
		} `json:"resourceSpans"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bodies = append(c.bodies, string(body))
	for _, rs := range req.ResourceSpans {
		service := attrMap(rs.Resource.Attributes)["service.name"]
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				c.spans = append(c.spans, collectedSpan{Service: service, TraceID: s.TraceID, SpanID: s.SpanID,
					ParentSpanID: s.ParentSpanID, Name: s.Name, Kind: s.Kind, Attrs: attrMap(s.Attributes)})
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}"))
}

type otlpKV struct {
	Key   string `json:"key"`
	Value struct {
		StringValue *string `json:"stringValue"`
		IntValue    *string `json:"intValue"`
	} `json:"value"`
}

func attrMap(kvs []otlpKV) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		switch {
		case kv.Value.StringValue != nil:
			m[kv.Key] = *kv.Value.StringValue
		case kv.Value.IntValue != nil:
			m[kv.Key] = *kv.Value.IntValue
		}
	}
	return m
}

// trace returns the spans of one trace.
func (c *otlpCollector) trace(id string) []collectedSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []collectedSpan
	for _, s := range c.spans {
		if s.TraceID == id {
			out = append(out, s)
		}
	}
	return out
}

// TestTraceFromWidgetMessageToCentralAndBack runs the whole stack (edge
// with the default plugin pipeline, embedded NATS, central) with an OTLP
// endpoint on a collector stand-in, sends one shopper message and checks
// its trace: the trace id is the one derived from the widget's message id,
// and it holds edge.message (kefu-edge, the root) → one span per inbound
// plugin and nats.publish → central.process (kefu-central, the child of
// the publish through the traceparent header of the NATS message) →
// nats.publish reply → edge.reply (kefu-edge again) → the outbound
// plugins. No span carries the text the shopper wrote.
func TestTraceFromWidgetMessageToCentralAndBack(t *testing.T) {
	t.Parallel()
	col := &otlpCollector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(),
		OTLPEndpoint: srv.URL + "/v1/traces"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ws, _ := dialShopper(t, s, chat.Frame{Visitor: "v-trace"})
	id := chat.NewID()
	ws.send(chat.Frame{V: 1, Type: chat.FrameMessage, ID: id, Text: "What is your return policy? pelicanmarmalade"})
	ws.expectAccepted(id)
	reply := ws.expectMessage(func(f chat.Frame) bool { return f.ReplyTo == id })

	tid := tracing.MessageTraceID(id)
	traceID := hex.EncodeToString(tid[:])
	byName := map[string][]collectedSpan{}
	poll.Until(t, 60*time.Second, func() error { // the tracers export every 2 s
		byName = map[string][]collectedSpan{}
		for _, sp := range col.trace(traceID) {
			byName[sp.Name] = append(byName[sp.Name], sp)
		}
		for _, name := range []string{"edge.message", "nats.publish", "central.process", "nats.publish reply", "edge.reply"} {
			if len(byName[name]) == 0 {
				return fmt.Errorf("trace %s has no %s span yet (has %v)", traceID, name, keys(byName))
			}
		}
		return nil
	})
	one := func(name string) collectedSpan {
		t.Helper()
		if len(byName[name]) != 1 {
			t.Fatalf("%d %s spans in the trace, want 1", len(byName[name]), name)
		}
		return byName[name][0]
	}
	root, pub, proc, pubReply := one("edge.message"), one("nats.publish"), one("central.process"), one("nats.publish reply")
	var back collectedSpan
	for _, sp := range byName["edge.reply"] {
		if sp.Attrs["kefu.message_id"] == reply.ID {
			back = sp
		}
	}
	checks := []struct {
		what          string
		span          collectedSpan
		service       string
		parent        string
		kind          tracing.Kind
		attr, attrVal string
	}{
		{"edge.message", root, "kefu-edge", "", tracing.KindServer, "kefu.message_id", id},
		{"nats.publish", pub, "kefu-edge", root.SpanID, tracing.KindProducer, "kefu.message_id", id},
		{"central.process", proc, "kefu-central", pub.SpanID, tracing.KindConsumer, "kefu.message_id", id},
		{"nats.publish reply", pubReply, "kefu-central", proc.SpanID, tracing.KindProducer, "kefu.message_id", reply.ID},
		{"edge.reply", back, "kefu-edge", pubReply.SpanID, tracing.KindConsumer, "kefu.result", "delivered"},
	}
	for _, c := range checks {
		if c.span.Service != c.service || c.span.ParentSpanID != c.parent || c.span.Kind != int(c.kind) || c.span.Attrs[c.attr] != c.attrVal {
			t.Errorf("%s: %+v, want service %s, parent %q, kind %d, %s=%s", c.what, c.span, c.service, c.parent, c.kind, c.attr, c.attrVal)
		}
	}
	inbound, outbound := 0, 0
	for name, spans := range byName {
		if !strings.HasPrefix(name, "plugin ") {
			continue
		}
		for _, sp := range spans {
			switch {
			case sp.Attrs["kefu.hook"] == "inbound" && sp.ParentSpanID == root.SpanID:
				inbound++
			case sp.Attrs["kefu.hook"] == "outbound" && sp.ParentSpanID == back.SpanID:
				outbound++
			default:
				t.Errorf("plugin span %+v is under neither edge.message nor edge.reply", sp)
			}
		}
	}
	if inbound < 2 || outbound < 1 {
		t.Errorf("%d inbound and %d outbound plugin spans, want ≥ 2 and ≥ 1: %v", inbound, outbound, keys(byName))
	}
	t.Logf("trace %s: %v", traceID, keys(byName))
	col.mu.Lock()
	defer col.mu.Unlock()
	for _, b := range col.bodies {
		if strings.Contains(b, "pelicanmarmalade") || strings.Contains(b, "return policy") {
			t.Fatalf("an exported span holds the shopper's text: %s", b)
		}
	}
}

func keys(m map[string][]collectedSpan) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s×%d", k, len(v)))
	}
	return out
}
