// Package browsertest starts Debian's headless chromium for the tests that
// drive real pages with chromedp, with the flags a machine without internet
// needs (no background networking, component updates or sync) and a fresh
// user-data-dir per test. `make test` installs chromium; without it a test
// fails when CI is set and is skipped on a developer machine.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/internal/poll"
)

// Exec returns the path of the chromium binary ($CHROME_PATH first).
func Exec(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (make test installs it)")
	}
	t.Skip("chromium is not installed; run `make chromium`")
	return ""
}

// New starts a browser and returns a context of its first tab, with a
// deadline of timeout for the test's steps. Everything is closed when the
// test ends. Further tabs: chromedp.NewContext(ctx) (same profile) or
// chromedp.NewContext(ctx, chromedp.WithNewBrowserContext()) (isolated).
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Exec(t)), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1280, 860))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first call starts the browser and must not carry the deadline.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("browsertest: start chromium: %v", err)
	}
	// Runs before the tab is closed (cleanups run last first).
	t.Cleanup(func() { logPage(t, bctx) })
	// The deadline only bounds a hung test; a shared CI machine may be
	// several times slower than a developer's (poll.Scale).
	ctx, cancel := context.WithTimeout(bctx, poll.Scale(timeout))
	t.Cleanup(cancel)
	return ctx
}

// logPage logs what the first tab shows when the test failed, so that a
// failure seen only in CI's output (often a step's deadline) says on which
// page and in which state the test stopped.
func logPage(t testing.TB, tab context.Context) {
	if !t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(tab, 10*time.Second)
	defer cancel()
	page, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText : "")`))
	if err != nil {
		t.Logf("browsertest: the page at failure: %v", err)
		return
	}
	const max = 3000
	if len(page) > max {
		page = page[:max] + "…"
	}
	t.Logf("browsertest: the page at failure (URL, then its visible text):\n%s", page)
}

// Do runs steps in order like chromedp.Do, but runs a step again (up to
// five times, 100 ms apart) when the node it found was replaced before it
// acted on it: a list the page re-renders between chromedp's query and its
// click answers "Could not find node with given id", and a script run just
// after a page loaded can meet its first execution context replaced ("Cannot
// find context with specified id"). Any other error ends at once, wrapped
// with the number of the step that failed.
func Do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	for i, step := range steps {
		if err := retryStale(ctx, step); err != nil {
			return fmt.Errorf("browsertest: step %d of %d: %w", i+1, len(steps), err)
		}
	}
	return nil
}

func retryStale(ctx context.Context, step chromedp.Action[chromedp.Void]) error {
	var err error
	for try := 0; try < 5; try++ {
		if err = chromedp.Do(ctx, step); err == nil || !staleNode(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
	return err
}

func staleNode(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Could not find node with given id") || strings.Contains(s, "Node is detached") ||
		strings.Contains(s, "Cannot find context with specified id")
}
