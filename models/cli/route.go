package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/eval"
	"github.com/kefu-io/kefu/models/textmodel"
)

// Routes of --route: the language that chooses a row's per-language model.
const (
	routeLangID = "langid" // what a language-id model predicts (the browser's)
	routeGold   = "gold"   // the row's own locale (an upper bound)
)

// errNoModels reports a --model-dir without any *.kmod file.
var errNoModels = errors.New("no per-language models")

// router scores each text with the model of its language: DIR/<lang>.kmod,
// as the widget fetches the intent model of the shopper's language only.
// DIR/<lang>.<n>.kmod files (ar.2.kmod…) join <lang>.kmod in an ensemble
// for that language: the mean of their probabilities (ensemble).
type router struct {
	models   map[string]func(string) textmodel.Prediction // by language stem: ar, de, zh, zh-TW…
	names    []string                                     // the stems, sorted
	langid   *textmodel.Model                             // routeLangID: the language model
	by       string                                       // routeLangID or routeGold
	fallback func(string) textmodel.Prediction
	oos      string
	routing  eval.Routing
	bytes    int // the most bytes of one language's model files
}

// newRouter loads every *.kmod of dir for task t. threshold ≥ 0 overrides
// each model's out-of-scope threshold; fallback (may be nil) scores rows
// whose language has no model, else they get the task's oos label.
func newRouter(t *taskSpec, dir, by, langidPath string, threshold float64, fallback func(string) textmodel.Prediction) (*router, error) {
	if by != routeLangID && by != routeGold {
		return nil, fmt.Errorf("--route %q: want %s or %s: %w", by, routeLangID, routeGold, errUsage)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.kmod"))
	if err != nil {
		return nil, fmt.Errorf("--model-dir %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--model-dir %s: %w", dir, errNoModels)
	}
	r := &router{models: map[string]func(string) textmodel.Prediction{}, by: by, fallback: fallback, oos: t.oos}
	// <lang>.kmod sorts before <lang>.<n>.kmod: the ensemble's first model
	// is the language's own file.
	slices.SortFunc(files, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, ".kmod"), strings.TrimSuffix(b, ".kmod"))
	})
	byLang := map[string][]*textmodel.Model{}
	for _, f := range files {
		m, _, err := t.loadWithThreshold(f, threshold)
		if err != nil {
			return nil, err
		}
		stem := strings.TrimSuffix(filepath.Base(f), ".kmod")
		if i := strings.IndexByte(stem, '.'); i >= 0 {
			stem = stem[:i]
		}
		if _, ok := byLang[stem]; !ok {
			r.names = append(r.names, stem)
		}
		byLang[stem] = append(byLang[stem], m)
	}
	for stem, ms := range byLang {
		size := 0
		for _, m := range ms {
			size += m.Size()
		}
		r.bytes = max(r.bytes, size)
		if len(ms) == 1 {
			r.models[stem] = ms[0].Predict
		} else {
			r.models[stem] = ensemble(ms)
		}
	}
	slices.Sort(r.names)
	r.routing = eval.Routing{By: "gold locale", Models: r.names}
	if by == routeLangID {
		blob, name := artifacts.LangIDWeb(), "langid-web"
		if langidPath != "" {
			if blob, err = os.ReadFile(langidPath); err != nil {
				return nil, fmt.Errorf("reading --langid: %w", err)
			}
			name = langidPath
		}
		if r.langid, err = textmodel.Load(blob); err != nil {
			return nil, fmt.Errorf("loading %s: %w", name, err)
		}
		if h := r.langid.Head("langid"); h != nil {
			r.langid = h
		}
		r.routing.By = name
	}
	return r, nil
}

// model returns the stem and model for a language: an exact stem (zh-TW),
// else the primary subtag (zh-TW → zh), else "" and nil.
func (r *router) model(lang string) (string, func(string) textmodel.Prediction) {
	if m, ok := r.models[lang]; ok {
		return lang, m
	}
	primary := langLabel(lang)
	if m, ok := r.models[primary]; ok {
		return primary, m
	}
	return "", nil
}

// predict scores ex with the model its route chooses and counts where the
// row went.
func (r *router) predict(ex dataset.Example) string { return r.predictFull(ex).Label }

// predictFull is predict with the label's probability (1 for a row of a
// language without a model and no fallback).
func (r *router) predictFull(ex dataset.Example) textmodel.Prediction {
	lang := ex.Locale
	if r.langid != nil {
		lang = r.langid.Predict(ex.Text).Label
	}
	stem, m := r.model(lang)
	own, _ := r.model(ex.Locale)
	switch {
	case m == nil:
		r.routing.Fallback++
	case stem == own:
		r.routing.Own++
	default:
		r.routing.Other++
	}
	if m == nil {
		if r.fallback != nil {
			return r.fallback(ex.Text)
		}
		return textmodel.Prediction{Label: r.oos, Score: 1}
	}
	return m(ex.Text)
}

// run scores exs and names the models in the report.
func (r *router) run(exs []dataset.Example) *eval.Report {
	rep := eval.RunExamples(exs, r.predict, r.oos)
	rep.ModelBytes = r.bytes
	rt := r.routing
	rep.Routing = &rt
	return rep
}
