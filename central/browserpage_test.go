package central

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/internal/browsertest"
)

// browserPage is one headless chromium tab of a console test: each step
// fails the test on error.
type browserPage struct {
	t       *testing.T
	ctx     context.Context
	quality int // screenshot quality: 100 is PNG
}

func newBrowserPage(t *testing.T, timeout time.Duration) *browserPage {
	return &browserPage{t: t, ctx: browsertest.New(t, timeout), quality: 100}
}

// do runs steps in order.
func (p *browserPage) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := browsertest.Do(p.ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

// text is the visible text of the first node sel matches.
func (p *browserPage) text(sel chromedp.CSS) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Text(sel))
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// shot saves a full-page screenshot as test-artifacts/name and returns its path.
func (p *browserPage) shot(name string) string {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(p.quality))
	if err != nil {
		p.t.Fatal(err)
	}
	path := filepath.Join(artifactDir(p.t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}
