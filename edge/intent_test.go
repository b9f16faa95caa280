package edge_test

import (
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/intentcheck"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/internal/wasmbuild"
	"github.com/kefu-io/kefu/plugins/order-status/testserver"
)

// TestOrderPluginAnswersOnlyTracking runs the real order-status plugin
// (wasip1 build) in a real plugin host behind an edge that checks the
// widget's intent hint with its own model: a tracking question without an
// order word is answered at the edge; a cancellation the client labelled
// "order_status" reaches central with the edge's intent and confidence,
// unanswered (the plugin declined it).
func TestOrderPluginAnswersOnlyTracking(t *testing.T) {
	path, err := wasmbuild.Cached(t.Context(), "../plugins/order-status")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	orders := testserver.New(testserver.Order{ID: "10023", Status: "in_transit", Carrier: "DHL", Postcode: "10115"})
	t.Cleanup(orders.Close)
	u, _ := url.Parse(orders.URL)
	host, err := pluginhost.NewHost(t.Context(), pluginhost.Config{
		Regions: map[string]pluginhost.Region{"eu": {
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"order-status"}},
			Plugins: map[string]pluginhost.Plugin{"order-status": {Grants: []string{pluginhost.CapHTTP},
				Config: map[string]string{"api": orders.URL + "/v1/orders"}}},
			HTTPAllow: []string{u.Host},
		}},
		Defaults:   pluginhost.Limits{Timeout: pluginhost.Duration(10 * time.Second)},
		Builtin:    func(string) ([]byte, bool) { return wasm, true },
		Logger:     slog.New(slog.DiscardHandler),
		Registerer: metric.NewRegistry(),
		CacheDir:   pluginCacheDir(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Close() })
	check, err := intentcheck.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) { c.Plugins, c.Intent = host, check }})
	c := h.dial("demo")
	c.hello(chat.Frame{})

	// No order word: the old plugin let this through; the edge's intent
	// (order_status, confident) names the lone number the order id, and
	// the plugin asks for the second factor (order-status README).
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "has 10023 shipped yet?", Lang: "en"})
	r := c.expect(chat.FrameMessage)
	if r.Source != chat.SourceEdge || r.ReplyTo != id || !strings.Contains(r.Text, "To show order 10023") {
		t.Fatalf("tracking question: %+v", r)
	}
	c.expect(chat.FrameAccepted)
	got, err := h.resp.WaitInbound(waitCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	env := got[0]
	if env.Message.Intent != "order_status" || env.Message.IntentConfidence < 0.5 {
		t.Fatalf("central got intent %q (%.2f)", env.Message.Intent, env.Message.IntentConfidence)
	}

	// A forged hint: the text asks to cancel. The edge's model replaces
	// the hint, the plugin declines, central gets the message unanswered.
	id = chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "please cancel order 10023, I don't want it any more", Lang: "en", Intent: "order_status"})
	c.expect(chat.FrameAccepted)
	if got, err = h.resp.WaitInbound(waitCtx(t), 2); err != nil {
		t.Fatal(err)
	}
	env = got[1]
	if env.Message.ID != id || env.Message.Intent != "cancel_order" || env.Message.IntentConfidence < 0.5 ||
		env.Label(edge.LabelEdgeAnswerID) != "" {
		t.Fatalf("cancellation reached central as %+v", env)
	}
	if r := c.expect(chat.FrameMessage); r.Source == chat.SourceEdge || !strings.Contains(r.Text, "cancel") {
		t.Fatalf("cancellation answered by %+v", r)
	}
}
