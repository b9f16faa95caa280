package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/abadojack/whatlanggo"
	"github.com/pemistahl/lingua-go"

	"github.com/kefu-io/kefu/models/dataset"
)

// langResult is one detector's score on the langid rows.
type langResult struct {
	Detector     string             `json:"detector"`
	Accuracy     float64            `json:"accuracy"`
	ByKind       map[string]float64 `json:"by_kind"`
	MicrosPerMsg float64            `json:"us_per_call"`
	HeapBytes    uint64             `json:"heap_bytes"`
	ModelBytes   int                `json:"model_bytes,omitempty"`
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func scoreDetector(name string, exs []dataset.Example, detect func(string) string, heap uint64) langResult {
	r := langResult{Detector: name, ByKind: map[string]float64{}, HeapBytes: heap}
	n := map[string]int{}
	ok := map[string]int{}
	correct := 0
	start := time.Now()
	preds := make([]string, len(exs))
	for i, ex := range exs {
		preds[i] = detect(ex.Text)
	}
	r.MicrosPerMsg = float64(time.Since(start).Microseconds()) / float64(max(len(exs), 1))
	for i, ex := range exs {
		n[ex.Kind]++
		if preds[i] == ex.Label {
			ok[ex.Kind]++
			correct++
		}
	}
	for k, c := range n {
		r.ByKind[k] = float64(ok[k]) / float64(c)
	}
	r.Accuracy = float64(correct) / float64(max(len(exs), 1))
	return r
}

// cmdCompareLangID scores our langid model, lingua-go (high accuracy mode,
// restricted to the languages of the data) and whatlanggo (whitelisted the
// same way) on the same rows.
func cmdCompareLangID(args []string, stdout io.Writer) error {
	t := specs()["langid"]
	fs := newFlags("compare-langid")
	modelPath := fs.String("model", "", "langid model file (default: shipped artifact)")
	data := fs.String("data", "", "langid dataset folder")
	split := fs.String("split", "test", "split to evaluate")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("--data is required: %w", errUsage)
	}
	exs, err := t.load(parseSource(*data), *split)
	if err != nil {
		return err
	}
	langs := map[string]bool{}
	for _, ex := range exs {
		langs[ex.Label] = true
	}
	var results []langResult

	base := heapInUse()
	m, _, err := t.loadModel(*modelPath)
	if err != nil {
		return err
	}
	r := scoreDetector("kefu langid", exs, func(s string) string { return m.Predict(s).Label }, heapInUse()-min(base, heapInUse()))
	r.ModelBytes = m.Size()
	results = append(results, r)

	var linguaLangs []lingua.Language
	wl := whatlanggo.Options{Whitelist: map[whatlanggo.Lang]bool{}}
	whatCode := map[whatlanggo.Lang]string{}
	for _, l := range slices.Sorted(maps.Keys(langs)) {
		if ll := lingua.GetLanguageFromIsoCode639_1(lingua.GetIsoCode639_1FromValue(l)); ll != lingua.Unknown {
			linguaLangs = append(linguaLangs, ll)
		}
		for wlang := range whatlanggo.Langs {
			if wlang.Iso6391() == l || (l == "zh" && wlang == whatlanggo.Cmn) {
				wl.Whitelist[wlang] = true
				whatCode[wlang] = l
			}
		}
	}
	base = heapInUse()
	det := lingua.NewLanguageDetectorBuilder().FromLanguages(linguaLangs...).WithPreloadedLanguageModels().Build()
	linguaHeap := heapInUse() - min(base, heapInUse())
	results = append(results, scoreDetector("lingua-go (high accuracy)", exs, func(s string) string {
		l, ok := det.DetectLanguageOf(s)
		if !ok {
			return ""
		}
		return strings.ToLower(l.IsoCode639_1().String())
	}, linguaHeap))

	results = append(results, scoreDetector("whatlanggo (whitelist)", exs, func(s string) string {
		info := whatlanggo.DetectWithOptions(s, wl)
		if c, ok := whatCode[info.Lang]; ok {
			return c
		}
		return info.Lang.Iso6391()
	}, 0))

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	kinds := map[string]bool{}
	for _, ex := range exs {
		kinds[ex.Kind] = true
	}
	kindList := slices.Sorted(maps.Keys(kinds))
	var b strings.Builder
	fmt.Fprintf(&b, "%-26s %9s", "detector", "all")
	for _, k := range kindList {
		fmt.Fprintf(&b, " %12s", k)
	}
	fmt.Fprintf(&b, " %10s %12s %12s\n", "µs/call", "heap", "model")
	for _, r := range results {
		fmt.Fprintf(&b, "%-26s %8.2f%%", r.Detector, 100*r.Accuracy)
		for _, k := range kindList {
			fmt.Fprintf(&b, " %11.2f%%", 100*r.ByKind[k])
		}
		fmt.Fprintf(&b, " %10.1f %11.1fM %12d\n", r.MicrosPerMsg, float64(r.HeapBytes)/(1<<20), r.ModelBytes)
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}
