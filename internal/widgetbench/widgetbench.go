// Package widgetbench measures the shopper widget the way a shopper's
// browser sees it (`kefu bench widget`, `make size`): it starts the
// all-in-one stack (internal/stack) on a loopback port, opens the
// storefront demo in Debian's headless chromium and counts, from the
// DevTools network events, the bytes the page receives on the wire
// (encodedDataLength: compressed body plus headers) for the widget's files
//
//   - before the launcher is visible (the bootstrap, loader and style sheet),
//   - after the shopper opened the chat and asked three questions (core,
//     models, FAQ pack, config: everything),
//
// then asks N local questions (default 300) in the page and reports the
// distribution of send → message-callback times of those answered in the
// browser, and how many were.
package widgetbench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/internal/quantile"
	"github.com/kefu-io/kefu/internal/stack"
)

// Request is one widget file or route the page fetched.
type Request struct {
	URL      string `json:"url"`
	Encoding string `json:"encoding"` // Content-Encoding: br, gzip or ""
	Wire     int64  `json:"wire"`     // bytes received: headers plus the (compressed) body
	Phase    string `json:"phase"`    // when it finished: "launcher" (before the launcher showed), "chat-ready", "after"
	Cached   bool   `json:"cached,omitempty"`
	full     string
}

// Latency is the local-answer time distribution in milliseconds.
type Latency struct {
	Questions  int     `json:"questions"`
	Local      int     `json:"local"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	Max        float64 `json:"max_ms"`
	Mean       float64 `json:"mean_ms"`
	Pace       string  `json:"pace,omitempty"` // how the questions were asked (Options.Pace)
	ThinkMS    int     `json:"think_ms,omitempty"`
	Seconds    float64 `json:"seconds,omitempty"`    // the run's wall time
	Unanswered int     `json:"unanswered,omitempty"` // paced: remote questions without a reply within 1 s
}

// Result is what one run measured.
type Result struct {
	FirstPaint  int64     `json:"first_paint_bytes"` // widget bytes before the launcher was visible
	ChatReady   int64     `json:"chat_ready_bytes"`  // widget bytes until the loader and its style sheet had arrived (the chat works)
	ReadyMS     float64   `json:"chat_ready_ms"`     // navigation start → chat ready
	AfterThree  int64     `json:"after_three_bytes"` // every widget byte after opening and three questions
	Asked       []string  `json:"asked,omitempty"`   // the three questions (Options.Ask)
	WSBytes     int64     `json:"websocket_bytes"`   // WebSocket payload bytes both ways in that time
	LauncherMS  float64   `json:"launcher_ms"`       // navigation start → launcher visible
	Requests    []Request `json:"requests"`          // widget requests, in order
	Latency     Latency   `json:"latency"`
	CoreLatency Latency   `json:"core_latency"`    // kefuCore.answer alone, same questions           // local answers in the page
	RemoteFirst bool      `json:"remote_first"`    // the first question went over the WebSocket before the core was ready
	Split       []Part    `json:"split,omitempty"` // --split: each local answer's parts
}

// Part is the distribution of one part of the local answers' time
// (--split), in milliseconds.
type Part struct {
	Name string  `json:"name"`
	What string  `json:"what"`
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Over float64 `json:"sum_over_1ms"` // ms of this part in answers where it took over 1 ms
}

// splitParts are the parts benchJS times with --split, in the order of an
// answer; the core's stages (js_go … go_js) only with a core built -tags
// kefutrace, and then they add up to "core".
func splitParts(rows []map[string]float64) []Part {
	if len(rows) == 0 {
		return nil
	}
	var out []Part
	for _, p := range [][2]string{
		{"before", "send → the core called (length and script checks, ids)"},
		{"core", "kefuCore.answer, from outside"},
		{"js_go", "  JS → Go: the question written into the core's memory, the export entered"},
		{"copy", "  the question taken as a Go string"},
		{"classify", "  language, anger, intent, order cues"},
		{"lookup", "  FAQ match and choice"},
		{"build", "  the result written into the core's memory"},
		{"go_js", "  Go returns → JS has the result object (decoded)"},
		{"after", "the core returned → the answer's callback"},
		{"rows", "the callback → send resolved (rows, history, storage; outside the measure)"},
	} {
		var v []float64
		over := 0.0
		for _, r := range rows {
			if x, ok := r[p[0]]; ok {
				v = append(v, x)
				if x > 1 {
					over += x
				}
			}
		}
		if len(v) == 0 {
			continue
		}
		sort.Float64s(v)
		out = append(out, Part{Name: p[0], What: p[1], P50: quantile.Sorted(v, 0.5), P99: quantile.Sorted(v, 0.99), Max: v[len(v)-1], Over: over})
	}
	return out
}

// Main runs `kefu bench widget`.
func Main(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu bench widget", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("questions", 300, "local answers timed for the latency distribution: questions are asked until that many were answered in the browser, at most three times as many (0: only bytes)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	chromium := fs.String("chromium", "", "chromium binary (default: $CHROME_PATH, chromium, chromium-browser)")
	fast := fs.Bool("loopback", false, "no network throttling (by default the page loads over an emulated 1.6 Mbit/s, 150 ms link)")
	trace := fs.String("trace", "", "write a chromium trace of the latency run (DevTools timeline, V8 and Blink GC, user timing: every answer over 4 ms is a \"kefu-slow N\" measure) to this JSON file, for chrome://tracing or Perfetto")
	jsFlags := fs.String("js-flags", "", "V8 flags for chromium, e.g. --trace-gc: chromium's log (with every latency-run answer over 4 ms as \"kefu-slow\" lines) then goes to stderr")
	pace := fs.String("pace", PacePaint, "how the latency run asks: \"paint\" (the next question once the previous answer was painted and, for one that went over the WebSocket, its reply came; then --think ms) or \"none\" (back to back: the next the instant the previous send resolved, the bench's only pace before 4 December 2026)")
	split := fs.Bool("split", false, "time the parts of each local answer (the page before the core, the core's call, after it until the callback, the rows after the callback; with a core built -tags kefutrace the core's own stages too)")
	think := fs.Int("think", 0, "with --pace paint, ms more to wait before each question (a shopper's reading and typing)")
	ask := fs.String("ask", AskPage, "language of the three questions: \"page\" (the page's UI language: a Spanish page's shopper asks in Spanish) or a language (en, zh, zh-TW, de, fr, es, ja, ko, ar, ru, pt, it): on another language's page, a shopper who switches language, whose language's FAQ pack, strings and model the widget fetches too (before 5 December 2026 the bench always asked in English)")
	lang := fs.String("lang", "", "UI language of the widget (the tag's data-lang: en, zh-CN, zh-TW, de, fr, es, ja, ko, ar, ru, pt, it; default: the demo page's, en); several (comma-separated) or \"all\": only the bytes before the launcher shows, one fresh page per language")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kefu bench widget [--questions N] [--pace paint|none] [--think MS] [--lang L] [--loopback] [--json]")
		fmt.Fprintln(stderr, "Bytes on the wire (before the launcher shows; after three questions) and local-answer latency, in headless chromium.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *pace != PacePaint && *pace != PaceNone {
		fmt.Fprintf(stderr, "kefu bench widget: --pace %q: want %q or %q\n", *pace, PacePaint, PaceNone)
		return 2
	}
	if _, ok := threeQuestions[*ask]; !ok && *ask != AskPage {
		fmt.Fprintf(stderr, "kefu bench widget: --ask %q: want %q or one of the FAQ pack's languages\n", *ask, AskPage)
		return 2
	}
	o := Options{Ask: *ask, Questions: *n, Pace: *pace, ThinkMS: *think, Chromium: *chromium, Throttle: !*fast, Lang: *lang, JSFlags: *jsFlags, Log: stderr, Trace: *trace, Split: *split}
	if *lang == "all" || strings.Contains(*lang, ",") {
		langs := UILangs
		if *lang != "all" {
			langs = strings.Split(*lang, ",")
		}
		list, err := RunLangs(ctx, o, langs)
		if err != nil {
			fmt.Fprintln(stderr, "kefu bench widget:", err)
			return 1
		}
		if *asJSON {
			b, _ := json.MarshalIndent(list, "", "  ")
			fmt.Fprintln(stdout, string(b))
			return 0
		}
		PrintLangs(stdout, list)
		return 0
	}
	r, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "kefu bench widget:", err)
		return 1
	}
	if *asJSON {
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	Print(stdout, r)
	return 0
}

// AskPage asks the three questions in the page's UI language (Options.Ask).
const AskPage = "page"

// threeQuestions are the three questions of the bytes run by FAQ pack
// language: the first paraphrase of the entries return_policy,
// shipping_time and payment_methods in assets/faq/default.json (English
// keeps the bench's wording since 3 December, "Which payment methods…").
var threeQuestions = map[string][3]string{
	"en":    {"What is your return policy?", "How long does shipping take?", "Which payment methods do you accept?"},
	"zh":    {"退货政策是什么?", "多久能发货?", "支持哪些付款方式?"},
	"zh-TW": {"退貨政策是什麼?", "多久會出貨?", "有哪些付款方式?"},
	"de":    {"Wie sind Ihre Rückgabebedingungen?", "Wie lange dauert der Versand?", "Welche Zahlungsarten akzeptieren Sie?"},
	"fr":    {"Quelle est votre politique de retour ?", "Quels sont les délais de livraison ?", "Quels moyens de paiement acceptez-vous ?"},
	"es":    {"¿Cuál es su política de devoluciones?", "¿Cuánto tarda el envío?", "¿Qué métodos de pago aceptan?"},
	"ja":    {"返品ポリシーを教えてください", "配送にはどのくらいかかりますか?", "支払い方法は何がありますか?"},
	"ko":    {"반품 정책이 어떻게 되나요?", "배송은 얼마나 걸리나요?", "어떤 결제 수단을 사용할 수 있나요?"},
	"ar":    {"ما هي سياسة الإرجاع لديكم؟", "كم تستغرق مدة الشحن؟", "ما هي طرق الدفع المتاحة؟"},
	"ru":    {"Какие у вас условия возврата?", "Сколько идёт доставка?", "Какие способы оплаты вы принимаете?"},
	"pt":    {"Qual é a política de devolução?", "Quanto tempo demora a entrega?", "Quais formas de pagamento vocês aceitam?"},
	"it":    {"Qual è la vostra politica di reso?", "Quanto tempo ci vuole per la spedizione?", "Quali metodi di pagamento accettate?"},
}

// questionsFor returns the three questions asked on a page of UI language
// lang ("" the demo page's, English) for Options.Ask.
func questionsFor(ask, lang string) [3]string {
	if ask != "" && ask != AskPage {
		return threeQuestions[ask]
	}
	switch lang {
	case "", "en":
		return threeQuestions["en"]
	case "zh-CN":
		return threeQuestions["zh"]
	}
	if q, ok := threeQuestions[lang]; ok {
		return q
	}
	return threeQuestions["en"]
}

// UILangs are the widget's UI languages (assets/widget/i18n).
var UILangs = []string{"en", "zh-CN", "zh-TW", "de", "fr", "es", "ja", "ko", "ar", "ru", "pt", "it"}

// PrintLangs writes the per-language bytes before the launcher as a table.
func PrintLangs(w io.Writer, list []LangBytes) {
	fmt.Fprintf(w, "| language | /kefu.js | loader | before the launcher is visible | launcher at |\n| --- | --- | --- | --- | --- |\n")
	for _, b := range list {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f ms |\n", b.Lang, b.Bootstrap, b.Loader, b.FirstPaint, b.LauncherMS)
	}
}

// The latency run's paces (Options.Pace).
const (
	PacePaint = "paint" // the next question once the previous answer was painted (and a remote one's reply came)
	PaceNone  = "none"  // back to back: the next question the instant the previous send resolved
)

// Options configures Run.
type Options struct {
	Questions int    // local answers to time (questions asked until that many were answered in the browser); 0: bytes only
	Pace      string // PacePaint ("" too) or PaceNone
	ThinkMS   int    // with PacePaint, ms more before each question
	Chromium  string
	Throttle  bool      // 1.6 Mbit/s, 150 ms until the latency run
	Lang      string    // the tag's data-lang (the loader's UI language); "" keeps the demo page's
	Ask       string    // language of the three questions: AskPage ("" too) or a key of threeQuestions
	JSFlags   string    // V8 flags (chromium --js-flags); its log then goes to Log
	Log       io.Writer // chromium's log when JSFlags is set
	Trace     string    // file for a chromium trace of the latency run ("" none)
	Split     bool      // time the parts of each local answer (Result.Split)

	launcherOnly bool // stop once the chat is ready (RunLangs)
}

// Print writes r as the README's tables.
func Print(w io.Writer, r Result) {
	fmt.Fprintf(w, "| widget request | encoding | bytes on the wire | when |\n| --- | --- | --- | --- |\n")
	for _, q := range r.Requests {
		fmt.Fprintf(w, "| %s | %s | %d | %s |\n", q.URL, or(q.Encoding, "none"), q.Wire, q.Phase)
	}
	fmt.Fprintf(w, "\n| measure | bytes on the wire |\n| --- | --- |\n")
	fmt.Fprintf(w, "| before the launcher is visible (%.0f ms after navigation) | %d |\n", r.LauncherMS, r.FirstPaint)
	fmt.Fprintf(w, "| until the chat works: loader and style sheet in (%.0f ms) | %d |\n", r.ReadyMS, r.ChatReady)
	fmt.Fprintf(w, "| after opening and three questions | %d |\n", r.AfterThree)
	if len(r.Asked) > 0 {
		fmt.Fprintf(w, "\nthe three questions: %q\n", r.Asked)
	}
	fmt.Fprintf(w, "| WebSocket payloads in that time | %d |\n", r.WSBytes)
	fmt.Fprintf(w, "\nfirst question sent over the WebSocket before the core was ready: %v\n", r.RemoteFirst)
	if l := r.Latency; l.Questions > 0 {
		fmt.Fprintf(w, "\n| local answers (send → message callback) | value |\n| --- | --- |\n")
		pace := "back to back (--pace none)"
		if l.Pace != PaceNone {
			pace = fmt.Sprintf("after the previous answer was painted (--pace paint --think %d)", l.ThinkMS)
		}
		fmt.Fprintf(w, "| asked | %s |\n", pace)
		fmt.Fprintf(w, "| questions asked | %d |\n| answered in the browser | %d (%.1f%%) |\n", l.Questions, l.Local, 100*float64(l.Local)/float64(l.Questions))
		fmt.Fprintf(w, "| p50 / p90 / p99 / max | %.2f / %.2f / %.2f / %.2f ms |\n| mean | %.2f ms |\n", l.P50, l.P90, l.P99, l.Max, l.Mean)
		c := r.CoreLatency
		fmt.Fprintf(w, "| the core alone (kefuCore.answer): p50 / p90 / p99 / max | %.2f / %.2f / %.2f / %.2f ms |\n", c.P50, c.P90, c.P99, c.Max)
	}
	if len(r.Split) > 0 {
		fmt.Fprintf(w, "\n| part of a local answer (--split) | p50 / p99 / max (ms) | ms in answers where it took > 1 ms |\n| --- | --- | --- |\n")
		for _, p := range r.Split {
			fmt.Fprintf(w, "| %s: %s | %.3f / %.3f / %.3f | %.1f |\n", p.Name, p.What, p.P50, p.P99, p.Max, p.Over)
		}
	}
}

func or(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Run starts a stack and a browser, measures, and stops both.
func Run(ctx context.Context, o Options) (Result, error) {
	var res Result
	err := withBrowser(ctx, o, func(actx context.Context, base string) error {
		var err error
		res, err = measure(actx, base, o)
		return err
	})
	return res, err
}

// LangBytes is what the page received for one UI language before its
// launcher showed.
type LangBytes struct {
	Lang       string  `json:"lang"`
	Bootstrap  int64   `json:"bootstrap_bytes"` // /kefu.js
	Loader     int64   `json:"loader_bytes"`    // /kefu.<hash>.<lang>.js
	FirstPaint int64   `json:"first_paint_bytes"`
	LauncherMS float64 `json:"launcher_ms"`
}

// RunLangs opens the demo page once per language (a fresh tab each, the
// same stack and browser) and counts the widget's bytes on the wire before
// the launcher showed; no questions are asked.
func RunLangs(ctx context.Context, o Options, langs []string) ([]LangBytes, error) {
	var out []LangBytes
	err := withBrowser(ctx, o, func(actx context.Context, base string) error {
		for _, l := range langs {
			lo := o
			lo.Lang, lo.Questions, lo.launcherOnly = l, 0, true
			r, err := measure(actx, base, lo)
			if err != nil {
				return fmt.Errorf("%s: %w", l, err)
			}
			b := LangBytes{Lang: l, FirstPaint: r.FirstPaint, LauncherMS: r.LauncherMS}
			for _, q := range r.Requests {
				switch {
				case q.URL == "/kefu.js":
					b.Bootstrap = q.Wire
				case strings.HasSuffix(q.URL, "."+l+".js"):
					b.Loader = q.Wire
				}
			}
			out = append(out, b)
		}
		return nil
	})
	return out, err
}

// withBrowser starts the stack and a headless chromium and calls f with
// the browser's allocator context and the stack's URL.
func withBrowser(ctx context.Context, o Options, f func(actx context.Context, base string) error) error {
	data, err := os.MkdirTemp("", "kefu-bench-widget-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	s, err := stack.Start(ctx, stack.Options{Addr: "127.0.0.1:0", DataDir: data,
		PluginCache: os.TempDir() + "/kefu-test-plugin-cache", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer s.Close()
	exe, err := chromiumPath(o.Chromium)
	if err != nil {
		return err
	}
	prof, err := os.MkdirTemp("", "kefu-bench-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(prof)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(prof),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 860))
	if o.JSFlags != "" && o.Log != nil {
		opts = append(opts, chromedp.Flag("js-flags", o.JSFlags), chromedp.Flag("enable-logging", "stderr"), chromedp.Flag("v", "0"),
			chromedp.CombinedOutput(o.Log))
	}
	actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	return f(actx, s.URL)
}

// measure opens the demo page in a new tab of the browser and measures.
func measure(actx context.Context, base string, o Options) (Result, error) {
	var res Result
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		return res, fmt.Errorf("start chromium: %w", err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		return res, fmt.Errorf("network events: %w", err)
	}
	if _, err := chromedp.Call(bctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		return res, fmt.Errorf("disable cache: %w", err)
	}
	// A phone on a fair mobile link (1.6 Mbit/s down, 150 ms): bytes are the
	// same at any speed, but only a real link shows what arrives before what.
	if o.Throttle {
		if _, err := chromedp.Call(bctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Latency: 150, DownloadThroughput: 200_000, UploadThroughput: 90_000}}}); err != nil {
			return res, fmt.Errorf("throttle: %w", err)
		}
	}
	// The page notes when a launcher first shows and when the chat is ready
	// (performance.now(), navigation start = 0), at every frame.
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchJS}); err != nil {
		return res, fmt.Errorf("watch script: %w", err)
	}
	if o.Lang != "" {
		b, _ := json.Marshal(o.Lang)
		if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(langJS, b)}); err != nil {
			return res, fmt.Errorf("language script: %w", err)
		}
	}
	rec := newRecorder(base)
	if err := chromedp.Listen(bctx, rec.on); err != nil {
		return res, err
	}
	pctx, cancel := context.WithTimeout(bctx, 3*time.Minute+time.Duration(o.Questions)*time.Second)
	defer cancel()

	if err := chromedp.Do(pctx, chromedp.Navigate(base+"/demo/"),
		chromedp.Poll[chromedp.Void](`!!(window.__kefuT && __kefuT.ready)`, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		return res, fmt.Errorf("chat ready: %w", err)
	}
	if o.launcherOnly {
		time.Sleep(300 * time.Millisecond) // the last loadingFinished events
		timing, err := chromedp.Run(pctx, chromedp.Evaluate[pageTiming](pageTimingJS))
		if err != nil {
			return res, fmt.Errorf("page timing: %w", err)
		}
		res.phases(timing, rec)
		return res, nil
	}
	// Open and ask at once: the core is not there yet, so the first question goes over the WebSocket.
	qs := questionsFor(o.Ask, o.Lang)
	res.Asked = qs[:]
	q0, _ := json.Marshal(qs[0])
	q12, _ := json.Marshal(qs[1:])
	first, err := chromedp.Run(pctx, chromedp.Evaluate[map[string]any](fmt.Sprintf(`(async () => {
		Kefu.open();
		const core = !!window.kefuCore;
		const m = await Kefu.send(%s);
		return {core, source: m.source, role: m.role};
	})()`, q0), chromedp.EvalAwaitPromise))
	if err != nil {
		return res, fmt.Errorf("first question: %w", err)
	}
	res.RemoteFirst = first["core"] == false && first["source"] == "edge"
	if _, err := chromedp.Run(pctx, chromedp.Evaluate[bool](fmt.Sprintf(`(async () => {
		const models = new Set();
		Kefu.on('model', e => models.add(e.name));
		for (let i = 0; i < 600 && !(window.kefuCore && kefuCore.ready); i++) await new Promise(r => setTimeout(r, 50));
		for (const q of %s) await Kefu.send(q);
		for (let i = 0; i < 600 && models.size < 2; i++) await new Promise(r => setTimeout(r, 50));
		return true;
	})()`, q12), chromedp.EvalAwaitPromise)); err != nil {
		return res, fmt.Errorf("three questions: %w", err)
	}
	time.Sleep(500 * time.Millisecond) // the last loadingFinished events
	timing, err := chromedp.Run(pctx, chromedp.Evaluate[pageTiming](pageTimingJS))
	if err != nil {
		return res, fmt.Errorf("page timing: %w", err)
	}
	res.phases(timing, rec)

	if o.Throttle {
		_, _ = chromedp.Call(bctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: -1}}})
	}
	if o.Questions > 0 {
		var stop func() error
		if o.Trace != "" {
			if stop, err = startTrace(pctx, o.Trace); err != nil {
				return res, err
			}
		}
		args, _ := json.Marshal(map[string]any{"n": o.Questions, "paced": o.Pace != PaceNone, "think": o.ThinkMS, "split": o.Split})
		lat, err := chromedp.Run(pctx, chromedp.Evaluate[latencyRun](fmt.Sprintf(benchJS, args), chromedp.EvalAwaitPromise))
		if err != nil {
			return res, fmt.Errorf("latency run: %w", err)
		}
		if stop != nil {
			if err := stop(); err != nil {
				return res, err
			}
		}
		if len(lat.Page) == 0 || len(lat.Core) != len(lat.Page) {
			return res, fmt.Errorf("latency run: %d page and %d core results", len(lat.Page), len(lat.Core))
		}
		res.Latency = summarize(lat.Page)
		res.Latency.Pace, res.Latency.ThinkMS = or(o.Pace, PacePaint), o.ThinkMS
		res.Latency.Seconds, res.Latency.Unanswered = lat.Seconds, lat.Unanswered
		if o.Log != nil {
			fmt.Fprintf(o.Log, "latency run: %.1f s, %.1f s waiting for remote replies, %d without a reply within 1 s; events %v\n", lat.Seconds, lat.WaitedS, lat.Unanswered, lat.Events)
		}
		res.CoreLatency = summarize(lat.Core)
		res.Split = splitParts(lat.Split)
	}
	return res, nil
}

// phases sorts the recorded requests into the phase in which each finished.
func (res *Result) phases(timing pageTiming, rec *recorder) {
	res.LauncherMS, res.ReadyMS = timing.Launcher, timing.Ready
	res.Requests, res.WSBytes = rec.totals()
	for i := range res.Requests {
		q := &res.Requests[i]
		end, ok := timing.Ends[q.full]
		switch {
		case ok && end <= timing.Launcher:
			q.Phase = "launcher"
		case ok && end <= timing.Ready:
			q.Phase = "chat-ready"
		default:
			q.Phase = "after"
		}
		res.AfterThree += q.Wire
		switch q.Phase {
		case "launcher":
			res.FirstPaint += q.Wire
			res.ChatReady += q.Wire
		case "chat-ready":
			res.ChatReady += q.Wire
		}
	}
}

const pageTimingJS = `({launcher: __kefuT.launcher, ready: __kefuT.ready,
	ends: Object.fromEntries(performance.getEntriesByType('resource').map(e => [e.name, e.responseEnd]))})`

// startTrace starts a chromium trace of the page; stop ends it and writes
// the events (a JSON array) to file.
func startTrace(ctx context.Context, file string) (stop func() error, err error) {
	var mu sync.Mutex
	var events []json.RawMessage
	done := make(chan struct{})
	var once sync.Once
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range e.Value {
				events = append(events, json.RawMessage(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			once.Do(func() { close(done) })
		}
	}); err != nil {
		return nil, err
	}
	if _, err := chromedp.Call(ctx, tracing.Start, tracing.StartParams{TransferMode: tracing.StartTransferModeReportEvents,
		TraceConfig: &tracing.TraceConfig{IncludedCategories: []string{"devtools.timeline", "v8", "v8.execute", "blink.user_timing",
			"disabled-by-default-v8.gc", "blink_gc", "disabled-by-default-devtools.timeline", "toplevel"}}}); err != nil {
		return nil, fmt.Errorf("start trace: %w", err)
	}
	return func() error {
		if _, err := chromedp.Call(ctx, tracing.End, cdp.Empty{}); err != nil {
			return fmt.Errorf("end trace: %w", err)
		}
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		defer mu.Unlock()
		b, err := json.Marshal(events)
		if err != nil {
			return err
		}
		return os.WriteFile(file, b, 0o644)
	}, nil
}

// pageTiming is what watchJS noted, with the resource timing of every file.
type pageTiming struct {
	Launcher float64            `json:"launcher"` // a launcher (the bootstrap's or the loader's) first on screen
	Ready    float64            `json:"ready"`    // the loader's launcher drawn with its style sheet: the chat works
	Ends     map[string]float64 `json:"ends"`     // URL → responseEnd
}

// watchJS runs in the page before anything else and notes, at every
// frame, when a launcher is first visible and when the chat is ready.
const watchJS = `window.__kefuT = {};
(function tick() {
  const h = document.getElementById('kefu-widget'), r = h && h.shadowRoot, T = window.__kefuT;
  if (r && getComputedStyle(h).visibility !== 'hidden') {
    if (!T.launcher && [...r.querySelectorAll('.stub, .launcher')].some(l => l.getBoundingClientRect().width > 0 && getComputedStyle(l).borderRadius !== '0px')) T.launcher = performance.now();
    const l = r.querySelector('.launcher');
    if (!T.ready && window.Kefu && Kefu.version && l && l.getBoundingClientRect().width > 0 && getComputedStyle(l).borderRadius !== '0px') T.ready = performance.now();
  }
  if (!T.ready) requestAnimationFrame(tick);
})();`

// langJS gives the widget's tag a data-lang (%s: a JSON string) as the
// parser inserts it, before the (async) bootstrap runs and reads it.
const langJS = `new MutationObserver((ms, o) => {
  for (const m of ms) for (const n of m.addedNodes)
    if (n.tagName === 'SCRIPT' && /\/kefu\.js(\?|$)/.test(n.src)) { n.setAttribute('data-lang', %s); o.disconnect(); }
}).observe(document, {childList: true, subtree: true});`

// latencyRun is what benchJS returns: per question asked, the page's
// time (send call → message callback of its local answer, -1 when it went
// to the edge) and the core's alone (-1 when it has no answer).
type latencyRun struct {
	Page       []float64            `json:"page"`
	Split      []map[string]float64 `json:"split"` // --split: the parts of each local answer
	Core       []float64            `json:"core"`
	Seconds    float64              `json:"seconds"`    // the questions' run, wall time
	Unanswered int                  `json:"unanswered"` // paced: remote questions whose reply did not come within 1 s
	WaitedS    float64              `json:"waited_s"`   // paced: time waiting for remote replies
	Events     map[string]int       `json:"events"`     // widget events (handoff, typing…) during the run
}

// benchJS asks questions drawn from the local entries' paraphrases in the
// packs the page holds (English and Chinese) until o.n were answered in
// the browser (at most three times as many asked), timing each from the
// send call to the message callback of its answer; then the core alone on
// the same questions (paced: one call per animation frame). Paced (o.paced, `--pace paint`), it asks the next
// question as a shopper at the fastest could: once the previous answer
// was painted (the next animation frame, then a task after its rendering)
// and, for a question that went over the WebSocket, once its reply came
// (at most 1 s; none is awaited after a handoff, when no bot replies);
// then o.think ms more. Back to back (`--pace none`, the bench's only pace
// before) it asks the instant the previous send resolved: the previous
// answer is not painted yet, and a remote question's send resolves when
// the edge accepted it, so its reply arrives during the next questions.
const benchJS = `(async (o) => {
  const n = o.n;
  // Fetches the Chinese pack too; the question does not wait for it (it
  // goes over the WebSocket), so wait here until the core answers from it.
  await Kefu.send("退货政策是什么?");
  for (let i = 0; i < 600 && !/[\u4e00-\u9fff]/.test((kefuCore.answer("退货政策是什么?") || {}).text); i++) await new Promise(r => setTimeout(r, 50));
  const cfg = await (await fetch('/w/config?site=demo')).json();
  const qs = [];
  for (const l of ['en', 'zh']) {
    const p = await (await fetch(cfg.faq_packs[l])).json();
    for (const e of p.entries) if (e.local) for (const q of (e.questions[l] || [])) qs.push(q);
  }
  let t0 = 0, got = -1, replies = 0;
  const events = {};
  Kefu.on('event', e => { events[e.event] = (events[e.event] || 0) + 1; });
  Kefu.on('message', m => {
    if (m.role === 'bot' && m.source === 'local' && got < 0) got = performance.now() - t0;
    if (m.role !== 'shopper' && m.source !== 'local') replies++;
  });
  // --split: the core's call timed from outside (and, in a core built
  // -tags kefutrace, its stages from kefuCore.marks()), and the time from
  // the callback until the send resolved (rows, history, storage).
  let w0 = 0, w1 = 0;
  const split = [];
  if (o.split) {
    const answer = kefuCore.answer;
    kefuCore.answer = function (q) { w0 = performance.now(); try { return answer.call(kefuCore, q); } finally { w1 = performance.now(); } };
  }
  const painted = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  if (o.paced) { await sleep(1000); await painted(); }
  const page = [], asked = [], start = performance.now();
  let unanswered = 0, waited = 0;
  for (let i = 0, local = 0; local < n && i < 3 * n; i++) {
    const q = qs[i %% qs.length];
    got = -1;
    const before = replies;
    t0 = performance.now();
    const m = await Kefu.send(q);
    const done = performance.now() - t0;
    const v = m.source === 'local' ? got : -1;
    if (o.split && v >= 0) {
      const k = kefuCore.marks ? kefuCore.marks() : null, c0 = w0 - t0, c1 = w1 - t0;
      const p = {before: c0, core: c1 - c0, after: got - c1, rows: done - got};
      if (k) Object.assign(p, {js_go: k[0] - w0, copy: k[1] - k[0], classify: k[2] - k[1], lookup: k[3] - k[2], build: k[4] - k[3], go_js: w1 - k[4]});
      split.push(p);
    }
    if (v >= 0) local++;
    page.push(v); asked.push(q);
    if (got > 4) { console.info('kefu-slow', i, got.toFixed(2)); performance.measure('kefu-slow ' + i, {start: t0, duration: got}); }
    if (o.paced) {
      if (v < 0 && !events['conversation.handoff']) {
        const w0 = performance.now();
        for (let w = 0; w < 100 && replies === before; w++) await sleep(10);
        if (replies === before) unanswered++;
        waited += performance.now() - w0;
      }
      await painted();
      if (o.think > 0) await sleep(o.think);
    }
  }
  // The core alone (kefuCore.answer, no page work), on the same questions,
  // at the same pace (paced: one call per frame, no think time).
  const core = [];
  for (const q of asked) {
    if (o.paced) await painted();
    const t = performance.now();
    const r = kefuCore.answer(q);
    core.push(r && r.text ? performance.now() - t : -1);
  }
  return {page, core, split, seconds: (performance.now() - start) / 1000, unanswered, waited_s: waited / 1000, events};
})(%s)`

func summarize(ms []float64) Latency {
	l := Latency{Questions: len(ms)}
	var local []float64
	for _, v := range ms {
		if v >= 0 {
			local = append(local, v)
		}
	}
	l.Local = len(local)
	if len(local) == 0 {
		return l
	}
	sort.Float64s(local)
	q := func(p float64) float64 { return quantile.Sorted(local, p) }
	sum := 0.0
	for _, v := range local {
		sum += v
	}
	l.P50, l.P90, l.P99, l.Max, l.Mean = q(0.5), q(0.9), q(0.99), local[len(local)-1], sum/float64(len(local))
	return l
}

// recorder keeps the network events of widget requests.
type recorder struct {
	base  string
	mu    sync.Mutex
	order []network.RequestID
	reqs  map[network.RequestID]*Request
	ws    int64
}

func newRecorder(base string) *recorder {
	return &recorder{base: base, reqs: map[network.RequestID]*Request{}}
}

func (r *recorder) on(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		u, err := url.Parse(e.Request.URL)
		if err != nil || !strings.HasPrefix(e.Request.URL, r.base) || strings.HasPrefix(u.Path, "/demo") {
			return // the storefront's own files are not the widget's
		}
		if _, ok := r.reqs[e.RequestID]; ok {
			return
		}
		name := u.Path
		if u.RawQuery != "" {
			name += "?" + strings.SplitN(u.RawQuery, "&v=", 2)[0]
		}
		r.reqs[e.RequestID] = &Request{URL: name, full: e.Request.URL}
		r.order = append(r.order, e.RequestID)
	case *network.EventResponseReceived:
		if q := r.reqs[e.RequestID]; q != nil && e.Response != nil {
			for k, v := range e.Response.Headers {
				if strings.EqualFold(k, "content-encoding") {
					q.Encoding = fmt.Sprint(v)
				}
			}
			q.Cached = e.Response.FromDiskCache
		}
	case *network.EventLoadingFinished:
		if q := r.reqs[e.RequestID]; q != nil {
			q.Wire = int64(e.EncodedDataLength)
		}
	case *network.EventWebSocketFrameSent:
		r.ws += int64(len(e.Response.PayloadData))
	case *network.EventWebSocketFrameReceived:
		r.ws += int64(len(e.Response.PayloadData))
	}
}

func (r *recorder) totals() (list []Request, ws int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range r.order {
		list = append(list, *r.reqs[id])
	}
	return list, r.ws
}

func chromiumPath(p string) (string, error) {
	if p != "" {
		return p, nil
	}
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", errors.New("chromium is not installed (make chromium)")
}
