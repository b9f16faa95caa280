package pluginhost

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/internal/metric"
)

func newRegistry() *metric.Registry { return metric.NewRegistry() }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestPassthrough(t *testing.T) {
	h, _ := testHost(t, region("passthrough"), map[string][]byte{"passthrough": passthrough(t)})
	in := envelope("hello there")
	in.Labels = map[string]string{"sku": "A1"}
	out, err := h.Run(context.Background(), "t", HookInbound, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.Verdict != Pass || !reflect.DeepEqual(out.Envelope.Message, in.Message) || out.Envelope.Labels["sku"] != "A1" {
		t.Fatalf("outcome %+v", out)
	}
	if got := metricValue(h.metrics.calls.WithLabelValues("passthrough", "t", "inbound")); got != 1 {
		t.Fatalf("calls metric %v", got)
	}
	// Outbound has no pipeline in region t: pass without a call.
	if out, err := h.Run(context.Background(), "t", HookOutbound, in); err != nil || out.Verdict != Pass {
		t.Fatalf("outbound: %+v %v", out, err)
	}
	if _, err := h.Run(context.Background(), "nowhere", HookInbound, in); !errors.Is(err, ErrUnknownRegion) {
		t.Fatalf("unknown region: %v", err)
	}
	if _, err := h.Run(context.Background(), "t", Hook("sideways"), in); !errors.Is(err, ErrUnknownHook) {
		t.Fatalf("unknown hook: %v", err)
	}
	// HasPipeline: false only where Run answers at once with a pass.
	for _, c := range []struct {
		region string
		hook   Hook
		want   bool
	}{{"t", HookInbound, true}, {"t", HookOutbound, false}, {"t", HookEvent, false}, {"nowhere", HookInbound, true}, {"t", Hook("sideways"), true}} {
		if got := h.HasPipeline(c.region, c.hook); got != c.want {
			t.Errorf("HasPipeline(%q, %q) = %v, want %v", c.region, c.hook, got, c.want)
		}
	}
}

func TestVerdictsAndPipeline(t *testing.T) {
	kitchen := testPlugin(t, "kitchen")
	cfg := Config{Regions: map[string]Region{"t": {
		Pipelines: map[Hook][]string{
			HookInbound:  {"first", "second"},
			HookOutbound: {"first"},
			HookEvent:    {"second"},
		},
	}}}
	h, logs := testHost(t, cfg, map[string][]byte{"first": kitchen, "second": kitchen})
	tests := []struct {
		text    string
		verdict Verdict
		plugin  string
		answer  string
		reason  string
		newText string
		labels  map[string]string
	}{
		{text: "nothing", verdict: Pass, newText: "nothing"},
		{text: "modify 555", verdict: Modify, newText: "masked 555", labels: map[string]string{"pii": "PHONE"}},
		{text: "answer hi", verdict: Answer, plugin: "first", answer: "answer hi", newText: "answer hi"},
		{text: "drop spam", verdict: Drop, plugin: "first", reason: "dropped spam", newText: "drop spam"},
		{text: "escalate lawyer", verdict: Escalate, plugin: "first", reason: "escalated lawyer", newText: "escalate lawyer"},
		// both decline: the pipeline goes on as for pass, and keeps who declined and why (Outcome.Declined).
		{text: "decline cancel", verdict: Pass, newText: "decline cancel", labels: map[string]string{"seen": "cancel"}},
		// the intent and its confidence reach the plugin (binary envelope of the Go PDK)
		{text: "intent", verdict: Answer, plugin: "first", answer: "order_status 0.82", newText: "intent"},
		// first labels step=x, second echoes what it sees: labels flow down the pipeline.
		{text: "label x", verdict: Pass, newText: "label x", labels: map[string]string{"step": "x"}},
		{text: "unlabel keep", verdict: Pass, newText: "unlabel keep", labels: map[string]string{}},
		// A bad result from a fail-open plugin is skipped, the next still runs.
		{text: "hugetext", verdict: Pass, newText: "hugetext"},
		{text: "badlabel", verdict: Pass, newText: "badlabel"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			in := envelope(tc.text)
			in.Labels = map[string]string{"keep": "1"}
			in.Message.Intent, in.Message.IntentConfidence = "order_status", 0.82
			out, err := h.Run(context.Background(), "t", HookInbound, in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Verdict != tc.verdict || out.Plugin != tc.plugin || out.Answer != tc.answer || out.Reason != tc.reason {
				t.Fatalf("outcome %+v", out)
			}
			if out.Envelope.Message.Text != tc.newText {
				t.Fatalf("text %q, want %q", out.Envelope.Message.Text, tc.newText)
			}
			for k, v := range tc.labels {
				if out.Envelope.Labels[k] != v {
					t.Fatalf("label %s = %q, want %q (labels %v)", k, out.Envelope.Labels[k], v, out.Envelope.Labels)
				}
			}
			wantDeclined := []Declined(nil)
			if tc.text == "decline cancel" {
				wantDeclined = []Declined{{"first", "declined cancel"}, {"second", "declined cancel"}}
			}
			if !reflect.DeepEqual(out.Declined, wantDeclined) {
				t.Fatalf("declined %+v, want %+v", out.Declined, wantDeclined)
			}
			if tc.text == "unlabel keep" {
				if _, ok := out.Envelope.Labels["keep"]; ok {
					t.Fatal("label not deleted")
				}
			}
			if in.Labels["keep"] != "1" || len(in.Labels) != 1 {
				t.Fatalf("Run changed the caller's labels: %v", in.Labels)
			}
			if out.Envelope.Tenant != "shop1" || out.Envelope.Message.ID != in.Message.ID {
				t.Fatal("immutable fields changed")
			}
		})
	}
	if !strings.Contains(logs.String(), "kind=output") && !strings.Contains(logs.String(), "output:") {
		t.Errorf("bad results not logged as output failures:\n%s", logs.String())
	}
	out, err := h.Run(context.Background(), "t", HookOutbound, envelope("reply"))
	if err != nil || out.Verdict != Modify || out.Envelope.Message.Text != "reply [checked]" {
		t.Fatalf("outbound: %+v %v", out, err)
	}
	ev := envelope("x")
	ev.Labels = map[string]string{"event": "conversation.erasure"}
	out, err = h.Run(context.Background(), "t", HookEvent, ev)
	if err != nil || out.Envelope.Labels["seen_event"] != "conversation.erasure" {
		t.Fatalf("event: %+v %v", out, err)
	}
}

func TestHostFunctions(t *testing.T) {
	var mu sync.Mutex
	var gotHeader string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotHeader = r.Header.Get("X-Plugin")
		mu.Unlock()
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "http://127.0.0.2:1/elsewhere", http.StatusFound)
		default:
			fmt.Fprintf(w, `{"order":%q}`, r.URL.Path)
		}
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	alerts := make(chan Alert, 4)
	cfg := Config{
		Quota: Quota{HTTPCallsPerMinute: 3},
		Regions: map[string]Region{"t": {
			Pipelines: map[Hook][]string{HookInbound: {"k"}},
			HTTPAllow: []string{u.Host},
			Plugins: map[string]Plugin{"k": {
				Grants: []string{CapKV, CapHTTP, CapAlert},
				Config: map[string]string{"url": upstream.URL + "/orders/12345", "greeting": "hallo"},
			}},
		}},
		AlertSink: func(_ context.Context, a Alert) { alerts <- a },
	}
	h, logs := testHost(t, cfg, map[string][]byte{"k": testPlugin(t, "kitchen")})

	steps := []struct{ text, want string }{
		{"config greeting", "config greeting=hallo true"},
		{"config missing", "config missing= false"},
		{"kv", "count=1"},
		{"kv", "count=2"},
		{"kvbig", "kv error: pdk: kv_set big: pdk: value too large"},
		{"http", `http 200 {"order":"/orders/12345"}`},
		{"http http://example.com/x", "http error: pdk: http_request http://example.com/x: pdk: denied by the host"},
		{"http file:///etc/passwd", "denied by the host"},
		{"http " + upstream.URL + "/redirect", "http error"},
		{"http", `http 200`},
		{"http", "tenant quota spent"}, // 4th call this minute, quota 3
		{"alert 12315", "alerted"},
	}
	for _, s := range steps {
		if out := run(t, h, s.text); !strings.Contains(out.Answer, s.want) {
			t.Fatalf("%q: answer %q, want %q", s.text, out.Answer, s.want)
		}
	}
	mu.Lock()
	if gotHeader != "kitchen" {
		t.Errorf("request header not forwarded: %q", gotHeader)
	}
	mu.Unlock()
	select {
	case a := <-alerts:
		if a.Tenant != "shop1" || a.Plugin != "k" || a.Region != "t" || a.Text != "shopper said 12315" || a.ConversationID == "" {
			t.Fatalf("alert %+v", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("alert not delivered")
	}
	// KV is per tenant: another tenant starts from zero.
	other := envelope("kv")
	other.Tenant = "shop2"
	if out, _ := h.Run(context.Background(), "t", HookInbound, other); out.Answer != "count=1" {
		t.Fatalf("kv leaked across tenants: %q", out.Answer)
	}
	if u := h.Usage("shop1"); u.HTTPCalls != 3 || u.Refused != 1 {
		t.Fatalf("usage %+v", u)
	}
	if got := metricValue(h.metrics.quota.WithLabelValues("shop1", "http")); got != 1 {
		t.Fatalf("quota metric %v", got)
	}
	run(t, h, "log hello")
	if !strings.Contains(logs.String(), "kitchen says hello") {
		t.Fatalf("guest log missing:\n%s", logs.String())
	}
	if out := run(t, h, "now"); !strings.HasPrefix(out.Answer, "now=") {
		t.Fatal(out.Answer)
	}
}

func TestAlertWebhook(t *testing.T) {
	got := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()
	cfg := Config{Regions: map[string]Region{"t": {
		Pipelines:    map[Hook][]string{HookInbound: {"k"}},
		AlertWebhook: hook.URL,
		Plugins:      map[string]Plugin{"k": {Grants: []string{CapAlert}}},
	}}}
	h, _ := testHost(t, cfg, map[string][]byte{"k": testPlugin(t, "kitchen")})
	run(t, h, "alert 投诉")
	select {
	case body := <-got:
		if !strings.Contains(body, `"text":"shopper said 投诉"`) || !strings.Contains(body, `"tenant":"shop1"`) {
			t.Fatalf("webhook body %s", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("webhook not called")
	}
}

func TestCPUQuota(t *testing.T) {
	cfg := region("k")
	cfg.TenantQuotas = map[string]Quota{"shop1": {CPUPerMinute: Duration(20 * time.Millisecond)}}
	h, _ := testHost(t, cfg, map[string][]byte{"k": testPlugin(t, "kitchen")})
	// Each call spins 5ms; the budget is 20ms: within a few calls the
	// tenant's deadline shrinks to what is left, then calls are refused.
	quotaErrs := h.metrics.errors.WithLabelValues("k", "t", KindQuota)
	for i := 0; metricValue(quotaErrs) == 0; i++ {
		if i == 100 {
			t.Fatal("CPU quota never enforced")
		}
		run(t, h, "spin")
	}
	if out := run(t, h, "answer x"); out.Verdict != Pass { // fail-open: skipped
		t.Fatalf("over-quota call ran: %+v", out)
	}
	if u := h.Usage("shop1"); u.CPU < 20*time.Millisecond || u.Refused < 2 {
		t.Fatalf("usage %+v", u)
	}
	other := envelope("answer free")
	other.Tenant = "shop2"
	if out, _ := h.Run(context.Background(), "t", HookInbound, other); out.Answer != "answer free" {
		t.Fatalf("another tenant was throttled: %+v", out)
	}
}

func TestConcurrentCallsBoundedPool(t *testing.T) {
	cfg := region("passthrough")
	cfg.Defaults.PoolSize = 3
	h, _ := testHost(t, cfg, map[string][]byte{"passthrough": passthrough(t)})
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			out, err := h.Run(context.Background(), "t", HookInbound, envelope(fmt.Sprint("msg ", i)))
			if err != nil || out.Verdict != Pass {
				errs <- fmt.Errorf("call %d: %+v %v", i, out, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := metricValue(h.metrics.instances.WithLabelValues("passthrough", "t")); n < 1 || n > 3 {
		t.Fatalf("instances %v, want 1..3", n)
	}
}

func TestInstallSwapsAtomicallyAndInFlightFinishesOnOld(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		io.WriteString(w, "old-version")
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	pub, priv, _ := ed25519.GenerateKey(nil)
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	cfg := Config{
		TrustedKeys:      []string{base64.StdEncoding.EncodeToString(pub)},
		RequireSignature: true,
		// The upstream holds the in-flight call until the installs below
		// are done, which on a loaded machine outlasts the default client's
		// 5 s: the plugin's 30 s limit bounds it here instead.
		HTTPClient: &http.Client{},
		Regions: map[string]Region{"t": {
			Pipelines: map[Hook][]string{HookInbound: {"p"}},
			HTTPAllow: []string{u.Host},
			Plugins: map[string]Plugin{"p": {
				Grants: []string{CapHTTP},
				Config: map[string]string{"url": upstream.URL},
				Limits: Limits{Timeout: Duration(30 * time.Second)},
			}},
		}},
	}
	h, _ := testHost(t, cfg, map[string][]byte{"p": testPlugin(t, "slow")})
	done := make(chan Outcome)
	go func() {
		out, _ := h.Run(context.Background(), "t", HookInbound, envelope("x"))
		done <- out
	}()
	<-entered // the call is in flight on the old version

	next := testPlugin(t, "kitchen")
	refusals := []struct {
		name string
		wasm []byte
		sig  []byte
		want string
	}{
		{"unsigned", next, nil, "unsigned bundle"},
		{"wrong key", next, signFile(t, otherPriv, "p", "2", next), "does not verify"},
		{"tampered", append([]byte{}, next[:len(next)-1]...), signFile(t, priv, "p", "2", next), "does not verify"},
		{"garbage sig", next, []byte("nope"), "not a kefu signature file"},
		{"legacy sig", next, ed25519.Sign(priv, next), "binds no name or version"},
		{"not wasm", []byte("hello"), signFile(t, priv, "p", "2", []byte("hello")), "compiling"},
		{"abi mismatch", emptyModule, signFile(t, priv, "p", "2", emptyModule), "missing export memory"},
		{"bad import", badImportModule, signFile(t, priv, "p", "2", badImportModule), "imports kefu.evil, which ABI v1 does not provide"},
	}
	for _, r := range refusals {
		err := h.Install(context.Background(), "p", r.wasm, r.sig)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), r.want) {
			t.Fatalf("%s: err %v, want refusal with %q", r.name, err, r.want)
		}
	}
	sig := signFile(t, priv, "p", "2", next)
	if err := h.Install(context.Background(), "p", next, sig); err != nil {
		t.Fatalf("Install: %v", err)
	}
	if out := run(t, h, "answer new"); out.Answer != "answer new" {
		t.Fatalf("new version not serving: %+v", out)
	}
	close(release)
	if out := <-done; out.Answer != "slow:old-version" {
		t.Fatalf("in-flight call: %+v", out)
	}
	if got := metricValue(h.metrics.reloads.WithLabelValues("p", "refused")); got != float64(len(refusals)) {
		t.Fatalf("refused reloads %v", got)
	}
}

func TestPollPluginDir(t *testing.T) {
	dir := t.TempDir()
	write := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "p.wasm"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(passthrough(t))
	cfg := region("p")
	cfg.PluginDir = dir
	cfg.PollInterval = Duration(time.Hour) // the test polls by hand
	h, _ := testHost(t, cfg, nil)
	if out := run(t, h, "answer x"); out.Verdict != Pass {
		t.Fatalf("v1: %+v", out)
	}
	v1 := h.Versions()["p"]
	write(testPlugin(t, "kitchen"))
	h.Poll(context.Background())
	if out := run(t, h, "answer x"); out.Answer != "answer x" {
		t.Fatalf("v2 not loaded: %+v", out)
	}
	if h.Versions()["p"] == v1 {
		t.Fatal("version unchanged")
	}
	write([]byte("\x00asm broken"))
	h.Poll(context.Background())
	if out := run(t, h, "answer y"); out.Answer != "answer y" {
		t.Fatalf("broken bundle replaced the good one: %+v", out)
	}
	// Install writes the accepted bundle to the folder.
	if err := h.Install(context.Background(), "p", passthrough(t), nil); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "p.wasm"))
	if string(b) != string(passthrough(t)) {
		t.Fatal("Install did not persist the bundle")
	}
	h.Poll(context.Background()) // no change: nothing reloads
	if got := metricValue(h.metrics.reloads.WithLabelValues("p", "ok")); got != 3 {
		t.Fatalf("ok reloads %v, want 3 (load, poll, install)", got)
	}
}

func TestNewHostErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing bundle", region("ghost"), "not found"},
		{"hook not handled", Config{Regions: map[string]Region{"t": {Pipelines: map[Hook][]string{HookEvent: {"passthrough"}}}}}, "handles no such hook"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Builtin = func(n string) ([]byte, bool) {
				if n == "passthrough" {
					return passthrough(t), true
				}
				return nil, false
			}
			tc.cfg.Registerer, tc.cfg.Logger, tc.cfg.CacheDir = newRegistry(), discardLogger(), testCacheDir(t)
			_, err := NewHost(context.Background(), tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

// emptyModule is the smallest valid wasm module: no exports at all.
var emptyModule = []byte("\x00asm\x01\x00\x00\x00")

// badImportModule imports kefu.evil: () -> ().
var badImportModule = []byte("\x00asm\x01\x00\x00\x00" +
	"\x01\x04\x01\x60\x00\x00" + // type section: [() -> ()]
	"\x02\x0d\x01\x04kefu\x04evil\x00\x00") // import section
