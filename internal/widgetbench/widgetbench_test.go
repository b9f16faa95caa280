package widgetbench

import (
	"strings"
	"testing"

	"github.com/kefu-io/kefu/internal/browsertest"
)

// Issue 13's budgets, counted as `kefu bench widget` counts them: bytes the
// page receives on the wire (headers plus compressed bodies, from
// chromium's network events).
const (
	firstPaintBudget = 10_000  // before the launcher is visible
	afterThreeBudget = 600_000 // after opening the chat and three questions
)

// TestFirstPaintBudget opens the demo page once per UI language and checks
// the bytes that arrived before the launcher showed.
func TestFirstPaintBudget(t *testing.T) {
	o := Options{Chromium: browsertest.Exec(t)}
	list, err := RunLangs(t.Context(), o, UILangs)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(UILangs) {
		t.Fatalf("measured %d languages, want %d", len(list), len(UILangs))
	}
	for _, b := range list {
		t.Logf("%s: bootstrap %d B, loader %d B, before the launcher %d B", b.Lang, b.Bootstrap, b.Loader, b.FirstPaint)
		if b.Bootstrap == 0 || b.Loader == 0 {
			t.Errorf("%s: bootstrap %d B, loader %d B: the page did not fetch both", b.Lang, b.Bootstrap, b.Loader)
		}
		if b.FirstPaint > firstPaintBudget {
			t.Errorf("%s: %d B on the wire before the launcher showed, budget %d", b.Lang, b.FirstPaint, firstPaintBudget)
		}
	}
}

// TestAfterThreeQuestionsBudget opens the chat, asks three questions (the
// first before the core is ready: it must go over the WebSocket at once)
// and checks every widget byte received by then, the core and the models
// included.
func TestAfterThreeQuestionsBudget(t *testing.T) {
	r, err := Run(t.Context(), Options{Chromium: browsertest.Exec(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("before the launcher %d B, after three questions %d B", r.FirstPaint, r.AfterThree)
	if !r.RemoteFirst {
		t.Error("the first question waited for the core instead of going over the WebSocket")
	}
	var core bool
	for _, q := range r.Requests {
		core = core || strings.HasSuffix(q.URL, ".wasm")
	}
	if !core {
		t.Errorf("no WASM core among the requests after three questions: %+v", r.Requests)
	}
	if r.AfterThree > afterThreeBudget {
		t.Errorf("%d B on the wire after three questions, budget %d", r.AfterThree, afterThreeBudget)
	}
}

// TestMainRejectsUnknownPace: a mistyped --pace stops before any stack or
// browser starts, rather than timing a pace nobody asked for.
func TestMainRejectsUnknownPace(t *testing.T) {
	for _, pace := range []string{"fast", "", "Paint"} {
		var out, errs strings.Builder
		if code := Main(t.Context(), []string{"--pace", pace}, nil, &out, &errs); code != 2 {
			t.Errorf("--pace %q: exit %d, want 2 (stderr %q)", pace, code, errs.String())
		}
	}
}
