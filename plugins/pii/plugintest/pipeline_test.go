package plugintest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/plugins/order-status/testserver"
)

var names = []string{"pii-redact", "gdpr-residency", "sensitive-alert", "order-status", "geo-campaign"}

func bundles(t *testing.T) map[string][]byte {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, n := range names {
		wg.Go(func() {
			b, err := Build(context.Background(), root, "plugins/"+n)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			out[n] = b
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

type hooked struct {
	mu     sync.Mutex
	alerts []map[string]any
	got    chan struct{}
}

func (h *hooked) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var a map[string]any
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &a); err == nil {
		h.mu.Lock()
		h.alerts = append(h.alerts, a)
		h.mu.Unlock()
		h.got <- struct{}{}
	}
	w.WriteHeader(http.StatusNoContent)
}

func envelope(conv, text string, dir chat.Direction, role chat.Role, labels map[string]string) chat.Envelope {
	return chat.Envelope{
		V: 1, Tenant: "shop1", Region: "eu", Channel: chat.ChannelWeb, Visitor: "v1", Direction: dir, Labels: labels,
		Message: chat.Message{ID: chat.NewID(), ConversationID: conv, Role: role, Text: text, Lang: "en", At: time.Now().UTC()},
	}
}

func TestEUPipelineInRealHost(t *testing.T) {
	b := bundles(t)
	orders := testserver.New(testserver.Order{ID: "12345", Status: "in_transit", Carrier: "DHL", ETA: "2025-01-05", Postcode: "10115"})
	defer orders.Close()
	hook := &hooked{got: make(chan struct{}, 16)}
	webhook := httptest.NewServer(hook)
	defer webhook.Close()
	ordersURL, _ := url.Parse(orders.URL)
	campaigns := `[{"id":"eu-winter","regions":["eu"],"text":{"en":"Winter sale: -20% with WINTER20"}}]`

	cfg := pluginhost.Config{
		CacheDir: filepath.Join(os.TempDir(), "kefu-plugintest-cache"),
		Regions: map[string]pluginhost.Region{"eu": {
			Pipelines: map[pluginhost.Hook][]string{
				pluginhost.HookInbound:  {"pii-redact", "gdpr-residency", "sensitive-alert", "order-status"},
				pluginhost.HookOutbound: {"geo-campaign"},
				pluginhost.HookEvent:    {"gdpr-residency"},
			},
			Plugins: map[string]pluginhost.Plugin{
				"pii-redact":      {Fail: pluginhost.FailClosed},
				"gdpr-residency":  {Grants: []string{"kv"}},
				"sensitive-alert": {Grants: []string{"alert", "kv"}, Config: map[string]string{"console_url": "https://kefu.example/console#c="}},
				"order-status":    {Grants: []string{"http"}, Config: map[string]string{"api": orders.URL + "/v1/orders"}},
				"geo-campaign":    {Grants: []string{"kv"}, Config: map[string]string{"campaigns": campaigns}},
			},
			HTTPAllow:    []string{ordersURL.Host},
			AlertWebhook: webhook.URL,
			Limits:       pluginhost.Limits{Timeout: pluginhost.Duration(2 * time.Second)},
		}},
		Builtin:    func(n string) ([]byte, bool) { w, ok := b[n]; return w, ok },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: metric.NewRegistry(),
	}
	h, err := pluginhost.NewHost(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewHost: %v", err)
	}
	defer h.Close()
	ctx := context.Background()
	conv := chat.NewID()

	// PII masked, order id kept, residency labels applied
	out, err := h.Run(ctx, "eu", pluginhost.HookInbound, envelope(conv, "my phone is +49 151 23456789, mail anna@example.de", chat.Inbound, chat.RoleShopper, map[string]string{"ip": "10.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != pluginhost.Modify || out.Envelope.Message.Text != "my phone is [PHONE], mail [EMAIL]" ||
		out.Envelope.Labels["pii"] != "EMAIL,PHONE" || out.Envelope.Labels["residency"] != "eu" {
		t.Fatalf("pii: %+v", out)
	}
	if _, ok := out.Envelope.Labels["ip"]; ok {
		t.Fatalf("ip label left the region: %v", out.Envelope.Labels)
	}

	// order question answered at the edge through the allowlisted HTTP
	// (with the order's postcode as the second factor, issue 8 item 13)
	out, err = h.Run(ctx, "eu", pluginhost.HookInbound, envelope(conv, "where is my order 12345? postcode 10115", chat.Inbound, chat.RoleShopper, nil))
	if err != nil || out.Verdict != pluginhost.Answer || out.Plugin != "order-status" || !strings.Contains(out.Answer, "on its way") {
		t.Fatalf("order: %+v %v", out, err)
	}
	if orders.Requests.Load() != 1 {
		t.Fatalf("order API requests = %d", orders.Requests.Load())
	}

	// sensitive word: alert posted to the webhook with the conversation link, text masked
	out, err = h.Run(ctx, "eu", pluginhost.HookInbound, envelope(conv, "I will call my lawyer, 13812345678", chat.Inbound, chat.RoleShopper, nil))
	if err != nil || out.Envelope.Labels["alert"] != "lawyer" {
		t.Fatalf("alert run: %+v %v", out, err)
	}
	select {
	case <-hook.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no alert reached the webhook")
	}
	hook.mu.Lock()
	a := hook.alerts[0]
	hook.mu.Unlock()
	if a["link"] != "https://kefu.example/console#c="+conv || strings.Contains(a["text"].(string), "13812345678") || a["conversation_id"] != conv {
		t.Fatalf("alert = %v", a)
	}
	// the second one in the same conversation is rate-limited
	out, _ = h.Run(ctx, "eu", pluginhost.HookInbound, envelope(conv, "lawyer again", chat.Inbound, chat.RoleShopper, nil))
	if out.Envelope.Labels["alert_suppressed"] != "1" {
		t.Fatalf("second alert not suppressed: %v", out.Envelope.Labels)
	}

	// erasure request escalates
	out, err = h.Run(ctx, "eu", pluginhost.HookInbound, envelope(conv, "Bitte meine Daten löschen", chat.Inbound, chat.RoleShopper, nil))
	if err != nil || out.Verdict != pluginhost.Escalate || out.Reason != "gdpr-erasure" || out.Envelope.Labels["erasure"] != "1" {
		t.Fatalf("erasure: %+v %v", out, err)
	}
	ev := envelope(conv, "erasure", chat.Inbound, chat.RoleSystem, map[string]string{"event": string(chat.EventErasure)})
	if out, err = h.Run(ctx, "eu", pluginhost.HookEvent, ev); err != nil || out.Envelope.Labels["erasure_edge"] != "done" {
		t.Fatalf("erasure event: %+v %v", out, err)
	}

	// outbound: campaign appended once per conversation
	out, err = h.Run(ctx, "eu", pluginhost.HookOutbound, envelope(conv, "Your parcel ships today.", chat.Outbound, chat.RoleBot, nil))
	if err != nil || out.Envelope.Message.Text != "Your parcel ships today.\n\nWinter sale: -20% with WINTER20" {
		t.Fatalf("campaign: %+v %v", out, err)
	}
	out, _ = h.Run(ctx, "eu", pluginhost.HookOutbound, envelope(conv, "Anything else?", chat.Outbound, chat.RoleAgent, nil))
	if out.Envelope.Message.Text != "Anything else?" {
		t.Fatalf("campaign shown twice: %q", out.Envelope.Message.Text)
	}
}
