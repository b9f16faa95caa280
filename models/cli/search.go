package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/eval"
	"github.com/kefu-io/kefu/models/textmodel"
	"github.com/kefu-io/kefu/models/train"
)

// Choosing a recipe on the dev split.
//
// `kefu model train TASK --data DIR --out FILE` with no tuning flag (the
// flags in tuningFlags) does not trust the task's defaults: it trains a
// few recipes — the ones that won on Kefu's own data sets — on the train
// split, scores each on the dev split, prints the table and keeps the
// best. A merchant retraining on their own data gets the best of them
// without knowing the flags. The test split is never read.
//
// The search is a coordinate search from the task's defaults, one knob at
// a time in this order: word n-grams (1 or 2), a hidden layer (none or
// 64 ReLU units), the hashed feature space (the default or a quarter of
// it), label smoothing (none or 0.1). A change is kept only when it wins
// by more than minGain on dev: otherwise the simpler, smaller recipe
// stays. That is 1 + 4 trainings.
//
// --search size chooses the model's size instead (the widget's models):
// every buckets × dim of sizeGrid that fits --max-bytes, the other
// settings as given; the best dev accuracy wins, a tie goes to the
// smaller model.

// minGain is how much better on dev (accuracy, 0–1) a more complex recipe
// must be to be kept.
const minGain = 0.002

// tuningFlags are the train flags that set the recipe; any of them given
// explicitly turns the automatic search off.
var tuningFlags = []string{"dim", "epochs", "batch", "lr", "emb-lr", "optimizer", "sqrtpool", "linear", "unique", "dropout",
	"hidden", "tanh", "smoothing", "buckets", "wordngrams", "minn", "maxn", "cjkn"}

// sizeGrid are the buckets × dim candidates of --search size.
var sizeGrid = struct{ buckets, dims []int }{[]int{4096, 8192, 16384, 32768}, []int{12, 16, 24, 32}}

// candidate is one trained recipe.
type candidate struct {
	name  string
	cfg   train.Config
	res   *train.Result
	acc   float64
	bytes int
}

// fitter trains one configuration; tests replace it.
type fitter func(ctx context.Context, cfg train.Config) (*train.Result, error)

// searchRecipe runs the search mode ("auto" or "size") and returns the
// winner, trained on examples (its threshold chosen on dev as usual).
func searchRecipe(ctx context.Context, t *taskSpec, base train.Config, mode string, maxBytes int, dev []dataset.Example, fit fitter, w io.Writer) (*candidate, error) {
	if len(dev) == 0 {
		return nil, fmt.Errorf("--search %s needs a dev split (dev.jsonl beside train.jsonl, or --dev DIR): %w", mode, errUsage)
	}
	try := func(name string, cfg train.Config) (*candidate, error) {
		res, err := fit(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("recipe %s: %w", name, err)
		}
		blob, err := textmodel.Marshal(res.Weights)
		if err != nil {
			return nil, err
		}
		m, err := textmodel.Load(blob)
		if err != nil {
			return nil, err
		}
		r := eval.Run(dev, func(s string) string { return m.Predict(s).Label }, t.oos)
		c := &candidate{name: name, cfg: cfg, res: res, acc: r.Accuracy, bytes: len(blob)}
		fmt.Fprintf(w, "  %-64s dev accuracy %6.2f%%  %9d bytes\n", name, 100*c.acc, c.bytes)
		return c, nil
	}
	fmt.Fprintf(w, "choosing the %s recipe on dev (%d rows; the test split is not read):\n", t.name, len(dev))
	var best *candidate
	switch mode {
	case "auto":
		var err error
		if best, err = try(describe(base), base); err != nil {
			return nil, err
		}
		for _, step := range autoSteps(base) {
			cfg := step(best.cfg)
			if sameRecipe(cfg, best.cfg) {
				continue
			}
			c, err := try(describe(cfg), cfg)
			if err != nil {
				return nil, err
			}
			if c.acc > best.acc+minGain {
				best = c
			}
		}
	case "size":
		if maxBytes <= 0 {
			return nil, fmt.Errorf("--search size needs --max-bytes: %w", errUsage)
		}
		for _, b := range sizeGrid.buckets {
			for _, d := range sizeGrid.dims {
				if b*d > maxBytes { // int8 embeddings alone would not fit
					continue
				}
				cfg := base
				cfg.Features.Buckets, cfg.Dim = uint32(b), d
				c, err := try(describe(cfg), cfg)
				if err != nil {
					return nil, err
				}
				if c.bytes > maxBytes {
					continue
				}
				if best == nil || c.acc > best.acc || c.acc == best.acc && c.bytes < best.bytes {
					best = c
				}
			}
		}
		if best == nil {
			return nil, fmt.Errorf("no size of the grid fits in %d bytes", maxBytes)
		}
	default:
		return nil, fmt.Errorf("--search %q: want auto or size: %w", mode, errUsage)
	}
	fmt.Fprintf(w, "chose: %s (dev accuracy %.2f%%, %d bytes)\n", describe(best.cfg), 100*best.acc, best.bytes)
	return best, nil
}

// autoSteps are the knobs of the automatic search, in order; each returns
// the alternative of its knob.
func autoSteps(base train.Config) []func(train.Config) train.Config {
	steps := []func(train.Config) train.Config{
		func(c train.Config) train.Config {
			if c.Features.WordNgrams >= 2 {
				c.Features.WordNgrams = 1
			} else {
				c.Features.WordNgrams = 2
			}
			return c
		},
	}
	if !base.Linear {
		steps = append(steps, func(c train.Config) train.Config {
			if c.Hidden > 0 {
				c.Hidden = 0
			} else {
				c.Hidden = 64
			}
			return c
		})
	}
	steps = append(steps,
		func(c train.Config) train.Config {
			c.Features.Buckets = max(1024, base.Features.Buckets/4)
			return c
		},
		func(c train.Config) train.Config {
			if c.Smoothing > 0 {
				c.Smoothing = 0
			} else {
				c.Smoothing = 0.1
			}
			return c
		})
	return steps
}

func sameRecipe(a, b train.Config) bool {
	return a.Features == b.Features && a.Hidden == b.Hidden && a.Smoothing == b.Smoothing && a.Dim == b.Dim
}

// describe names a recipe by the settings the search changes.
func describe(c train.Config) string {
	var parts []string
	if c.Linear {
		parts = append(parts, "linear")
	} else {
		parts = append(parts, fmt.Sprintf("dim %d", c.Dim))
		if c.Hidden > 0 {
			parts = append(parts, fmt.Sprintf("hidden %d", c.Hidden))
		} else {
			parts = append(parts, "no hidden layer")
		}
	}
	parts = append(parts, fmt.Sprintf("word %d-grams", c.Features.WordNgrams), fmt.Sprintf("buckets %d", c.Features.Buckets))
	if c.Smoothing > 0 {
		parts = append(parts, fmt.Sprintf("smoothing %.2g", c.Smoothing))
	}
	return strings.Join(parts, ", ")
}
