package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"

	"github.com/andybalholm/brotli"

	"github.com/kefu-io/kefu/models/dataset"
	"github.com/kefu-io/kefu/models/eval"
	"github.com/kefu-io/kefu/models/textmodel"
)

// compactGrid are the candidates of `kefu model compact --max-bytes`:
// bits per weight × rows kept (a share of the model's non-zero rows).
var compactGrid = struct {
	bits  []int
	share []float64
}{[]int{2, 3, 4, 6}, []float64{1, 0.75, 0.5, 0.35, 0.25, 0.15, 0.1}}

// cmdCompact rewrites an embedding-bag model in the compact layout (format
// version 4: pruned rows, fewer bits per weight), with the given --bits and
// --keep-rows, or, with --data, the smallest candidate of compactGrid on the
// wire (brotli; within --max-bytes of brotli, if given) whose accuracy on the dev split of --data is at most
// --max-loss points below the model's own. The test split is never read.
func cmdCompact(args []string, stdout, stderr io.Writer) error {
	t, rest, err := taskArg(args)
	if err != nil {
		return err
	}
	fs := newFlags("compact")
	in := fs.String("model", "", "model to compact (default: shipped artifact)")
	out := fs.String("out", "", "output .kmod file")
	bits := fs.Int("bits", 4, "bits per embedding weight (2..8)")
	keep := fs.Int("keep-rows", 0, "embedding rows kept, those of largest norm (0: every non-zero row)")
	data := fs.String("data", "", "choose bits and rows on this dataset's dev split: the smallest file within --max-loss of the model's dev accuracy")
	maxLoss := fs.Float64("max-loss", 0, "with --data: dev accuracy points the compact model may lose")
	maxBytes := fs.Int("max-bytes", 0, "with --data: consider only files up to this many bytes brotli-compressed (0: any)")
	chooseWith := fs.String("choose-with", "", "with --data: choose bits and the share of rows kept with this model (the same recipe trained on train only, when --model also learnt from dev), then apply them to --model")
	if err := parse(fs, rest); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out is required: %w", errUsage)
	}
	m, name, err := t.loadModel(*in)
	if err != nil {
		return err
	}
	w := m.Weights()
	if w == nil {
		return fmt.Errorf("%s is a linear model: only embedding bags compact", name)
	}
	var blob []byte
	if *chooseWith != "" && *data == "" {
		return fmt.Errorf("--choose-with needs --data: %w", errUsage)
	}
	if *data != "" {
		dev, err := t.load(source{dir: *data}, "dev")
		if err != nil {
			return err
		}
		cm, cw := m, w
		if *chooseWith != "" {
			if cm, _, err = t.loadModel(*chooseWith); err != nil {
				return err
			}
			if cw = cm.Weights(); cw == nil {
				return fmt.Errorf("%s is a linear model: only embedding bags compact", *chooseWith)
			}
		}
		bits, share, err := chooseCompact(t, cm, cw, *maxLoss/100, *maxBytes, dev, stderr)
		if err != nil {
			return err
		}
		w.Bits, w.KeepRows = bits, int(share*float64(nonZeroRows(w)))
		if w.KeepRows == nonZeroRows(w) {
			w.KeepRows = 0
		}
		if blob, err = textmodel.Marshal(w); err != nil {
			return err
		}
	} else {
		w.Bits, w.KeepRows = *bits, *keep
		if blob, err = textmodel.Marshal(w); err != nil {
			return err
		}
	}
	if _, err := textmodel.Load(blob); err != nil {
		return fmt.Errorf("compacted model does not load: %w", err)
	}
	if err := os.WriteFile(*out, blob, 0o644); err != nil {
		return fmt.Errorf("writing model: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes, from %s: %d bytes)\n", *out, len(blob), name, m.Size())
	return nil
}

// brotliSize is the size of b compressed as the edge serves it (brotli,
// best compression): what a browser downloads.
func brotliSize(b []byte) (int, error) {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	if _, err := w.Write(b); err != nil {
		return 0, fmt.Errorf("brotli: %w", err)
	}
	if err := w.Close(); err != nil {
		return 0, fmt.Errorf("brotli: %w", err)
	}
	return buf.Len(), nil
}

// nonZeroRows counts the embedding rows of w with a non-zero weight.
func nonZeroRows(w *textmodel.Weights) int {
	rows := 0
	for r := 0; r < int(w.Features.Buckets); r++ {
		if slices.ContainsFunc(w.Emb[r*w.Dim:r*w.Dim+w.Dim], func(v float32) bool { return v != 0 }) {
			rows++
		}
	}
	return rows
}

// chooseCompact scores every candidate of compactGrid within maxBytes (0:
// any) on dev, prints them and returns the bits and share of rows of the
// smallest whose accuracy is at most maxLoss (0–1) below the source model
// m's (w are m's weights).
func chooseCompact(t *taskSpec, m *textmodel.Model, w *textmodel.Weights, maxLoss float64, maxBytes int, dev []dataset.Example, stderr io.Writer) (bits int, share float64, err error) {
	base := eval.Run(dev, func(s string) string { return m.Predict(s).Label }, t.oos).Accuracy
	fmt.Fprintf(stderr, "source model: %d bytes, dev accuracy %.2f%%; keeping the smallest candidate from %.2f%%\n", m.Size(), 100*base, 100*(base-maxLoss))
	rows := nonZeroRows(w)
	type cand struct {
		bits, keep int
		share      float64
		acc        float64
		size       int
	}
	var cands []cand
	for _, b := range compactGrid.bits {
		for _, s := range compactGrid.share {
			c := *w
			c.Bits, c.KeepRows = b, int(s*float64(rows))
			blob, err := textmodel.Marshal(&c)
			if err != nil {
				return 0, 0, err
			}
			wire, err := brotliSize(blob)
			if err != nil {
				return 0, 0, err
			}
			if maxBytes > 0 && wire > maxBytes {
				continue
			}
			cm, err := textmodel.Load(blob)
			if err != nil {
				return 0, 0, err
			}
			r := eval.Run(dev, func(s string) string { return cm.Predict(s).Label }, t.oos)
			fmt.Fprintf(stderr, "bits %d, rows %6d: %7d bytes, %7d brotli, dev accuracy %.2f%%\n", c.Bits, c.KeepRows, len(blob), wire, 100*r.Accuracy)
			cands = append(cands, cand{c.Bits, c.KeepRows, s, r.Accuracy, wire})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].size < cands[j].size })
	i := slices.IndexFunc(cands, func(c cand) bool { return c.acc >= base-maxLoss-1e-9 })
	if i < 0 {
		return 0, 0, fmt.Errorf("no candidate within %d bytes keeps dev accuracy from %.2f%%", maxBytes, 100*(base-maxLoss))
	}
	best := cands[i]
	fmt.Fprintf(stderr, "chose bits %d, rows %d (%.0f%% of %d): %d bytes brotli, dev accuracy %.2f%%\n", best.bits, best.keep, 100*best.share, rows, best.size, 100*best.acc)
	return best.bits, best.share, nil
}
