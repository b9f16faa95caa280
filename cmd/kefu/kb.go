package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/kefu-io/kefu/central"
	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/knowledge/ingest"
	"github.com/kefu-io/kefu/central/store"
)

func init() {
	register("kb", "knowledge hub: ingest documents, import the catalogue, evaluate answers", runKB)
}

const kbUsage = `usage:
  kefu kb ingest PATH... --tenant T (--data DIR | --server URL --token KEY)
  kefu kb catalog import FILE.csv --tenant T (--data DIR | --server URL --token KEY)
  kefu kb eval --data DIR --questions FILE.jsonl [--tenant T] [-v]
`

func runKB(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, kbUsage)
		return 2
	}
	switch args[0] {
	case "ingest":
		return kbIngest(ctx, args[1:], stdout, stderr)
	case "catalog":
		if len(args) < 2 || args[1] != "import" {
			fmt.Fprint(stderr, kbUsage)
			return 2
		}
		return kbCatalogImport(ctx, args[2:], stdout, stderr)
	case "eval":
		return kbEval(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "kefu kb: unknown subcommand %q\n%s", args[0], kbUsage)
	return 2
}

// kbTarget is where kb commands write: a data folder's store or a server.
type kbTarget struct {
	tenant, data, server, token string
}

func (t *kbTarget) bind(fs *flag.FlagSet) {
	fs.StringVar(&t.tenant, "tenant", "", "tenant (required)")
	fs.StringVar(&t.data, "data", "", "data folder of the embedded store (DIR/kefu.db; works while kefu dev runs)")
	fs.StringVar(&t.server, "server", "", "central's base URL (through the REST API)")
	fs.StringVar(&t.token, "token", os.Getenv("KEFU_TOKEN"), "bearer token for --server (default $KEFU_TOKEN)")
}

func (t *kbTarget) check() error {
	switch {
	case t.tenant == "":
		return errors.New("--tenant is required")
	case (t.data == "") == (t.server == ""):
		return errors.New("give exactly one of --data DIR and --server URL")
	case t.server != "" && t.token == "":
		return errors.New("--server needs --token")
	}
	return nil
}

func (t *kbTarget) open(ctx context.Context) (store.Store, error) {
	path := filepath.Join(t.data, "kefu.db")
	if _, err := os.Stat(t.data); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	return store.OpenSQLite(ctx, path)
}

// post sends body to the server and decodes the JSON answer into out.
func (t *kbTarget) send(ctx context.Context, method, path string, ctype string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(t.server, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.token)
	req.Header.Set("Content-Type", ctype)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		var e struct{ Error string }
		_ = json.Unmarshal(b, &e)
		if e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, e.Error)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// parseInterleaved parses flags that may come after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// kbFile is one file to ingest: its name relative to the PATH given.
type kbFile struct{ path, name string }

func collectFiles(paths []string) ([]kbFile, error) {
	var out []kbFile
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if ingest.KindOf(p) == "" {
				return nil, fmt.Errorf("%s: %w", p, ingest.ErrUnsupported)
			}
			out = append(out, kbFile{p, filepath.Base(p)})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if ingest.KindOf(path) == "" || strings.HasPrefix(d.Name(), ".") {
				return nil // other files in a folder are skipped
			}
			rel, _ := filepath.Rel(p, path)
			out = append(out, kbFile{path, filepath.ToSlash(rel)})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// ingestSummary is the JSON kb ingest prints.
type ingestSummary struct {
	Documents int     `json:"documents"`
	Changed   int     `json:"changed"`
	Passages  int     `json:"passages"`
	FAQPairs  int     `json:"faq_pairs"`
	Entities  int     `json:"entities"`
	Seconds   float64 `json:"seconds"`
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func kbIngest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu kb ingest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t kbTarget
	t.bind(fs)
	noProgress := fs.Bool("no-progress", false, "no progress bar even on a terminal")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if err := t.check(); err != nil {
		return fail(stderr, fmt.Errorf("kb ingest: %w", err))
	}
	if len(paths) == 0 {
		return fail(stderr, errors.New("kb ingest: no PATH given"))
	}
	start := time.Now()
	files, err := collectFiles(paths)
	if err != nil {
		return fail(stderr, fmt.Errorf("kb ingest: %w", err))
	}
	if len(files) == 0 {
		return fail(stderr, errors.New("kb ingest: no .md .html .txt .pdf .csv .xlsx file under the given paths"))
	}
	var bar *progressbar.ProgressBar
	if !*noProgress && isTerminal(stderr) {
		bar = progressbar.NewOptions(len(files), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("ingest"),
			progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(50*time.Millisecond))
	}
	var sum ingestSummary
	if t.server != "" {
		for _, f := range files {
			b, err := os.ReadFile(f.path)
			if err != nil {
				return fail(stderr, err)
			}
			var s central.IngestSummary
			if err := t.send(ctx, http.MethodPost, "/v1/knowledge/documents?name="+url.QueryEscape(f.name), "application/octet-stream", b, &s); err != nil {
				return fail(stderr, fmt.Errorf("kb ingest %s: %w", f.path, err))
			}
			sum.Documents, sum.Changed = sum.Documents+s.Documents, sum.Changed+s.Changed
			sum.Passages, sum.FAQPairs, sum.Entities = sum.Passages+s.Passages, sum.FAQPairs+s.FAQPairs, sum.Entities+s.Entities
			if bar != nil {
				_ = bar.Add(1)
			}
		}
	} else {
		st, err := t.open(ctx)
		if err != nil {
			return fail(stderr, fmt.Errorf("kb ingest: %w", err))
		}
		defer st.Close()
		// Parse everything first (a bad file stores nothing), then store
		// in one transaction.
		data := map[string][]byte{}
		for _, f := range files {
			b, err := os.ReadFile(f.path)
			if err != nil {
				return fail(stderr, err)
			}
			if _, err := knowledge.Prepare(f.name, b); err != nil {
				return fail(stderr, fmt.Errorf("kb ingest: %w", err))
			}
			data[f.name] = b
			if bar != nil {
				_ = bar.Add(1)
			}
		}
		s, err := central.IngestFiles(ctx, st, t.tenant, data, "", nil)
		if err != nil {
			return fail(stderr, fmt.Errorf("kb ingest: %w", err))
		}
		sum.Documents, sum.Changed, sum.Passages, sum.FAQPairs, sum.Entities = s.Documents, s.Changed, s.Passages, s.FAQPairs, s.Entities
	}
	if bar != nil {
		_ = bar.Finish()
	}
	sum.Seconds = float64(time.Since(start).Milliseconds()) / 1000
	enc := json.NewEncoder(stdout)
	_ = enc.Encode(sum)
	return 0
}

func kbCatalogImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu kb catalog import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var t kbTarget
	t.bind(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if err := t.check(); err != nil {
		return fail(stderr, fmt.Errorf("kb catalog import: %w", err))
	}
	if len(pos) != 1 {
		return fail(stderr, errors.New("kb catalog import: give one FILE.csv"))
	}
	start := time.Now()
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	ps, err := knowledge.ParseCatalogCSV(b)
	if err != nil {
		return fail(stderr, fmt.Errorf("kb catalog import %s: %w", pos[0], err))
	}
	if t.server != "" {
		for i := 0; i < len(ps); i += 500 {
			body, _ := json.Marshal(ps[i:min(i+500, len(ps))])
			if err := t.send(ctx, http.MethodPost, "/v1/catalog/items", "application/json", body, nil); err != nil {
				return fail(stderr, fmt.Errorf("kb catalog import: %w", err))
			}
		}
	} else {
		st, err := t.open(ctx)
		if err != nil {
			return fail(stderr, fmt.Errorf("kb catalog import: %w", err))
		}
		defer st.Close()
		if err := central.PutProducts(ctx, st, t.tenant, ps, nil); err != nil {
			return fail(stderr, fmt.Errorf("kb catalog import: %w", err))
		}
	}
	products := map[string]bool{}
	for _, p := range ps {
		products[strings.ToLower(p.Name)] = true
	}
	_ = json.NewEncoder(stdout).Encode(map[string]any{"items": len(ps), "products": len(products), "seconds": float64(time.Since(start).Milliseconds()) / 1000})
	return 0
}

// evalQuestion is one line of a kb eval questions file.
type evalQuestion struct {
	Q          string   `json:"q"`
	Lang       string   `json:"lang,omitempty"`
	SKU        string   `json:"sku,omitempty"`
	ExpectDoc  string   `json:"expect_doc,omitempty"`
	ExpectDocs []string `json:"expect_docs,omitempty"`
	Expect     []string `json:"expect,omitempty"`
}

func kbEval(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kefu kb eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "data folder of the store holding the tenant's knowledge (required)")
	questions := fs.String("questions", "", "questions, JSON lines: {\"q\":…, \"expect_doc\":…} or {\"q\":…, \"expect\":[\"fact\",…]} (required)")
	tenant := fs.String("tenant", "demo", "tenant")
	verbose := fs.Bool("v", false, "print every miss")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if *data == "" || *questions == "" {
		return fail(stderr, errors.New("kb eval: --data and --questions are required"))
	}
	qs, err := readQuestions(*questions)
	if err != nil {
		return fail(stderr, fmt.Errorf("kb eval: %w", err))
	}
	st, err := (&kbTarget{data: *data}).open(ctx)
	if err != nil {
		return fail(stderr, fmt.Errorf("kb eval: %w", err))
	}
	defer st.Close()
	loadStart := time.Now()
	hub, err := loadHub(ctx, st, *tenant)
	if err != nil {
		return fail(stderr, fmt.Errorf("kb eval: %w", err))
	}
	defer hub.Close()
	if hub.Stats(*tenant).Documents == 0 {
		return fail(stderr, fmt.Errorf("kb eval: tenant %q has no documents in %s", *tenant, *data))
	}
	loadMS := float64(time.Since(loadStart).Microseconds()) / 1000
	res := evalHub(ctx, hub, *tenant, qs, stderr, *verbose)
	res.LoadMS = round4(loadMS)
	_ = json.NewEncoder(stdout).Encode(res)
	return 0
}

// evalResult is what kb eval prints.
type evalResult struct {
	Questions int     `json:"questions"`
	Top1      float64 `json:"top1"`
	Top3      float64 `json:"top3"`
	// Confident is the share answered without a clarifying question or fallback.
	Confident float64 `json:"confident"`
	// WrongConfident counts confident answers whose top document was wrong.
	WrongConfident int     `json:"wrong_confident"`
	MsPerQuestion  float64 `json:"ms_per_question"`
	// LoadMS is how long reading the store and building the index took.
	LoadMS float64 `json:"load_ms"`
}

func evalHub(ctx context.Context, hub *knowledge.Hub, tenant string, qs []evalQuestion, stderr io.Writer, verbose bool) evalResult {
	var r evalResult
	r.Questions = len(qs)
	var top1, top3, conf int
	start := time.Now()
	for _, q := range qs {
		a, err := hub.Ask(ctx, tenant, knowledge.Question{Text: q.Q, Lang: q.Lang, SKU: q.SKU})
		if err != nil {
			fmt.Fprintln(stderr, "kb eval:", err)
			continue
		}
		hit := func(i int) bool {
			if i >= len(a.Ranked) && !(a.Kind == knowledge.AnswerProduct && i == 0) {
				return false
			}
			if len(q.Expect) > 0 {
				text := a.Text
				if a.Kind != knowledge.AnswerProduct {
					text = a.Ranked[i].Text
				}
				for _, f := range q.Expect {
					if !strings.Contains(strings.ToLower(text), strings.ToLower(f)) {
						return false
					}
				}
				return true
			}
			if a.Kind == knowledge.AnswerProduct {
				return false
			}
			want := append([]string{q.ExpectDoc}, q.ExpectDocs...)
			return slices.Contains(want, a.Ranked[i].Doc)
		}
		ok1 := hit(0)
		ok3 := ok1 || hit(1) || hit(2)
		if ok1 {
			top1++
		}
		if ok3 {
			top3++
		}
		if a.Confident() {
			conf++
			if !ok1 {
				r.WrongConfident++
			}
		}
		if verbose && !ok1 {
			got := ""
			if len(a.Ranked) > 0 {
				got = a.Ranked[0].Doc
			}
			fmt.Fprintf(stderr, "miss %q: want %s%v, got %s (%s %.2f)\n", q.Q, q.ExpectDoc, q.Expect, got, a.Kind, a.Confidence)
		}
	}
	n := float64(max(len(qs), 1))
	r.Top1, r.Top3, r.Confident = round4(float64(top1)/n), round4(float64(top3)/n), round4(float64(conf)/n)
	r.MsPerQuestion = round4(float64(time.Since(start).Microseconds()) / 1000 / n)
	return r
}

func round4(f float64) float64 { return float64(int(f*10000+0.5)) / 10000 }

func readQuestions(path string) ([]evalQuestion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []evalQuestion
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		var q evalQuestion
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if q.Q == "" || (q.ExpectDoc == "" && len(q.ExpectDocs) == 0 && len(q.Expect) == 0) {
			return nil, fmt.Errorf("%s:%d: needs q and expect_doc or expect", path, n)
		}
		out = append(out, q)
	}
	return out, sc.Err()
}

// loadHub loads one tenant's knowledge from a store into a new Hub.
func loadHub(ctx context.Context, st store.Store, tenant string) (*knowledge.Hub, error) {
	stored, err := st.Documents(ctx, tenant, false)
	if err != nil {
		return nil, err
	}
	docs := make([]knowledge.Doc, 0, len(stored))
	for _, d := range stored {
		der, err := knowledge.DecodeDerived(d.Derived)
		if err != nil {
			return nil, err
		}
		docs = append(docs, knowledge.Doc{ID: d.ID, Title: d.Title, Version: d.Version, Derived: der})
	}
	items, err := st.CatalogItems(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var ps []knowledge.Product
	for _, it := range items {
		var p knowledge.Product
		if err := json.Unmarshal(it.Data, &p); err == nil {
			ps = append(ps, p)
		}
	}
	h := knowledge.NewHub(knowledge.HubOptions{})
	if err := h.Load(ctx, tenant, docs, ps); err != nil {
		return nil, err
	}
	return h, nil
}
