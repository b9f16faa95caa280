package plugintest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/metric"
	"github.com/kefu-io/kefu/plugins/pii"
	"github.com/kefu-io/kefu/plugins/pii/piieval"
)

// TestPIIRedactInHostMatchesNative runs the pii-redact plugin (wasip1
// build, in the real host, whose pii_scan import runs the detector) on
// every text of every PII set, with the default options and a restricted
// set, and compares the masked text and label "pii" with pii.Redact run
// natively, as `kefu pii eval` runs it: the deployed plugin masks exactly
// what the evaluation measures.
func TestPIIRedactInHostMatchesNative(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin and scans every set")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := Build(context.Background(), root, "plugins/pii-redact")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no PII sets: %v", err)
	}
	exs, err := piieval.ReadFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	restricted := pii.Options{Types: []pii.Type{pii.Phone, pii.Address, pii.ID}, Locales: []string{"de", "zh"}}
	region := func(config map[string]string) pluginhost.Region {
		return pluginhost.Region{
			Pipelines: map[pluginhost.Hook][]string{pluginhost.HookInbound: {"pii-redact"}},
			Plugins:   map[string]pluginhost.Plugin{"pii-redact": {Fail: pluginhost.FailClosed, Config: config}},
		}
	}
	h, err := pluginhost.NewHost(context.Background(), pluginhost.Config{
		Regions: map[string]pluginhost.Region{
			"all":        region(nil),
			"restricted": region(map[string]string{"types": "phone,address,id", "locales": "de,zh"}),
		},
		Defaults:   pluginhost.Limits{Timeout: pluginhost.Duration(10 * time.Second)},
		Builtin:    func(n string) ([]byte, bool) { return wasm, n == "pii-redact" },
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registerer: metric.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	n := 0
	for _, ex := range exs {
		for _, c := range []struct {
			region string
			o      pii.Options
		}{{"all", pii.Options{}}, {"restricted", restricted}} {
			env := envelope("c1", ex.Text, chat.Inbound, chat.RoleShopper, nil)
			out, err := h.Run(context.Background(), c.region, pluginhost.HookInbound, env)
			if err != nil {
				t.Fatalf("%s %q: %v", c.region, ex.Text, err)
			}
			want := pii.Redact(ex.Text, c.o)
			var types []string
			for _, s := range want.Spans {
				types = append(types, string(s.Type))
			}
			slices.Sort(types)
			wantLabel := strings.Join(slices.Compact(types), ",")
			if got := out.Envelope.Message.Text; got != want.Text || out.Envelope.Labels["pii"] != wantLabel {
				t.Fatalf("%s %q:\nplugin %q (pii=%q)\nnative %q (pii=%q)", c.region, ex.Text, got, out.Envelope.Labels["pii"], want.Text, wantLabel)
			}
			n++
		}
	}
	t.Logf("%d scans identical", n)
}
