// Package eval measures a classifier on a labelled test set: accuracy,
// macro-F1, a per-class table, the most confused pairs, out-of-scope recall,
// per-group accuracy (langid kinds, xSID locales) and time per message.
package eval

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kefu-io/kefu/models/dataset"
)

// Class is one row of the per-class table.
type Class struct {
	Label     string  `json:"label"`
	Support   int     `json:"support"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Pair counts how often Gold was predicted as Pred.
type Pair struct {
	Gold  string `json:"gold"`
	Pred  string `json:"pred"`
	Count int    `json:"count"`
}

// Group is the accuracy on the rows sharing a kind or locale.
type Group struct {
	Name     string  `json:"name"`
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
}

// Report is the outcome of one evaluation.
type Report struct {
	Task     string  `json:"task"`
	Model    string  `json:"model"`
	Data     string  `json:"data"`
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	// OOS fields are set when the gold labels contain OOSLabel.
	OOSLabel        string  `json:"oos_label,omitempty"`
	InScopeAccuracy float64 `json:"in_scope_accuracy,omitempty"`
	OOSRecall       float64 `json:"oos_recall,omitempty"`
	Classes         []Class `json:"classes"`
	Confused        []Pair  `json:"confused"`
	Groups          []Group `json:"groups,omitempty"`
	ModelBytes      int     `json:"model_bytes"`
	MicrosPerMsg    float64 `json:"us_per_message"`
	// Routing is set when each row was scored by one of several
	// per-language models (kefu model eval --model-dir).
	Routing *Routing `json:"routing,omitempty"`
}

// Routing says how rows were sent to per-language models: By names what
// chose the model ("langid-web", "gold locale"); Own rows went to the model
// of their own (gold) language, Other to another language's, Fallback to
// none of them (the fallback model, or the out-of-scope label).
type Routing struct {
	By       string   `json:"by"`
	Models   []string `json:"models"`
	Own      int      `json:"own"`
	Other    int      `json:"other"`
	Fallback int      `json:"fallback"`
}

// Run predicts every example with predict and scores the result. oos is the
// out-of-scope label ("" for none).
func Run(examples []dataset.Example, predict func(string) string, oos string) *Report {
	return RunExamples(examples, func(ex dataset.Example) string { return predict(ex.Text) }, oos)
}

// RunExamples is Run with a predict that sees the whole example (its
// locale, for a model chosen by the gold language).
func RunExamples(examples []dataset.Example, predict func(dataset.Example) string, oos string) *Report {
	r := &Report{N: len(examples)}
	preds := make([]string, len(examples))
	start := time.Now()
	for i, ex := range examples {
		preds[i] = predict(ex)
	}
	if len(examples) > 0 {
		r.MicrosPerMsg = float64(time.Since(start).Microseconds()) / float64(len(examples))
	}
	tp := map[string]int{}
	gold := map[string]int{}
	pred := map[string]int{}
	pairs := map[[2]string]int{}
	groupN := map[string]int{}
	groupOK := map[string]int{}
	var correct, nIn, inOK, nOOS, oosOK int
	hasOOS := false
	for i, ex := range examples {
		p := preds[i]
		gold[ex.Label]++
		pred[p]++
		ok := p == ex.Label
		if ok {
			tp[p]++
			correct++
		} else {
			pairs[[2]string{ex.Label, p}]++
		}
		if oos != "" && ex.Label == oos {
			hasOOS = true
			nOOS++
			if ok {
				oosOK++
			}
		} else {
			nIn++
			if ok {
				inOK++
			}
		}
		for _, g := range groupsOf(ex) {
			groupN[g]++
			if ok {
				groupOK[g]++
			}
		}
	}
	if r.N > 0 {
		r.Accuracy = float64(correct) / float64(r.N)
	}
	if hasOOS {
		r.OOSLabel = oos
		r.OOSRecall = ratio(oosOK, nOOS)
		r.InScopeAccuracy = ratio(inOK, nIn)
	}
	labels := make([]string, 0, len(gold))
	for l := range gold {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	var f1sum float64
	for _, l := range labels {
		c := Class{Label: l, Support: gold[l], Precision: ratio(tp[l], pred[l]), Recall: ratio(tp[l], gold[l])}
		if c.Precision+c.Recall > 0 {
			c.F1 = 2 * c.Precision * c.Recall / (c.Precision + c.Recall)
		}
		f1sum += c.F1
		r.Classes = append(r.Classes, c)
	}
	if len(labels) > 0 {
		r.MacroF1 = f1sum / float64(len(labels))
	}
	for k, n := range pairs {
		r.Confused = append(r.Confused, Pair{Gold: k[0], Pred: k[1], Count: n})
	}
	sort.Slice(r.Confused, func(i, j int) bool {
		a, b := r.Confused[i], r.Confused[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Gold != b.Gold {
			return a.Gold < b.Gold
		}
		return a.Pred < b.Pred
	})
	if len(r.Confused) > 10 {
		r.Confused = r.Confused[:10]
	}
	names := make([]string, 0, len(groupN))
	for g := range groupN {
		names = append(names, g)
	}
	sort.Strings(names)
	if len(names) > 1 {
		for _, g := range names {
			r.Groups = append(r.Groups, Group{Name: g, N: groupN[g], Accuracy: ratio(groupOK[g], groupN[g])})
		}
	}
	return r
}

func groupsOf(ex dataset.Example) []string {
	var g []string
	if ex.Kind != "" {
		g = append(g, "kind="+ex.Kind)
	}
	if ex.Locale != "" && ex.Locale != ex.Label {
		g = append(g, "locale="+ex.Locale)
	}
	return g
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// MeanGroupAccuracy is the unweighted mean accuracy over groups whose name
// starts with prefix (e.g. "locale=" for the xSID mean over locales).
func (r *Report) MeanGroupAccuracy(prefix string) (float64, bool) {
	var sum float64
	n := 0
	for _, g := range r.Groups {
		if strings.HasPrefix(g.Name, prefix) {
			sum += g.Accuracy
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// WriteText prints r for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "task %s  model %s  data %s\n", r.Task, r.Model, r.Data)
	fmt.Fprintf(&b, "examples        %d\n", r.N)
	fmt.Fprintf(&b, "accuracy        %.2f%%\n", 100*r.Accuracy)
	fmt.Fprintf(&b, "macro-F1        %.2f%%\n", 100*r.MacroF1)
	if r.OOSLabel != "" {
		fmt.Fprintf(&b, "in-scope acc    %.2f%%\n", 100*r.InScopeAccuracy)
		fmt.Fprintf(&b, "oos recall      %.2f%%  (label %q)\n", 100*r.OOSRecall, r.OOSLabel)
	}
	if m, ok := r.MeanGroupAccuracy("locale="); ok {
		fmt.Fprintf(&b, "mean by locale  %.2f%%\n", 100*m)
	}
	fmt.Fprintf(&b, "model size      %d bytes\n", r.ModelBytes)
	fmt.Fprintf(&b, "time            %.1f µs/message\n", r.MicrosPerMsg)
	if rt := r.Routing; rt != nil {
		fmt.Fprintf(&b, "routed by       %s to %d models (%s): %d rows to their language's, %d to another's, %d to none\n",
			rt.By, len(rt.Models), strings.Join(rt.Models, " "), rt.Own, rt.Other, rt.Fallback)
	}
	if len(r.Groups) > 0 {
		fmt.Fprintf(&b, "\n%-28s %6s %9s\n", "group", "n", "accuracy")
		for _, g := range r.Groups {
			fmt.Fprintf(&b, "%-28s %6d %8.2f%%\n", g.Name, g.N, 100*g.Accuracy)
		}
	}
	fmt.Fprintf(&b, "\n%-28s %7s %9s %9s %9s\n", "class", "support", "precision", "recall", "f1")
	for _, c := range r.Classes {
		fmt.Fprintf(&b, "%-28s %7d %8.2f%% %8.2f%% %8.2f%%\n", c.Label, c.Support, 100*c.Precision, 100*c.Recall, 100*c.F1)
	}
	if len(r.Confused) > 0 {
		fmt.Fprintf(&b, "\nmost confused (gold → predicted)\n")
		for _, p := range r.Confused {
			fmt.Fprintf(&b, "%5d  %s → %s\n", p.Count, p.Gold, p.Pred)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
