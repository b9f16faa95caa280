package widgetbench

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/kefu-io/kefu/chat"
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

// TestAfterThreeQuestionsBudget opens the chat on every UI language's
// page, asks three questions in the page's language (the first before the
// core is ready: it must go over the WebSocket at once) and checks every
// widget byte received by then, the core and the models (each page fetches
// its language's intent pair) included. A shopper who writes Chinese on
// the English page fits too: the widget fetches no English pack for them.
func TestAfterThreeQuestionsBudget(t *testing.T) {
	exe := browsertest.Exec(t)
	type page struct{ lang, ask string }
	var pages []page
	for _, lang := range UILangs {
		pages = append(pages, page{lang, AskPage})
	}
	pages = append(pages, page{"en", "zh"})
	for _, p := range pages {
		lang := p.lang
		name := lang
		if p.ask != AskPage {
			name += "/ask-" + p.ask
		}
		t.Run(name, func(t *testing.T) {
			r, err := Run(t.Context(), Options{Chromium: exe, Lang: lang, Ask: p.ask})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: before the launcher %d B, after three questions %d B", lang, r.FirstPaint, r.AfterThree)
			if !r.RemoteFirst {
				t.Error("the first question waited for the core instead of going over the WebSocket")
			}
			var core, intent bool
			for _, q := range r.Requests {
				core = core || strings.HasSuffix(q.URL, ".wasm")
				intent = intent || strings.Contains(q.URL, "/w/models/intent")
				if p.ask != AskPage && strings.Contains(q.URL, "/w/faq/"+lang+".json") {
					t.Errorf("the page's FAQ pack fetched for a shopper writing %s: %s", p.ask, q.URL)
				}
			}
			if !core || !intent {
				t.Errorf("core fetched %v, intent model fetched %v after three questions: %+v", core, intent, r.Requests)
			}
			if r.AfterThree > afterThreeBudget {
				t.Errorf("%d B on the wire after three questions, budget %d", r.AfterThree, afterThreeBudget)
			}
		})
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

// TestQuestionsFor: the bytes run asks in the page's language unless told
// another, and every question is a paraphrase of the demo FAQ pack (so a
// page's shopper asks what its pack answers).
func TestQuestionsFor(t *testing.T) {
	for _, c := range []struct{ ask, lang, want string }{
		{"", "", "What is your return policy?"},
		{AskPage, "en", "What is your return policy?"},
		{AskPage, "es", "¿Cuál es su política de devoluciones?"},
		{AskPage, "zh-CN", "退货政策是什么?"},
		{AskPage, "zh-TW", "退貨政策是什麼?"},
		{"en", "es", "What is your return policy?"},
		{"ja", "ar", "返品ポリシーを教えてください"},
	} {
		if got := questionsFor(c.ask, c.lang)[0]; got != c.want {
			t.Errorf("questionsFor(%q, %q)[0] = %q, want %q", c.ask, c.lang, got, c.want)
		}
	}
	b, err := os.ReadFile("../../assets/faq/default.json")
	if err != nil {
		t.Fatal(err)
	}
	var pack chat.FAQPack
	if err := json.Unmarshal(b, &pack); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"Which payment methods do you accept?": true} // the bench's English wording since 3 December
	for _, e := range pack.Entries {
		for _, qs := range e.Questions {
			for _, q := range qs {
				known[q] = true
			}
		}
	}
	for lang, qs := range threeQuestions {
		for _, q := range qs {
			if !known[q] {
				t.Errorf("%s: %q is not in the demo FAQ pack", lang, q)
			}
		}
	}
	for _, l := range UILangs {
		if l != "en" && questionsFor(AskPage, l) == threeQuestions["en"] {
			t.Errorf("page %s asks in English", l)
		}
	}
}

// TestMainRejectsUnknownAsk: a mistyped --ask stops before anything starts.
func TestMainRejectsUnknownAsk(t *testing.T) {
	var out, errs strings.Builder
	if code := Main(t.Context(), []string{"--ask", "english"}, nil, &out, &errs); code != 2 {
		t.Errorf("--ask english: exit %d, want 2 (stderr %q)", code, errs.String())
	}
}
