package central

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestKnowledgeTopicsInBrowser drives the knowledge page's topic tree,
// weekly hot topics and hot-topic templates in headless Chromium: a topic
// added under Shipping labels a gap, its rename reaches the label, the
// documents filter by it; this week's new kind of question is flagged;
// enabling the template whose window is open makes its entry an answer at
// central. Screenshots: test-artifacts/knowledge-topics-desktop.png and
// knowledge-topics-phone.png (390 px).
func TestKnowledgeTopicsInBrowser(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.NoShippedModels = true // no intent model: the new kind of question clusters by its words
	s := e.start(cfg)
	a := newApp(t, s)
	addr := listen(t, a.app)
	for name, doc := range map[string]string{"returns.md": returnsDoc, "canary.md": canaryDoc} {
		if _, err := s.IngestFiles(bg, "demo", map[string][]byte{name: []byte(doc)}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Four misses: more than the three llama questions below, which are misses too.
	for _, q := range []string{"can you send to the canary islands by air", "canary islands air freight?", "air mail to the canary islands?", "canary island air parcel"} {
		if err := s.Store().RecordMiss(bg, store.Miss{Tenant: "demo", Text: q, Lang: "en", Reason: "fallback"}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for i, q := range []string{"velvet llama plush colours", "velvet llama plush colours list", "velvet llama plush colours? anna@mail.io"} {
		en := envelope("demo", fmt.Sprintf("vb%d", i), fmt.Sprintf("cb%d", i), chat.NewID(), q, "en")
		ids = append(ids, en.Message.ID)
		e.publish(en)
	}
	poll.Until(t, 20*time.Second, func() error {
		for _, id := range ids {
			if _, err := s.Store().Message(bg, "demo", id); err != nil {
				return err
			}
		}
		return nil
	})
	// The template whose window is open today.
	var open string
	ts, err := s.Templates(bg, "demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range ts {
		if tp.Window.Contains(time.Now()) {
			open = tp.ID
		}
	}

	p := newBrowserPage(t, 120*time.Second)
	do, text := p.do, p.text
	do(
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("http://"+addr+"/console/"),
		chromedp.WaitVisible(chromedp.ID("login-email")),
		chromedp.SetValue(chromedp.ID("login-email"), demoEmail),
		chromedp.SetValue(chromedp.ID("login-password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="knowledge.html"]`)),
		chromedp.Click(chromedp.CSS(`a[href="knowledge.html"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-topics li[data-topic="shipping"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-topics li[data-topic="gift-wrapping"]`)), // declared by canary.md
		chromedp.SetValue(chromedp.ID("kb-topic-name"), "Islands"),
		chromedp.SetValue(chromedp.ID("kb-topic-words"), "canary, island, 加那利"),
		chromedp.SetValue(chromedp.ID("kb-topic-parent"), "shipping"),
		chromedp.Click(chromedp.CSS(`#kb-topic-add button`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-topics li[data-topic="shipping"] li[data-topic="islands"]`)),
	)
	waitText := func(sel chromedp.CSS, want string) {
		t.Helper()
		poll.Until(t, 20*time.Second, func() error {
			v, err := chromedp.Run(p.ctx, chromedp.Text(sel))
			if err != nil || !strings.Contains(v, want) {
				return fmt.Errorf("%s shows %q (%v), want %q", sel, v, err, want)
			}
			return nil
		})
	}
	waitText(`#kb-gaps li[data-gap] .kb-gap-label`, "Islands")
	do(
		chromedp.Click(chromedp.CSS(`#kb-topics li[data-topic="islands"] button[data-action="edit"]`)),
		chromedp.WaitVisible(chromedp.ID("kb-topic-edit")),
		chromedp.SetValue(chromedp.ID("kb-topic-edit-name"), "Islands & territories"),
		chromedp.Click(chromedp.ID("kb-topic-save")),
	)
	waitText(`#kb-gaps li[data-gap] .kb-gap-label`, "Islands & territories")
	waitText(`#kb-topics li[data-topic="islands"] .kb-topic-name`, "Islands & territories")
	// pick chooses an option of a select as a user does: it changes and says so.
	pick := func(id, v string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(function(){var s=document.getElementById('` + id + `');s.value='` + v +
			`';s.dispatchEvent(new Event('change'))})()`)
	}
	do(
		pick("kb-topic-filter", "islands"),
		chromedp.WaitVisible(chromedp.CSS(`#kb-docs tr[data-id="canary"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#kb-docs tr[data-id="returns"]`)),
	)
	// This week's hot topics: the llama questions are new, the e-mail masked.
	waitText(`#kb-hot tr[data-hot] .kb-badge`, "new")
	if gaps := text(`#kb-gaps`); strings.Contains(gaps, "anna@mail.io") {
		t.Errorf("gaps show an unmasked e-mail: %q", gaps)
	}
	if hot := text(`#kb-hot tbody`); !strings.Contains(hot, "llama") || strings.Contains(hot, "anna@mail.io") || !strings.Contains(hot, "[EMAIL]") {
		t.Errorf("hot topics: %q", hot)
	}
	if open != "" {
		do(
			chromedp.Click(chromedp.CSS(`#kb-templates li[data-template="` + open + `"] input[type="checkbox"]`)),
		)
		waitText(chromedp.CSS(`#kb-templates li[data-template="`+open+`"]`), "live now")
		var q string
		for _, tp := range ts {
			if tp.ID == open {
				q = tp.Entries[0].Questions["en"][0]
			}
		}
		poll.Until(t, 20*time.Second, func() error {
			a, err := s.Hub().Ask(bg, "demo", knowledge.Question{Text: q, Lang: "en"})
			if err != nil || !a.Confident() || !strings.Contains(a.Sources[0].Doc, "hot-"+open) {
				return fmt.Errorf("%q answered %s %q (%v)", q, a.Kind, a.Text, err)
			}
			return nil
		})
	} else {
		t.Logf("no built-in template's window is open today: the toggle is not exercised")
	}
	do(pick("kb-topic-filter", ""), chromedp.WaitVisible(chromedp.CSS(`#kb-docs tr[data-id="returns"]`)))
	t.Logf("screenshot %s", p.shot("knowledge-topics-desktop.png"))
	do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#kb-topics li[data-topic="islands"]`)), chromedp.WaitVisible(chromedp.CSS(`#kb-hot tr[data-hot]`)))
	t.Logf("screenshot %s", p.shot("knowledge-topics-phone.png"))
}
