package central

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/internal/browsertest"
)

// TestKnowledgePageInBrowser drives the console's knowledge page in
// headless Chromium: the documents table, a test question with its source,
// a gap drafted and approved, and the approved answer live.
func TestKnowledgePageInBrowser(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	a := newApp(t, s)
	addr := listen(t, a.app)
	bg := context.Background()
	if _, err := s.IngestFiles(bg, "demo", map[string][]byte{"returns.md": []byte(returnsDoc)}, ""); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"do you engrave rings", "ring engraving?", "can you engrave my ring"} {
		if err := s.Store().RecordMiss(bg, store.Miss{Tenant: "demo", Text: q, Lang: "en", Reason: "fallback"}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t, 60*time.Second)
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := browsertest.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	run(
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="knowledge.html"]`)),
		chromedp.Click(chromedp.CSS(`a[href="knowledge.html"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-docs tr[data-id="returns"]`)),
		chromedp.SetValue(chromedp.ID("kb-q"), "can I return headphones?"),
		chromedp.Click(chromedp.CSS(`#kb-ask button`)),
		chromedp.WaitVisible(chromedp.ID("kb-answer-text")),
	)
	if got := text("#kb-answer"); !strings.Contains(got, "14 days") || !strings.Contains(got, "Source: Returns") {
		t.Fatalf("answer shown: %q", got)
	}
	run(
		chromedp.WaitVisible(chromedp.CSS(`#kb-gaps li[data-gap] button`)),
		chromedp.Click(chromedp.CSS(`#kb-gaps li[data-gap] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-drafts li[data-draft] textarea`)),
		chromedp.SetValue(chromedp.CSS(`#kb-drafts li[data-draft] textarea`), "Yes, we engrave rings for free: up to 20 characters."),
		chromedp.Click(chromedp.CSS(`#kb-drafts li[data-draft] button.primary`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#kb-drafts li[data-draft] button.primary`)),
	)
	deadline := time.Now().Add(10 * time.Second)
	for {
		run(chromedp.SetValue(chromedp.ID("kb-q"), "do you engrave rings?"), chromedp.Click(chromedp.CSS(`#kb-ask button`)),
			chromedp.Sleep(200*time.Millisecond))
		if strings.Contains(text("#kb-answer"), "engrave rings for free") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("approved draft not answering: %q", text("#kb-answer"))
		}
	}
}
