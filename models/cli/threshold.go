package cli

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/textmodel"
)

// errNoThreshold reports that no threshold of the sweep keeps the out-of-scope
// recall asked for.
var errNoThreshold = errors.New("no threshold keeps the oos recall")

// The sweep of --choose-threshold: 0.05, 0.06 … 0.95 (intent-web.md,
// "Threshold rule").
const (
	sweepFrom  = 5
	sweepTo    = 95
	sweepScale = 100.0
	// recallSlack lets a floor given as printed (0.8824 for 30 of 34 =
	// 0.88235…) admit the recall it was read from.
	recallSlack = 5e-5
)

// sweepPoint is one threshold of the sweep and what it scores.
type sweepPoint struct {
	threshold float64
	accuracy  float64
	oosRecall float64
}

// thresholdRule chooses the out-of-scope threshold by the rule of
// intent-web.md: of the sweep's thresholds, those whose oos recall is at
// least minRecall; among them the best accuracy; on a tie the highest
// threshold. preds are the predictions made with no threshold (the best
// label and its probability); a threshold t turns a prediction whose
// probability is below t into oos, as textmodel does.
func thresholdRule(exs []dataset.Example, preds []textmodel.Prediction, oos string, minRecall float64) (sweepPoint, []sweepPoint, error) {
	var points []sweepPoint
	best := sweepPoint{threshold: -1}
	for k := sweepFrom; k <= sweepTo; k++ {
		th := float64(k) / sweepScale
		var right, nOOS, oosRight int
		for i, ex := range exs {
			label := preds[i].Label
			if preds[i].Score < float32(th) {
				label = oos
			}
			if label == ex.Label {
				right++
			}
			if ex.Label == oos {
				nOOS++
				if label == oos {
					oosRight++
				}
			}
		}
		p := sweepPoint{threshold: th, accuracy: float64(right) / float64(max(len(exs), 1)), oosRecall: math.NaN()}
		if nOOS > 0 {
			p.oosRecall = float64(oosRight) / float64(nOOS)
		}
		points = append(points, p)
		// p.oosRecall is NaN without oos rows: then every threshold qualifies.
		if !(p.oosRecall+recallSlack < minRecall) && p.accuracy >= best.accuracy {
			best = p // ≥: on a tie the later, higher threshold
		}
	}
	if best.threshold < 0 {
		return best, points, fmt.Errorf("oos recall ≥ %.4f on %d rows: %w", minRecall, len(exs), errNoThreshold)
	}
	return best, points, nil
}

// chooseThreshold is eval's --choose-threshold: it scores the split once
// with no threshold (the --model files, or the --model-dir models routed as
// eval routes them), applies thresholdRule, prints the sweep and the choice
// to w and returns the chosen threshold.
func chooseThreshold(t *taskSpec, data, split, dir, route, langidPath string, modelPaths multiFlag, minRecall float64, w io.Writer) (float64, error) {
	if t.oos == "" || t.name == "anger" || t.second != nil {
		return 0, fmt.Errorf("--choose-threshold needs a task with an out-of-scope label, not %s: %w", t.name, errUsage)
	}
	exs, err := t.load(parseSource(data), split)
	if err != nil {
		return 0, err
	}
	models := make([]*textmodel.Model, len(modelPaths))
	for i, path := range modelPaths {
		if models[i], _, err = t.loadWithThreshold(path, 0); err != nil {
			return 0, err
		}
	}
	var predict func(dataset.Example) textmodel.Prediction
	switch {
	case dir != "":
		if len(models) > 1 {
			return 0, fmt.Errorf("--model-dir takes at most one --model (the fallback): %w", errUsage)
		}
		var fallback func(string) textmodel.Prediction
		if len(models) == 1 {
			fallback = models[0].Predict
		}
		r, err := newRouter(t, dir, route, langidPath, 0, fallback)
		if err != nil {
			return 0, err
		}
		predict = r.predictFull
	case len(models) == 0:
		m, _, err := t.loadWithThreshold("", 0)
		if err != nil {
			return 0, err
		}
		predict = func(ex dataset.Example) textmodel.Prediction { return m.Predict(ex.Text) }
	case len(models) == 1:
		predict = func(ex dataset.Example) textmodel.Prediction { return models[0].Predict(ex.Text) }
	default:
		ens := ensemble(models)
		predict = func(ex dataset.Example) textmodel.Prediction { return ens(ex.Text) }
	}
	preds := make([]textmodel.Prediction, len(exs))
	for i, ex := range exs {
		preds[i] = predict(ex)
	}
	best, points, err := thresholdRule(exs, preds, t.oos, minRecall)
	fmt.Fprintf(w, "threshold sweep on %s (%s), rule: oos recall ≥ %.2f%%, then the best accuracy, on a tie the highest threshold\n", data, split, 100*minRecall)
	for _, p := range points {
		mark := ""
		if p.threshold == best.threshold {
			mark = "  ← chosen"
		}
		fmt.Fprintf(w, "  %.2f  accuracy %6.2f%%  oos recall %6.2f%%%s\n", p.threshold, 100*p.accuracy, 100*p.oosRecall, mark)
	}
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(w, "chosen threshold %.2f\n\n", best.threshold)
	return best.threshold, nil
}
