package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/models/eval"
)

func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func trainTiny(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.kmod")
	code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intent", "--out", path,
		"--buckets", "4096", "--dim", "8", "--epochs", "20", "--emb-lr", "0.3", "--quiet")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "wrote "+path) {
		t.Fatalf("train output: %s", stderr)
	}
	return path
}

func TestTrainEvalText(t *testing.T) {
	path := trainTiny(t)
	code, out, stderr := run(t, "", "eval", "intent", "--model", path, "--data", "testdata/intent")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	for _, want := range []string{"accuracy ", "macro-F1 ", "model size ", "µs/message", "class ", "precision", "greeting", "order_status"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalJSON(t *testing.T) {
	path := trainTiny(t)
	code, out, stderr := run(t, "", "eval", "intent", "--model", path, "--data", "testdata/intent", "--json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	var r struct {
		N          int     `json:"n"`
		Accuracy   float64 `json:"accuracy"`
		MacroF1    float64 `json:"macro_f1"`
		ModelBytes int     `json:"model_bytes"`
		Classes    []struct {
			Label   string `json:"label"`
			Support int    `json:"support"`
		} `json:"classes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("eval --json is not JSON: %v\n%s", err, out)
	}
	if r.N != 6 || len(r.Classes) != 3 || r.ModelBytes == 0 || r.Accuracy < 0 || r.Accuracy > 1 {
		t.Fatalf("unexpected report %+v", r)
	}
}

func TestPredictStdin(t *testing.T) {
	path := trainTiny(t)
	code, out, stderr := run(t, "hello\nwhere is my order\n我的订单到哪了\n", "predict", "intent", "--model", path)
	if code != 0 {
		t.Fatalf("predict exit %d: %s", code, stderr)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	lines := 0
	for sc.Scan() {
		var p struct {
			Label string   `json:"label"`
			Score *float64 `json:"score"`
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.Label == "" || p.Score == nil || *p.Score < 0 || *p.Score > 1 {
			t.Fatalf("bad line %q (%v)", sc.Text(), err)
		}
		lines++
	}
	if lines != 3 {
		t.Fatalf("%d output lines for 3 input lines", lines)
	}
}

func TestPredictShippedArtifacts(t *testing.T) {
	for _, task := range []string{"intent", "sentiment", "langid", "anger"} {
		code, out, stderr := run(t, "Where is my order?!\n", "predict", task)
		if code != 0 || !strings.HasPrefix(out, `{"label":"`) {
			t.Fatalf("%s: exit %d, out %q, err %q", task, code, out, stderr)
		}
	}
	code, out, _ := run(t, "Wo ist meine Bestellung?\n我的订单到哪了\n", "predict", "langid")
	if code != 0 || !strings.Contains(out, `"de"`) || !strings.Contains(out, `"zh"`) {
		t.Fatalf("langid: %s", out)
	}
}

func TestSentimentLabelsAndAnger(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.kmod")
	if code, _, stderr := run(t, "", "train", "sentiment", "--data", "testdata/sent", "--out", path, "--buckets", "2048", "--dim", "4", "--epochs", "30", "--quiet"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := run(t, "", "eval", "sentiment", "--model", path, "--data", "testdata/sent")
	if code != 0 || !strings.Contains(out, "negative") || !strings.Contains(out, "positive") {
		t.Fatalf("exit %d %s %s", code, out, stderr)
	}
	code, out, _ = run(t, "thanks!\nWORST SERVICE EVER!!! I want my money back NOW, scam!!! 😡\n", "predict", "anger", "--sentiment", path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.Contains(lines[1], `"angry"`) {
		t.Fatalf("anger predict: %s", out)
	}
}

func TestBadUsageAndBadModel(t *testing.T) {
	if code, _, _ := run(t, ""); code != 2 {
		t.Errorf("no args: exit %d, want 2", code)
	}
	if code, _, stderr := run(t, "", "train", "nope", "--data", "x", "--out", "y"); code != 2 || !strings.Contains(stderr, "unknown task") {
		t.Errorf("unknown task: exit %d %s", code, stderr)
	}
	if code, _, _ := run(t, "", "train", "intent", "--out", "y"); code != 2 {
		t.Errorf("missing --data: exit %d, want 2", code)
	}
	if code, _, stderr := run(t, "", "train", "anger", "--data", "x", "--out", "y"); code != 1 || !strings.Contains(stderr, "split not found") {
		t.Errorf("train anger without data: exit %d %s", code, stderr)
	}
	if code, _, stderr := run(t, "", "eval", "intent", "--data", "testdata/nowhere"); code != 1 || !strings.Contains(stderr, "split not found") {
		t.Errorf("missing data: exit %d %s", code, stderr)
	}
	path := trainTiny(t)
	blob, _ := os.ReadFile(path)
	bad := filepath.Join(t.TempDir(), "bad.kmod")
	os.WriteFile(bad, blob[:len(blob)/2], 0o644)
	if code, _, stderr := run(t, "x\n", "predict", "intent", "--model", bad); code != 1 || !strings.Contains(stderr, "truncated") {
		t.Errorf("truncated model: exit %d %s", code, stderr)
	}
	blob[len(blob)/3] ^= 1
	os.WriteFile(bad, blob, 0o644)
	if code, _, stderr := run(t, "x\n", "predict", "intent", "--model", bad); code != 1 || !strings.Contains(stderr, "checksum") {
		t.Errorf("corrupt model: exit %d %s", code, stderr)
	}
}

func TestParseSource(t *testing.T) {
	tests := []struct {
		in   string
		want source
	}{
		{"/data/langid", source{dir: "/data/langid"}},
		{"/data/sent@zh", source{dir: "/data/sent", label: "zh"}},
		{"/data/sent@zh:300", source{dir: "/data/sent", label: "zh", limit: 300}},
	}
	for _, tt := range tests {
		if got := parseSource(tt.in); got != tt.want {
			t.Errorf("parseSource(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if langLabel("zh-TW") != "zh" || langLabel("en_US") != "en" || sentimentLabel("0") != "negative" || angerLabel("1") != "angry" {
		t.Error("label mapping")
	}
}

func TestTrainAngerWritesGo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "weights.go")
	model := filepath.Join(t.TempDir(), "anger.kmod")
	code, _, stderr := run(t, "", "train", "anger", "--data", "testdata/anger", "--out", out, "--model-out", model, "--buckets", "2048", "--epochs", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	src, _ := os.ReadFile(out)
	if !strings.Contains(string(src), "package anger") || !strings.Contains(string(src), "Shipped = Weights{") || !strings.Contains(string(src), "ShippedWithModel = Weights{") {
		t.Fatalf("generated source:\n%s", src)
	}
	code, out2, stderr := run(t, "you are useless, refund NOW!!!\n", "predict", "anger", "--model", model)
	if code != 0 || !strings.HasPrefix(out2, `{"label":"`) {
		t.Fatalf("predict with the new anger model: %d %s %s", code, out2, stderr)
	}
}

func TestTrainOOSThresholdAndRefit(t *testing.T) {
	dir := t.TempDir()
	for _, refit := range []bool{false, true} {
		path := filepath.Join(dir, "m.kmod")
		args := []string{"train", "intent", "--data", "testdata/intentoos", "--out", path, "--buckets", "4096", "--dim", "8", "--epochs", "10", "--quiet"}
		if refit {
			args = append(args, "--refit-with-dev")
		}
		code, _, stderr := run(t, "", args...)
		if code != 0 || !strings.Contains(stderr, "oos threshold") {
			t.Fatalf("refit=%v: exit %d: %s", refit, code, stderr)
		}
		if refit != strings.Contains(stderr, "refit on train+dev") {
			t.Fatalf("refit=%v: %s", refit, stderr)
		}
		code, out, _ := run(t, "", "eval", "intent", "--model", path, "--data", "testdata/intentoos", "--split", "dev")
		if code != 0 || !strings.Contains(out, "oos recall") || !strings.Contains(out, "in-scope acc") {
			t.Fatalf("eval: %s", out)
		}
	}
}

func TestTrainLinear(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.kmod")
	code, _, stderr := run(t, "", "train", "sentiment", "--data", "testdata/sent", "--out", path,
		"--linear", "--unique", "--sqrtpool", "--buckets", "2048", "--emb-lr", "0.5", "--epochs", "30", "--quiet")
	if code != 0 || !strings.Contains(stderr, "linear") {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	blob, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(blob) < 2048 || len(blob) > 2048+200 {
		t.Fatalf("two-label linear model is %d bytes, want one byte per bucket plus a header", len(blob))
	}
	code, out, stderr := run(t, "", "eval", "sentiment", "--model", path, "--data", "testdata/sent", "--split", "train")
	if code != 0 || !strings.Contains(out, "negative") || !strings.Contains(out, "accuracy ") {
		t.Fatalf("eval exit %d %s %s", code, out, stderr)
	}
	code, out, _ = run(t, "thanks!\nWORST SERVICE EVER!!! I want my money back NOW, scam!!! 😡\n", "predict", "anger", "--sentiment", path)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 2 {
		t.Fatalf("anger predict with a linear sentiment model: %s", out)
	}
	// a linear intent model still gets its oos threshold from dev
	ipath := filepath.Join(dir, "i.kmod")
	code, _, stderr = run(t, "", "train", "intent", "--data", "testdata/intentoos", "--out", ipath, "--linear", "--buckets", "4096", "--epochs", "10", "--quiet")
	if code != 0 || !strings.Contains(stderr, "oos threshold") {
		t.Fatalf("linear intent: exit %d: %s", code, stderr)
	}
	code, out, _ = run(t, "", "eval", "intent", "--model", ipath, "--data", "testdata/intentoos", "--split", "dev")
	if code != 0 || !strings.Contains(out, "oos recall") {
		t.Fatalf("eval: %s", out)
	}
}

func TestEvalEnsembleAndFold(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, extra := range [][]string{{"--seed", "1"}, {"--seed", "2", "--hidden", "16", "--smoothing", "0.1"}} {
		path := filepath.Join(dir, "m"+string(rune('0'+i))+".kmod")
		args := append([]string{"train", "intent", "--data", "testdata/intent", "--out", path,
			"--buckets", "4096", "--dim", "8", "--epochs", "20", "--emb-lr", "0.3", "--quiet"}, extra...)
		if code, _, stderr := run(t, "", args...); code != 0 {
			t.Fatalf("train %v: exit %d: %s", extra, code, stderr)
		}
		paths = append(paths, path)
	}
	code, out, stderr := run(t, "", "eval", "intent", "--model", paths[0], "--model", paths[1], "--data", "testdata/intent", "--json")
	if code != 0 {
		t.Fatalf("ensemble eval exit %d: %s", code, stderr)
	}
	var r struct {
		Model      string  `json:"model"`
		Accuracy   float64 `json:"accuracy"`
		ModelBytes int     `json:"model_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(paths[0])
	b, _ := os.Stat(paths[1])
	if r.ModelBytes != int(a.Size()+b.Size()) || !strings.Contains(r.Model, " + ") || r.Accuracy < 0.5 {
		t.Fatalf("ensemble report: %+v (files %d + %d bytes)", r, a.Size(), b.Size())
	}
	// models with different label tables cannot be averaged
	other := filepath.Join(dir, "s.kmod")
	if code, _, stderr := run(t, "", "train", "sentiment", "--data", "testdata/sent", "--out", other, "--buckets", "2048", "--epochs", "2", "--quiet"); code != 0 {
		t.Fatalf("train sentiment: %s", stderr)
	}
	if code, _, stderr := run(t, "", "eval", "intent", "--model", paths[0], "--model", other, "--data", "testdata/intent"); code != 1 || !strings.Contains(stderr, "different label tables") {
		t.Fatalf("mixed ensemble: exit %d %s", code, stderr)
	}
	// --fold picks which rows --holdout holds out; out of range is a usage error
	for _, fold := range []string{"0", "1"} {
		code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intent", "--out", filepath.Join(dir, "f.kmod"),
			"--buckets", "4096", "--dim", "8", "--epochs", "5", "--quiet", "--holdout", "3", "--fold", fold)
		if code != 0 || !strings.Contains(stderr, "holdout (every 3th row from "+fold+", 15 rows)") {
			t.Fatalf("fold %s: exit %d: %s", fold, code, stderr)
		}
	}
	if code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intent", "--out", filepath.Join(dir, "f.kmod"), "--holdout", "3", "--fold", "3"); code != 2 || !strings.Contains(stderr, "--fold") {
		t.Fatalf("fold out of range: exit %d %s", code, stderr)
	}
}

// TestTrainDistilled: --teacher trains against a model's probabilities
// (here one trained on the same slice), --unlabelled adds texts learnt from
// the teacher alone, and --unlabelled without a teacher is bad usage.
func TestTrainDistilled(t *testing.T) {
	teacher := trainTiny(t)
	path := filepath.Join(t.TempDir(), "student.kmod")
	code, _, stderr := run(t, "", "train", "intent", "--data", "testdata/intent", "--out", path,
		"--buckets", "4096", "--dim", "8", "--epochs", "20", "--emb-lr", "0.3", "--quiet",
		"--teacher", teacher, "--distill-alpha", "0.7", "--unlabelled", "testdata/intent:5")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "distilling "+teacher+" (weight 0.70, temperature 1.00; 5 unlabelled texts)") {
		t.Fatalf("train output: %s", stderr)
	}
	if code, _, _ := run(t, "", "train", "intent", "--data", "testdata/intent", "--out", path, "--unlabelled", "testdata/intent"); code != 2 {
		t.Fatalf("--unlabelled without --teacher: exit %d, want 2", code)
	}
}

// TestJointIntentLangID: `train intent+langid` writes one two-head model;
// `eval intent+langid` reports both heads, and `eval langid` on the same
// file scores its language head.
func TestJointIntentLangID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "joint.kmod")
	code, _, stderr := run(t, "", "train", "intent+langid", "--data", "testdata/intent", "--data2", "testdata/langid", "--out", path,
		"--buckets", "4096", "--dim", "8", "--epochs", "20", "--emb-lr", "0.3", "--keep-rows", "4096", "--bits", "4", "--quiet")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "joint intent+langid: 15 langid examples") {
		t.Fatalf("train output: %s", stderr)
	}
	code, out, stderr := run(t, "", "eval", "intent+langid", "--model", path, "--data", "testdata/intent", "--data2", "testdata/langid", "--split", "train")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "task intent ") || !strings.Contains(out, "task langid ") {
		t.Fatalf("eval output lacks a head:\n%s", out)
	}
	code, out, stderr = run(t, "", "eval", "langid", "--model", path, "--data", "testdata/langid", "--split", "train", "--json")
	if code != 0 {
		t.Fatalf("eval langid exit %d: %s", code, stderr)
	}
	var r struct {
		Task     string  `json:"task"`
		Accuracy float64 `json:"accuracy"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Task != "langid" || r.Accuracy < 0.9 {
		t.Fatalf("langid head on its training rows: %+v, %v", r, err)
	}
	for _, args := range [][]string{
		{"train", "intent+langid", "--data", "testdata/intent", "--out", path},
		{"train", "intent", "--data", "testdata/intent", "--data2", "testdata/langid", "--out", path},
		{"train", "intent+anger", "--data", "testdata/intent", "--data2", "testdata/anger", "--out", path},
		{"eval", "intent+langid", "--model", path, "--data", "testdata/intent"},
	} {
		if code, _, _ := run(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage)", args, code)
		}
	}
}

// TestEvalModelDir: --model-dir scores each row with the model of its
// language (the gold locale, or the one langid-web predicts); a row of a
// language without a model goes to --model, else counts as wrong.
func TestEvalModelDir(t *testing.T) {
	path := trainTiny(t)
	models := t.TempDir()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(models, "en.kmod"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	rows := `{"text": "where is my parcel, it has not arrived yet", "intent": "order_status", "lang": "en"}
{"text": "I would like to know the status of my refund", "intent": "refund_status", "lang": "en"}
{"text": "mon colis n'est toujours pas arrivé, où est-il ?", "intent": "order_status", "lang": "fr"}
`
	if err := os.WriteFile(filepath.Join(data, "test.jsonl"), []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	report := func(args ...string) eval.Report {
		t.Helper()
		code, out, stderr := run(t, "", append([]string{"eval", "intent", "--data", data, "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("eval %v: exit %d: %s", args, code, stderr)
		}
		var r eval.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("eval %v: %v\n%s", args, err, out)
		}
		return r
	}
	single := report("--model", path)
	tests := []struct {
		name     string
		args     []string
		fallback bool
		want     eval.Routing
	}{
		{"gold", []string{"--route", "gold"}, false, eval.Routing{By: "gold locale", Models: []string{"en"}, Own: 2, Fallback: 1}},
		{"langid", nil, false, eval.Routing{By: "langid-web", Models: []string{"en"}, Own: 2, Fallback: 1}},
		{"gold with a fallback", []string{"--route", "gold", "--model", path}, true, eval.Routing{By: "gold locale", Models: []string{"en"}, Own: 2, Fallback: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := report(append([]string{"--model-dir", models}, tt.args...)...)
			if r.Routing == nil || !reflect.DeepEqual(*r.Routing, tt.want) {
				t.Fatalf("routing %+v, want %+v", r.Routing, tt.want)
			}
			// With the fallback every row meets the one model: the same
			// accuracy as without routing. Without it the French row is wrong.
			want := single.Accuracy
			if !tt.fallback {
				want -= float64(frRight(t, path)) / 3
			}
			if math.Abs(r.Accuracy-want) > 1e-9 {
				t.Errorf("accuracy %v, want %v", r.Accuracy, want)
			}
		})
	}
	// en.2.kmod joins en.kmod in one language's ensemble: one model name,
	// both files' bytes, the same answers (the same model twice).
	pair := t.TempDir()
	for _, name := range []string{"en.kmod", "en.2.kmod"} {
		if err := os.WriteFile(filepath.Join(pair, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gold := report("--model-dir", models, "--route", "gold")
	r := report("--model-dir", pair, "--route", "gold")
	if r.Routing == nil || !reflect.DeepEqual(r.Routing.Models, []string{"en"}) || r.ModelBytes != 2*gold.ModelBytes || r.Accuracy != gold.Accuracy {
		t.Errorf("en.kmod + en.2.kmod: routing %+v, %d bytes, accuracy %v; want models [en], %d bytes, accuracy %v", r.Routing, r.ModelBytes, r.Accuracy, 2*gold.ModelBytes, gold.Accuracy)
	}
	if code, _, stderr := run(t, "", "eval", "intent", "--data", data, "--model-dir", t.TempDir()); code != 1 || !strings.Contains(stderr, errNoModels.Error()) {
		t.Errorf("empty --model-dir: exit %d %s", code, stderr)
	}
	if code, _, _ := run(t, "", "eval", "intent", "--data", data, "--model-dir", models, "--route", "script"); code != 2 {
		t.Errorf("--route script: exit %d, want 2 (usage)", code)
	}
}

// frRight is 1 when the model at path gets the French row of
// TestEvalModelDir right, else 0.
func frRight(t *testing.T, path string) int {
	t.Helper()
	code, out, _ := run(t, "mon colis n'est toujours pas arrivé, où est-il ?\n", "predict", "intent", "--model", path)
	if code != 0 {
		t.Fatal(out)
	}
	if strings.Contains(out, `"order_status"`) {
		return 1
	}
	return 0
}

// TestTrainLang: --lang keeps the rows of the languages named (t.load,
// which reads every split).
func TestTrainLang(t *testing.T) {
	data := t.TempDir()
	var train, dev strings.Builder
	for i, l := range []string{"en", "fr", "fr", "zh-TW", "zh", "en", "fr"} {
		fmt.Fprintf(&train, `{"text": "text %d", "intent": "i%d", "lang": %q}`+"\n", i, i%2, l)
		fmt.Fprintf(&dev, `{"text": "dev %d", "intent": "i%d", "lang": %q}`+"\n", i, i%2, l)
	}
	for name, body := range map[string]string{"train.jsonl": train.String(), "dev.jsonl": dev.String()} {
		if err := os.WriteFile(filepath.Join(data, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		langs []string
		want  string
	}{
		{[]string{"fr"}, "training intent: 3 examples"},
		{[]string{"zh", "zh-TW"}, "training intent: 2 examples"},
		{nil, "training intent: 7 examples"},
	}
	for _, tt := range tests {
		args := []string{"train", "intent", "--data", data, "--out", filepath.Join(t.TempDir(), "m.kmod"), "--buckets", "256", "--dim", "4", "--epochs", "1", "--quiet"}
		for _, l := range tt.langs {
			args = append(args, "--lang", l)
		}
		code, _, stderr := run(t, "", args...)
		if code != 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("--lang %v: exit %d, want %q in:\n%s", tt.langs, code, tt.want, stderr)
		}
	}
}
