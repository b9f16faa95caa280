// Package cli implements `kefu model …`: train, eval, predict and
// compare-langid for the text models (intent, sentiment, anger, langid).
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/kefu-io/kefu/models/anger"
	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/eval"
	"github.com/kefu-io/kefu/models/textmodel"
	"github.com/kefu-io/kefu/models/train"
)

const usage = `usage: kefu model <command> TASK [flags]

commands:
  train TASK --data DIR [--data DIR@LABEL ...] --out FILE   train a model (progress on stderr);
                                                           for anger: fit the cue weights, --out models/anger/weights.go;
                                                           --teacher FILE [--distill-alpha 0.5] [--unlabelled DIR]: distil a model
  eval TASK [--model FILE ...] --data DIR [--split test] [--json]  accuracy, macro-F1, per class, confusions
                                                           (several --model: their averaged probabilities)
  eval TASK --model-dir DIR [--route langid|gold] [--langid FILE] --data DIR
                                                           per-language models DIR/<lang>.kmod, each row scored by
                                                           the model of the language langid-web predicts (or its own);
                                                           DIR/<lang>.<n>.kmod: averaged with <lang>.kmod (an ensemble)
  eval TASK ... --choose-threshold MIN                     choose the oos threshold on --split: of 0.05…0.95 those with
                                                           oos recall ≥ MIN, the best accuracy, on a tie the highest
  compact TASK [--model FILE] --out FILE [--bits 4] [--keep-rows N]
        [--data DIR [--max-loss 0] [--max-bytes N]]      rewrite an embedding bag pruned and in fewer bits
                                                           (format 4); --data: the smallest within --max-loss points on dev
  predict TASK [--model FILE]                              stdin: one text per line → {"label","score"} per line
  compare-langid [--model FILE] --data DIR [--json]        our langid vs lingua-go and whatlanggo

TASK is intent, sentiment, anger or langid. Without --model the shipped
artifact (models/artifacts) is used. --data takes a dataset folder with
train/dev/test.jsonl (no train.jsonl: trains on dev.jsonl); DIR@LABEL gives
every row of DIR the label LABEL (e.g. extra text for langid).

A joint task A+B (intent+langid) trains one model with two heads over one
embedding (format 4): --data is A's data, --data2 B's (repeatable;
--dropout2, --repeat2 weight B's examples); the bits or kept-rows flags are
needed. eval A+B --data2 DIR reports both heads; eval B --model FILE scores
the file's B head alone.
`

// Main runs `kefu model` with args (after "model") and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	switch args[0] {
	case "train":
		err = cmdTrain(ctx, args[1:], stderr)
	case "eval":
		err = cmdEval(args[1:], stdout)
	case "predict":
		err = cmdPredict(args[1:], stdin, stdout)
	case "compact":
		err = cmdCompact(args[1:], stdout, stderr)
	case "compare-langid":
		err = cmdCompareLangID(args[1:], stdout)
	default:
		err = fmt.Errorf("unknown command %q", args[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "kefu model %s: %v\n", args[0], err)
		if errors.Is(err, errUsage) {
			fmt.Fprint(stderr, usage)
			return 2
		}
		return 1
	}
	return 0
}

var errUsage = errors.New("bad usage")

func taskArg(args []string) (*taskSpec, []string, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil, nil, fmt.Errorf("missing TASK: %w", errUsage)
	}
	first, second, joint := strings.Cut(args[0], "+")
	t, ok := specs()[first]
	if !ok {
		return nil, nil, fmt.Errorf("unknown task %q (intent, sentiment, anger, langid, or two joined by +): %w", args[0], errUsage)
	}
	if joint {
		if t.second, ok = specs()[second]; !ok || second == first || first == "anger" || second == "anger" {
			return nil, nil, fmt.Errorf("unknown joint task %q (e.g. intent+langid): %w", args[0], errUsage)
		}
	}
	return t, args[1:], nil
}

type multiFlag []string

// String joins the values.
func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set appends a value.
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: %w", fs.Arg(0), errUsage)
	}
	return nil
}

// source is one --data value: a folder, optionally with a forced label and
// a cap on rows.
type source struct {
	dir   string
	label string
	limit int
}

func parseSource(v string) source {
	s := source{dir: v}
	if i := strings.LastIndexByte(v, '@'); i > 0 {
		s.dir, s.label = v[:i], v[i+1:]
		if j := strings.IndexByte(s.label, ':'); j >= 0 {
			s.limit, _ = strconv.Atoi(s.label[j+1:])
			s.label = s.label[:j]
		}
	}
	return s
}

// load reads split from a source and normalizes labels for the task.
func (t *taskSpec) load(src source, split string) ([]dataset.Example, error) {
	var (
		exs []dataset.Example
		err error
	)
	if src.label != "" {
		// every row gets the forced label: read any text field, ignore labels
		exs, err = dataset.Load(src.dir, split, []string{"text", "utt", "review"})
		for i := range exs {
			exs[i].Label = src.label
		}
	} else {
		exs, err = dataset.Load(src.dir, split, t.labelKeys)
	}
	if err != nil {
		return nil, err
	}
	for i := range exs {
		exs[i].Label = t.mapLabel(exs[i].Label)
	}
	if len(t.langs) > 0 {
		exs = slices.DeleteFunc(exs, func(ex dataset.Example) bool { return !slices.Contains(t.langs, ex.Locale) })
	}
	if src.limit > 0 && len(exs) > src.limit {
		exs = exs[:src.limit]
	}
	return exs, nil
}

func cmdTrain(ctx context.Context, args []string, stderr io.Writer) error {
	t, rest, err := taskArg(args)
	if err != nil {
		return err
	}
	cfg := t.train
	var data, data2 multiFlag
	fs := newFlags("train")
	fs.Var(&data, "data", "dataset folder (repeatable; DIR@LABEL[:N] forces a label, keeps N rows)")
	fs.Var(&data2, "data2", "joint task A+B: a dataset folder of B, as --data (repeatable)")
	dropout2 := fs.Float64("dropout2", 0, "joint task A+B: feature dropout of B's examples")
	repeat2 := fs.Int("repeat2", 1, "joint task A+B: times each of B's examples is seen per epoch")
	var langs multiFlag
	fs.Var(&langs, "lang", "keep only the rows of this language (their lang or locale field, e.g. zh-TW) in every split read (repeatable): a per-language model")
	out := fs.String("out", "", "output .kmod file")
	dev := fs.String("dev", "", "folder whose dev.jsonl tunes the oos threshold (default: first --data with a train.jsonl)")
	fs.IntVar(&cfg.Dim, "dim", cfg.Dim, "embedding width")
	fs.IntVar(&cfg.Epochs, "epochs", cfg.Epochs, "passes over the data")
	fs.IntVar(&cfg.Batch, "batch", cfg.Batch, "examples per optimizer step")
	fs.Float64Var(&cfg.LR, "lr", cfg.LR, "initial step size of the output layer (Adam)")
	fs.Float64Var(&cfg.EmbLR, "emb-lr", cfg.EmbLR, "initial step size of the embedding rows (row-wise AdaGrad)")
	holdout := fs.Int("holdout", 0, "hold out every Nth training example and report accuracy on it (for choosing settings)")
	fold := fs.Int("fold", 0, "with --holdout N: hold out the rows whose index mod N is this (0..N-1), for N-fold cross-validation")
	fs.StringVar(&cfg.Optimizer, "optimizer", cfg.Optimizer, "adam or adagrad")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	fs.BoolVar(&cfg.SqrtPool, "sqrtpool", cfg.SqrtPool, "bag = sum/√n instead of the mean")
	fs.BoolVar(&cfg.Linear, "linear", cfg.Linear, "wide linear model (one weight per feature and label) instead of an embedding bag")
	fs.BoolVar(&cfg.Unique, "unique", cfg.Unique, "linear: count each distinct feature once")
	fs.Float64Var(&cfg.Dropout, "dropout", cfg.Dropout, "probability of dropping each feature in a training step")
	fs.IntVar(&cfg.Hidden, "hidden", cfg.Hidden, "width of a hidden layer between the bag and the output (0: none)")
	fs.BoolVar(&cfg.Tanh, "tanh", cfg.Tanh, "hidden layer: tanh instead of ReLU")
	fs.Float64Var(&cfg.Smoothing, "smoothing", cfg.Smoothing, "label smoothing (0: none)")
	refit := fs.Bool("refit-with-dev", false, "after choosing the threshold on dev, retrain on train+dev and keep it")
	fixedThreshold := fs.Float64("threshold", -1, "out-of-scope threshold to store instead of choosing one on dev")
	buckets := fs.Uint("buckets", uint(cfg.Features.Buckets), "hashed feature space size")
	wordN := fs.Uint("wordngrams", uint(cfg.Features.WordNgrams), "word n-grams (0-2)")
	minN := fs.Uint("minn", uint(cfg.Features.MinN), "shortest sub-word n-gram")
	maxN := fs.Uint("maxn", uint(cfg.Features.MaxN), "longest sub-word n-gram (0: none)")
	cjkN := fs.Uint("cjkn", uint(cfg.Features.CJKMaxN), "longest character n-gram in CJK runs")
	quiet := fs.Bool("quiet", false, "no progress bar")
	sentimentPath := fs.String("sentiment", "", "anger: sentiment model whose negative probability is an input (default: shipped)")
	modelOut := fs.String("model-out", "", "anger: also train the anger text model and write it here")
	search := fs.String("search", "", "choose the recipe on the dev split: auto (the default when no tuning flag is given: n-grams, hidden layer, buckets, smoothing), size (buckets × dim within --max-bytes), off")
	maxBytes := fs.Int("max-bytes", 0, "--search size: the largest model file to keep")
	bits := fs.Int("bits", 8, "bits per embedding weight in the written file (2..8; below 8: the compact format 4)")
	keepRows := fs.Int("keep-rows", 0, "prune the embedding to this many rows, those of largest norm, after the epochs (0: all; else the compact format 4)")
	teacherPath := fs.String("teacher", "", "knowledge distillation: a trained model (same labels) whose probabilities join each example's target")
	fs.Float64Var(&cfg.DistillAlpha, "distill-alpha", 0.5, "with --teacher: the weight of the teacher's probabilities in the target (0..1)")
	fs.Float64Var(&cfg.DistillTemp, "distill-temp", 1, "with --teacher: soften (>1) or sharpen (<1) the teacher's probabilities")
	var unlabelled multiFlag
	fs.Var(&unlabelled, "unlabelled", "with --teacher: a folder (DIR[:N]: its first N rows) whose train split's texts are learnt from the teacher alone (repeatable)")
	fs.IntVar(&cfg.RetrainEpochs, "retrain-epochs", 0, "with --keep-rows: epochs of training after pruning, the pruned rows held at zero (with --bits below 8: through the quantization)")
	if err := parse(fs, rest); err != nil {
		return err
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if *search == "" {
		*search = "auto"
		for _, name := range tuningFlags {
			if explicit[name] {
				*search = "off"
			}
		}
	}
	if len(data) == 0 || *out == "" {
		return fmt.Errorf("--data and --out are required: %w", errUsage)
	}
	t.langs = langs
	if (t.second != nil) != (len(data2) > 0) {
		return fmt.Errorf("--data2 goes with a joint task A+B, and a joint task needs it: %w", errUsage)
	}
	if t.second != nil {
		// the recipe search trains one head; a joint model takes the
		// flags as given
		*search = "off"
		sc := &train.Second{Task: t.second.name, Dropout: *dropout2, Repeat: *repeat2}
		for _, d := range data2 {
			exs, err := t.second.load(parseSource(d), "train")
			if err != nil {
				return err
			}
			sc.Examples = append(sc.Examples, exs...)
		}
		cfg.Second = sc
		fmt.Fprintf(stderr, "joint %s+%s: %d %s examples beside the %s ones\n", t.name, t.second.name, len(sc.Examples), t.second.name, t.name)
	}
	// spago's backward pass runs operators on goroutines; with more than one
	// P the order in which gradients are summed varies and so do the weights.
	// One P makes training byte-for-byte reproducible (and is polite on a
	// shared machine); the arithmetic is single-threaded anyway.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfg.KeepRows = *keepRows
	if *bits < 8 && cfg.RetrainEpochs > 0 {
		cfg.QuantBits = *bits
	}
	cfg.Features.Buckets = uint32(*buckets)
	cfg.Features.WordNgrams, cfg.Features.MinN, cfg.Features.MaxN, cfg.Features.CJKMaxN = uint8(*wordN), uint8(*minN), uint8(*maxN), uint8(*cjkN)
	if t.name == "anger" {
		// anger is not a text model: it fits how the sentiment model's
		// negative probability and the intensity cues combine, and writes
		// the weights as Go source (models/anger/weights.go); with
		// --model-out it trains the anger text model (these settings) first.
		return trainAnger(ctx, t, cfg, data, *sentimentPath, *out, *modelOut, stderr)
	}

	if *teacherPath != "" {
		if cfg.Teacher, err = t.teacher(*teacherPath); err != nil {
			return err
		}
		for _, u := range unlabelled {
			src := parseSource(u + "@?")
			if i := strings.LastIndexByte(u, ':'); i > 0 {
				src = parseSource(u[:i] + "@?" + u[i:])
			}
			exs, err := t.load(src, "train")
			if err != nil {
				return err
			}
			for _, ex := range exs {
				cfg.Unlabelled = append(cfg.Unlabelled, ex.Text)
			}
		}
		fmt.Fprintf(stderr, "distilling %s (weight %.2f, temperature %.2f; %d unlabelled texts)\n", *teacherPath, cfg.DistillAlpha, cfg.DistillTemp, len(cfg.Unlabelled))
	} else if len(unlabelled) > 0 {
		return fmt.Errorf("--unlabelled needs --teacher: %w", errUsage)
	}
	var examples, tune []dataset.Example
	for _, d := range data {
		src := parseSource(d)
		exs, err := t.load(src, "train")
		if err != nil {
			return err
		}
		examples = append(examples, exs...)
		if *dev == "" && src.label == "" {
			if p, _ := dataset.SplitPath(src.dir, "train"); filepath.Base(p) == "train.jsonl" {
				*dev = src.dir
			}
		}
	}
	labels := train.LabelsOf(examples)
	var held []dataset.Example
	if *fold < 0 || (*fold > 0 && *fold >= *holdout) {
		return fmt.Errorf("--fold %d needs --holdout N > fold: %w", *fold, errUsage)
	}
	if *holdout > 1 {
		kept := examples[:0:0]
		for i, ex := range examples {
			if i%*holdout == *fold {
				held = append(held, ex)
			} else {
				kept = append(kept, ex)
			}
		}
		examples = kept
	}
	if t.oos != "" && contains(labels, t.oos) {
		cfg.Fallback = t.oos
		if *dev != "" {
			if tune, err = t.load(source{dir: *dev}, "dev"); err != nil {
				return err
			}
		}
	}
	var res *train.Result
	if *search != "off" {
		devSet := tune
		if len(devSet) == 0 && *dev != "" {
			if devSet, err = t.load(source{dir: *dev}, "dev"); err != nil && !explicit["search"] {
				devSet, err = nil, nil
			} else if err != nil {
				return err
			}
		}
		if len(devSet) == 0 && !explicit["search"] {
			fmt.Fprintf(stderr, "no dev split: training the %s defaults (%s)\n", t.name, describe(cfg))
		} else {
			best, err := searchRecipe(ctx, t, cfg, *search, *maxBytes, devSet, func(ctx context.Context, c train.Config) (*train.Result, error) {
				return train.Fit(ctx, examples, labels, tune, c, nil)
			}, stderr)
			if err != nil {
				return err
			}
			cfg, res = best.cfg, best.res
		}
	}
	arch := fmt.Sprintf("dim %d", cfg.Dim)
	if cfg.Linear {
		arch = "linear"
	} else if cfg.Hidden > 0 {
		arch += fmt.Sprintf(", hidden %d", cfg.Hidden)
	}
	if res == nil {
		fmt.Fprintf(stderr, "training %s: %d examples, %d labels, buckets %d, %s, %d epochs\n",
			t.name, len(examples), len(labels), cfg.Features.Buckets, arch, cfg.Epochs)
	}
	var bar *progressbar.ProgressBar
	if !*quiet && res == nil {
		bar = progressbar.NewOptions(cfg.Epochs*len(examples),
			progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("train "+t.name),
			progressbar.OptionShowCount(), progressbar.OptionThrottle(200_000_000), progressbar.OptionSetPredictTime(true))
	}
	if res == nil {
		res, err = train.Fit(ctx, examples, labels, tune, cfg, func(done, total int, loss float64) {
			if bar != nil {
				_ = bar.Set(done)
			}
		})
		if bar != nil {
			_ = bar.Finish()
			fmt.Fprintln(stderr)
		}
		if err != nil {
			return err
		}
	}
	if *refit && len(tune) > 0 {
		// settings and threshold were chosen on dev; the shipped model also
		// learns from dev's phrasings, keeping that threshold.
		th := res.Weights.Threshold
		fmt.Fprintf(stderr, "refit on train+dev (%d+%d rows), keeping threshold %.2f chosen on dev\n", len(examples), len(tune), th)
		all := append(append([]dataset.Example(nil), examples...), tune...)
		if res, err = train.Fit(ctx, all, labels, nil, cfg, nil); err != nil {
			return err
		}
		res.Weights.Threshold = th
	}
	if *fixedThreshold >= 0 && res.Weights.Fallback != "" {
		res.Weights.Threshold = float32(*fixedThreshold)
	}
	res.Weights.Bits, res.Weights.KeepRows = *bits, *keepRows
	blob, err := textmodel.Marshal(res.Weights)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, blob, 0o644); err != nil {
		return fmt.Errorf("writing model: %w", err)
	}
	fmt.Fprintf(stderr, "loss by epoch %s\nwrote %s (%d bytes", fmtLosses(res.Losses), *out, len(blob))
	if res.Weights.Fallback != "" {
		fmt.Fprintf(stderr, ", %s threshold %.2f", res.Weights.Fallback, res.Weights.Threshold)
	}
	fmt.Fprintln(stderr, ")")
	if len(held) > 0 {
		m, err := textmodel.Load(blob)
		if err != nil {
			return err
		}
		r := eval.Run(held, func(s string) string { return m.Predict(s).Label }, t.oos)
		fmt.Fprintf(stderr, "holdout (every %dth row from %d, %d rows): accuracy %.2f%%", *holdout, *fold, len(held), 100*r.Accuracy)
		if r.OOSLabel != "" {
			fmt.Fprintf(stderr, ", in-scope %.2f%%, oos recall %.2f%%", 100*r.InScopeAccuracy, 100*r.OOSRecall)
		}
		for _, g := range r.Groups {
			fmt.Fprintf(stderr, ", %s %.2f%%", g.Name, 100*g.Accuracy)
		}
		fmt.Fprintln(stderr)
	}
	return nil
}

func fmtLosses(ls []float64) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = strconv.FormatFloat(l, 'f', 4, 64)
	}
	return strings.Join(parts, " ")
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// loadModel reads --model or the shipped artifact of the task.
func (t *taskSpec) loadModel(path string) (*textmodel.Model, string, error) {
	var blob []byte
	name := "artifact:" + t.name
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("reading model: %w", err)
		}
		blob, name = b, path
	} else {
		blob = t.artifact()
	}
	m, err := textmodel.Load(blob)
	if err != nil {
		return nil, "", fmt.Errorf("loading %s: %w", name, err)
	}
	if h := m.Head(t.name); h != nil {
		m = h // a joint model's head of this task
	}
	return m, name, nil
}

// loadWithThreshold is loadModel with the model's out-of-scope threshold
// replaced when threshold ≥ 0 (eval's --threshold).
func (t *taskSpec) loadWithThreshold(path string, threshold float64) (*textmodel.Model, string, error) {
	m, name, err := t.loadModel(path)
	if err != nil || threshold < 0 {
		return m, name, err
	}
	if m, err = m.WithThreshold(float32(threshold)); err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return m, name, nil
}

// teacher loads the model at path as a distillation teacher: a function
// giving its probabilities in the label order training will use (the
// sorted label names, train.LabelsOf), matched by name.
func (t *taskSpec) teacher(path string) (func(string) []float32, error) {
	m, _, err := t.loadModel(path)
	if err != nil {
		return nil, err
	}
	labels := m.Labels()
	order := slices.Clone(labels)
	slices.Sort(order)
	perm := make([]int, len(labels)) // perm[i]: the teacher's index of the i-th sorted label
	for i, l := range order {
		perm[i] = slices.Index(labels, l)
	}
	var probs []float32
	return func(text string) []float32 {
		probs = m.Probs(probs, text)
		out := make([]float32, len(perm))
		for i, j := range perm {
			out[i] = probs[j]
		}
		return out
	}, nil
}

// predictor returns the label function for a task: the model itself, or for
// anger models/anger's Scorer over the sentiment model (sentimentPath or the
// shipped one), the anger text model m and the intensity cues.
func (t *taskSpec) predictor(m *textmodel.Model, sentimentPath string) (func(string) textmodel.Prediction, error) {
	if t.name != "anger" {
		return m.Predict, nil
	}
	sent, _, err := specs()["sentiment"].loadModel(sentimentPath)
	if err != nil {
		return nil, err
	}
	sc, err := anger.NewScorer(sent, m, anger.ShippedWithModel)
	if err != nil {
		return nil, err
	}
	return func(text string) textmodel.Prediction {
		s := sc.Score(text)
		if s >= anger.Threshold {
			return textmodel.Prediction{Label: "angry", Score: float32(s)}
		}
		return textmodel.Prediction{Label: "calm", Score: float32(s)}
	}, nil
}

func cmdEval(args []string, stdout io.Writer) error {
	t, rest, err := taskArg(args)
	if err != nil {
		return err
	}
	fs := newFlags("eval")
	data2 := fs.String("data2", "", "joint task A+B: dataset folder of B, whose accuracy is reported from the model's second head")
	var modelPaths multiFlag
	fs.Var(&modelPaths, "model", "model file (default: shipped artifact); repeat it to average the probabilities of several models (an ensemble)")
	data := fs.String("data", "", "dataset folder")
	split := fs.String("split", "test", "split to evaluate")
	asJSON := fs.Bool("json", false, "print JSON")
	threshold := fs.Float64("threshold", -1, "override the model's out-of-scope threshold (0: never fall back)")
	sentimentPath := fs.String("sentiment", "", "anger: sentiment model (default: shipped)")
	modelDir := fs.String("model-dir", "", "per-language models DIR/<lang>.kmod (zh-TW.kmod, else zh.kmod for zh-TW): each row is scored by its language's model (with DIR/<lang>.<n>.kmod: their averaged probabilities); --model, if given, scores rows of a language without one")
	route := fs.String("route", routeLangID, "with --model-dir: choose the model by the language the --langid model predicts (langid: as the browser does) or by the row's locale (gold)")
	langidPath := fs.String("langid", "", "with --model-dir --route langid: the language model (default: the shipped langid-web.kmod)")
	chooseOOS := fs.Float64("choose-threshold", -1, "choose the out-of-scope threshold on this split and report at it: of 0.05, 0.06 … 0.95 those whose oos recall is at least this (e.g. 0.8824), then the best accuracy, on a tie the highest")
	if err := parse(fs, rest); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("--data is required: %w", errUsage)
	}
	if *chooseOOS >= 0 {
		if *threshold >= 0 {
			return fmt.Errorf("--choose-threshold and --threshold exclude each other: %w", errUsage)
		}
		w := stdout
		if *asJSON {
			w = io.Discard // the report at the chosen threshold only
		}
		th, err := chooseThreshold(t, *data, *split, *modelDir, *route, *langidPath, modelPaths, *chooseOOS, w)
		if err != nil {
			return err
		}
		*threshold = th
	}
	if *modelDir != "" {
		return evalRouted(t, *data, *split, *modelDir, *route, *langidPath, modelPaths, *threshold, *asJSON, stdout)
	}
	if len(modelPaths) == 0 {
		modelPaths = multiFlag{""}
	}
	if len(modelPaths) > 1 && t.name == "anger" {
		return fmt.Errorf("anger takes one --model: %w", errUsage)
	}
	models := make([]*textmodel.Model, len(modelPaths))
	names := make([]string, len(modelPaths))
	size := 0
	for i, path := range modelPaths {
		m, name, err := t.loadWithThreshold(path, *threshold)
		if err != nil {
			return err
		}
		if i > 0 && !slices.Equal(m.Labels(), models[0].Labels()) {
			return fmt.Errorf("%s and %s have different label tables: cannot average them", names[0], name)
		}
		models[i], names[i] = m, name
		size += m.Size()
	}
	exs, err := t.load(parseSource(*data), *split)
	if err != nil {
		return err
	}
	var predict func(string) textmodel.Prediction
	if len(models) == 1 {
		if predict, err = t.predictor(models[0], *sentimentPath); err != nil {
			return err
		}
	} else {
		predict = ensemble(models)
	}
	oos := ""
	if t.oos != "" {
		oos = t.oos
	}
	r := eval.Run(exs, func(s string) string { return predict(s).Label }, oos)
	r.Task, r.Model, r.Data, r.ModelBytes = t.name, strings.Join(names, " + "), *data+" ("+*split+")", size
	reports := []*eval.Report{r}
	if t.second != nil {
		r2, err := evalSecond(t, models, names, *data2, *split)
		if err != nil {
			return err
		}
		reports = append(reports, r2)
	}
	return writeReports(stdout, *asJSON, reports...)
}

// writeReports prints reports as indented JSON, or as text separated by a
// blank line.
func writeReports(w io.Writer, asJSON bool, reports ...*eval.Report) error {
	for i, r := range reports {
		if asJSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := r.WriteText(w); err != nil {
			return err
		}
	}
	return nil
}

// evalRouted is eval with --model-dir: every row scored by the model of
// its language (newRouter).
func evalRouted(t *taskSpec, data, split, dir, route, langidPath string, modelPaths multiFlag, threshold float64, asJSON bool, stdout io.Writer) error {
	if t.name == "anger" || t.second != nil {
		return fmt.Errorf("--model-dir takes a single-head task, not %s: %w", t.name, errUsage)
	}
	if len(modelPaths) > 1 {
		return fmt.Errorf("--model-dir takes at most one --model (the fallback): %w", errUsage)
	}
	var fallback func(string) textmodel.Prediction
	if len(modelPaths) == 1 {
		m, _, err := t.loadWithThreshold(modelPaths[0], threshold)
		if err != nil {
			return err
		}
		fallback = m.Predict
	}
	r, err := newRouter(t, dir, route, langidPath, threshold, fallback)
	if err != nil {
		return err
	}
	exs, err := t.load(parseSource(data), split)
	if err != nil {
		return err
	}
	rep := r.run(exs)
	rep.Task, rep.Model, rep.Data = t.name, filepath.Join(dir, "<lang>.kmod"), data+" ("+split+")"
	return writeReports(stdout, asJSON, rep)
}

// evalSecond scores the second head of a joint model (task A+B) on B's
// data.
func evalSecond(t *taskSpec, models []*textmodel.Model, names []string, data, split string) (*eval.Report, error) {
	if data == "" {
		return nil, fmt.Errorf("a joint task needs --data2 for its second head: %w", errUsage)
	}
	if len(models) != 1 {
		return nil, fmt.Errorf("a joint task takes one --model: %w", errUsage)
	}
	m := models[0].Second()
	if m == nil || m.Task() != t.second.name {
		return nil, fmt.Errorf("%s has no %s head", names[0], t.second.name)
	}
	exs, err := t.second.load(parseSource(data), split)
	if err != nil {
		return nil, err
	}
	r := eval.Run(exs, func(s string) string { return m.Predict(s).Label }, t.second.oos)
	r.Task, r.Model, r.Data, r.ModelBytes = t.second.name, names[0], data+" ("+split+")", m.Size()
	return r, nil
}

// ensemble predicts with the mean of the models' probabilities (same label
// table); the first model's out-of-scope threshold, if any, applies to the
// mean.
func ensemble(models []*textmodel.Model) func(string) textmodel.Prediction {
	labels := models[0].Labels()
	th, fallback, hasTh := models[0].Threshold()
	return func(text string) textmodel.Prediction {
		var sum, probs []float32
		for i, m := range models {
			probs = m.Probs(probs, text)
			if i == 0 {
				sum = append(sum[:0], probs...)
				continue
			}
			for c, p := range probs {
				sum[c] += p
			}
		}
		best := 0
		for c, p := range sum {
			if p > sum[best] {
				best = c
			}
		}
		p := textmodel.Prediction{Label: labels[best], Score: sum[best] / float32(len(models))}
		if hasTh && p.Score < th {
			p.Label = fallback
		}
		return p
	}
}

func cmdPredict(args []string, stdin io.Reader, stdout io.Writer) error {
	t, rest, err := taskArg(args)
	if err != nil {
		return err
	}
	fs := newFlags("predict")
	modelPath := fs.String("model", "", "model file (default: shipped artifact)")
	sentimentPath := fs.String("sentiment", "", "anger: sentiment model (default: shipped)")
	if err := parse(fs, rest); err != nil {
		return err
	}
	m, _, err := t.loadModel(*modelPath)
	if err != nil {
		return err
	}
	predict, err := t.predictor(m, *sentimentPath)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	for sc.Scan() {
		p := predict(sc.Text())
		score, _ := strconv.ParseFloat(strconv.FormatFloat(float64(p.Score), 'f', 4, 32), 64)
		if err := enc.Encode(struct {
			Label string  `json:"label"`
			Score float64 `json:"score"`
		}{p.Label, score}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	return w.Flush()
}
