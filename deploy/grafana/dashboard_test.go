package grafana

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDashboard: kefu.json is a Grafana dashboard whose every panel
// queries something, and every kefu_* metric it queries is declared in
// the code (a renamed metric would leave an empty panel).
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("kefu.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Title  string `json:"title"`
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("kefu.json: %v", err)
	}
	if d.UID == "" || d.Title == "" {
		t.Fatalf("uid %q, title %q", d.UID, d.Title)
	}
	declared := declaredMetrics(t)
	metric := regexp.MustCompile(`\b(kefu_[a-z0-9_]+)`)
	queried, graphs := 0, 0
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		graphs++
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
			for _, m := range metric.FindAllString(tg.Expr, -1) {
				queried++
				base := m
				for _, suf := range []string{"_bucket", "_sum", "_count"} {
					base = strings.TrimSuffix(base, suf)
				}
				if !declared[base] {
					t.Errorf("panel %q queries %s, which no code declares", p.Title, m)
				}
			}
		}
	}
	if graphs < 10 || queried < 15 {
		t.Fatalf("%d panels querying %d kefu metrics: an edge and central dashboard needs more", graphs, queried)
	}
}

// declaredMetrics scans the module's Go sources for Prometheus metric
// names: Name: "kefu_…", or Namespace "kefu" + Subsystem + Name.
func declaredMetrics(t *testing.T) map[string]bool {
	t.Helper()
	full := regexp.MustCompile(`Name:\s*"(kefu_[a-z0-9_]+)"`)
	parts := regexp.MustCompile(`Namespace:\s*"kefu",\s*Subsystem:\s*"([a-z0-9_]+)",\s*Name:\s*"([a-z0-9_]+)"`)
	out := map[string]bool{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (e.Name() == "node_modules" || e.Name() == "third_party" || strings.HasPrefix(e.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range full.FindAllStringSubmatch(string(b), -1) {
			out[m[1]] = true
		}
		for _, m := range parts.FindAllStringSubmatch(string(b), -1) {
			out["kefu_"+m[1]+"_"+m[2]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !out["kefu_edge_connections"] || !out["kefu_central_queue_depth"] {
		t.Fatalf("the scan found no edge or central metrics: %v", out)
	}
	return out
}
