package pluginhost

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/vault"
	"github.com/kefu-io/kefu/internal/racebuild"
	"github.com/kefu-io/kefu/plugins/pii/piieval"
)

// TestStandingAnswerMatchesGuest runs the built gdpr-residency and
// pii-redact plugins in the host with several configs, each twice: as deployed, where the host
// answers for the guest by its standing answer (plugins/ABI.md section
// 2.2) when the text holds no erasure phrase and pii_checked covers the
// resident types (pii-redact: always, ABI 1.4 mask answer with spans —
// values sealed by the host, pii_tokens compared by shape and by what each
// token opens to in the vault, with and without the vault grant — but for
// the shopper_fields lists it leaves to the guest, which gets the host's scan),
// and with AlwaysCall, where every message enters the guest. On every text of the PII sets and of erasure cases, as sent and
// as pii-redact (also built) leaves it, under varied labels and regions,
// the two results must be equal field by field (the labels a result
// deletes included, not only the envelope they leave), and the host must
// have answered for the guest on most of them.
func TestStandingAnswerMatchesGuest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two plugins and runs every PII set")
	}
	configs := map[string]map[string]string{
		"default":  nil,
		"phone":    {"resident": "phone,phone"},
		"none":     {"resident": ""},
		"label":    {"erasure": "label", "strip_labels": "residency,ip,ip,geo,shopper_fields"},
		"badstrip": {"strip_labels": "IP,geo"}, // a key no result can carry: no standing answer
		// pii-redact: the host answers when its detector finds nothing
		"pii-all":        nil,
		"pii-restricted": {"types": "phone,address,id", "locales": "de,zh"},
		// with the vault grant (ABI 1.4: the host seals the values itself)
		"pii-vault":            nil,
		"pii-vault-restricted": {"types": "email,card,iban", "locales": "en"},
	}
	grants := func(config string) []string {
		if strings.HasPrefix(config, "pii-vault") {
			return []string{CapVault}
		}
		return nil
	}
	pluginOf := func(config string) string {
		if strings.HasPrefix(config, "pii-") {
			return "pii-redact"
		}
		return "gdpr-residency"
	}
	cfg := Config{Regions: map[string]Region{"pii": {
		Pipelines: map[Hook][]string{HookInbound: {"pii-redact"}},
		Plugins:   map[string]Plugin{"pii-redact": {AlwaysCall: true}},
	}}}
	for name, c := range configs {
		for _, always := range []bool{false, true} {
			cfg.Regions[answerRegion(name, always)] = Region{
				Pipelines: map[Hook][]string{HookInbound: {pluginOf(name)}},
				Plugins:   map[string]Plugin{pluginOf(name): {Config: c, AlwaysCall: always, Grants: grants(name)}},
			}
		}
	}
	h, _ := testHost(t, cfg, map[string][]byte{
		"pii-redact":     wasmOf(t, filepath.Join("..", "..", "plugins", "pii-redact")),
		"gdpr-residency": wasmOf(t, filepath.Join("..", "..", "plugins", "gdpr-residency")),
	})
	h.log = slog.New(slog.NewTextHandler(io.Discard, nil)) // not 100,000 debug lines in memory

	files, err := filepath.Glob("../../plugins/pii/testdata/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no PII sets: %v", err)
	}
	exs, err := piieval.ReadFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"Please DELETE my   data now", "delete\u00a0my\tdata", "请删除我的数据，手机13812345678", "Bitte meine Daten LÖSCHEN!",
		"DROIT À L’OUBLI", "delete my dat a", "where is my order 12345", "\xffdelete my data\xfe", "forget\n\nme please",
		"my data plan is slow", "删除购物车里的商品", "",
		strings.Repeat("write to a.b@example.com or ", 60), // pii_tokens stops before 1 KiB
	}
	for i, ex := range exs {
		// Under the race detector every 32nd text of the sets (185 s for
		// all on this machine; every eighth still took 402 s of a CI-size
		// run at load average 13); `make test` runs all of them once more
		// without it (EXHAUSTIVE).
		if !racebuild.Enabled || i%32 == 0 {
			texts = append(texts, ex.Text)
		}
	}
	all := "ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT,PHONE"
	labelSets := []map[string]string{
		nil,
		{"ip": "1.2.3.4", "geo": "DE", "sku": "A1"},
		{"pii_checked": all, "ip": "1.2.3.4", "residency": "us"},
		{"pii_checked": "PHONE", "email": "a@b.de"},
		{"pii_checked": "ADDRESS,CARD,EMAIL,IBAN,ID,PASSPORT", "pii": "EMAIL"},
		{"pii_checked": all + ",\xff", "shopper_fields": "page", "page": "call 13812345678"},
		// labels pii-redact masks (shopper_fields), some the host leaves to the guest
		{"shopper_fields": "page, name\nnote,missing", "page": "https://shop.example/p?mail=a.b@example.com", "name": "Li Lei 13812345678", "note": "nothing here", "pii": "EMAIL, X"},
		{"shopper_fields": "page,page", "page": "IBAN DE89370400440532013000 bitte", "pii": "\xffZ"},
		{"shopper_fields": "pii", "pii": "call 13812345678"},          // a listed label the answer sets itself
		{"shopper_fields": "Page,x", "Page": "a@b.de", "x": "a@b.de"}, // a listed key no result may carry
		{"shopper_fields": "pii_checked", "pii_checked": "mail me: a@b.de"},
		{"shopper_fields": "", "pii": "PHONE"},
		{"shopper_fields": "p", "p": strings.Repeat("a@b.de ", 140)}, // masked over 1 KiB: the guest fails
	}
	envRegions := []string{"eu", "", "e\xffu", "eu-central"}
	ctx := context.Background()
	slot := func(region string) *slot { return h.pipelines[region][HookInbound][0] }
	call := func(region string, env chat.Envelope) (Result, error) {
		res, _, err := h.call(&runCtx{parent: ctx}, slot(region), HookInbound, &env, &encodings{})
		return res, err
	}
	answered := func(name string, always bool) float64 {
		return metricValue(h.metrics.skipped.WithLabelValues(pluginOf(name), answerRegion(name, always)))
	}
	masked := map[string]int{} // modify answers the host made (ABI 1.4)
	n := 0
	for i, text := range texts {
		env := envelope(text)
		env.Labels, env.Region = labelSets[i%len(labelSets)], envRegions[i%len(envRegions)]
		redacted, err := h.Run(ctx, "pii", HookInbound, env)
		if err != nil && env.Labels["Page"] == "" && env.Labels["p"] == "" { // a listed key no result may carry, a label masked over 1 KiB: pii-redact fails
			t.Fatalf("pii-redact %q: %v", text, err)
		}
		if err != nil {
			redacted.Envelope = env
		}
		for _, in := range []chat.Envelope{env, redacted.Envelope} {
			for name := range configs {
				before := answered(name, false)
				got, gerr := call(answerRegion(name, false), in)
				if answered(name, false) > before && got.Verdict == Modify {
					masked[name]++
				}
				want, werr := call(answerRegion(name, true), in)
				if (gerr == nil) != (werr == nil) || !sameResult(t, h, answerRegion(name, false), answerRegion(name, true), in.Tenant, got, want) {
					t.Fatalf("%s %q labels %q region %q:\nanswered %+v (%v)\nguest    %+v (%v)", name, in.Message.Text, in.Labels, in.Region, got, gerr, want, werr)
				}
				n++
			}
		}
	}
	t.Logf("%d results equal both ways; modify answered by the host: %v", n, masked)
	for _, name := range []string{"pii-all", "pii-vault", "pii-vault-restricted"} {
		if masked[name] < len(texts)/4 {
			t.Errorf("%s: the host answered modify %d times of %d", name, masked[name], 2*len(texts))
		}
	}
	for name := range configs {
		if s := answered(name, true); s != 0 {
			t.Errorf("%s: always_call skipped %v calls", name, s)
		}
		t.Logf("%s: the host answered %v of %d", name, answered(name, false), 2*len(texts))
	}
	// pii-redact leaves every text checked: only erasure phrases reach the guest.
	if s := answered("default", false); s < float64(len(texts)-20) {
		t.Errorf("default: the host answered %v of %d texts", s, 2*len(texts))
	}
	// pii-redact: the sets' texts mostly hold personal data, the redacted
	// ones none the detector finds again (placeholders).
	if s := answered("pii-all", false); s < float64(len(texts))/2 {
		t.Errorf("pii-all: the host answered %v of %d texts", s, 2*len(texts))
	}
	// ABI 1.4: texts with personal data too, but for the label sets whose
	// listed labels the host leaves to the guest.
	for _, name := range []string{"pii-all", "pii-vault"} {
		if s := answered(name, false); s < float64(2*len(texts))*0.6 {
			t.Errorf("%s: the host answered %v of %d texts", name, s, 2*len(texts))
		}
	}
	if s := metricValue(h.metrics.skipped.WithLabelValues("gdpr-residency", answerRegion("badstrip", false))); s != 0 {
		t.Errorf("badstrip: the host answered %v texts without a standing answer", s)
	}
}

// sameResult compares got (the host's answer) and want (the guest's) field
// by field; their pii_tokens have the same types in order, "-" in the same
// places, and each pair of tokens opens in its region's vault to the same
// value (tokens are random).
func sameResult(t *testing.T, h *Host, gotRegion, wantRegion, tenant string, got, want Result) bool {
	t.Helper()
	gt, wt := got.Labels["pii_tokens"], want.Labels["pii_tokens"]
	if gt == "" && wt == "" {
		return reflect.DeepEqual(got, want)
	}
	if gt == "" || wt == "" {
		return false
	}
	g, w := strings.Split(gt, ","), strings.Split(wt, ",")
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		gtyp, gtok, _ := strings.Cut(g[i], ":")
		wtyp, wtok, _ := strings.Cut(w[i], ":")
		if gtyp != wtyp || (gtok == chat.NotKept) != (wtok == chat.NotKept) {
			return false
		}
		if gtok == chat.NotKept {
			continue
		}
		reveal := func(region, token string) string {
			v, err := h.Reveal(context.Background(), region, vault.RevealRequest{Tenant: tenant, Token: token, Agent: "test", AgentRegion: region, Reason: "equivalence test"})
			if err != nil {
				t.Fatalf("reveal %s in %s: %v", token, region, err)
			}
			return v
		}
		if gtok == wtok || reveal(gotRegion, gtok) != reveal(wantRegion, wtok) {
			return false
		}
	}
	got.Labels = maps.Clone(got.Labels)
	want.Labels = maps.Clone(want.Labels)
	delete(got.Labels, "pii_tokens")
	delete(want.Labels, "pii_tokens")
	return reflect.DeepEqual(got, want)
}

func answerRegion(config string, always bool) string {
	if always {
		return config + "-called"
	}
	return config + "-answered"
}
