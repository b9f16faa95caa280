package stack

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // decode what central stored
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/internal/browsertest"
	"github.com/kefu-io/kefu/internal/photo/phototest"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestPhotoInBrowser: a shopper picks a JPEG whose EXIF holds a GPS
// position with the widget's file input in real chromium; the widget
// re-encodes it, uploads it to the edge and sends it; central stores a
// JPEG without any EXIF, and the agent sees the picture in the console. A
// file of the wrong type and an oversize one are refused in the page with
// a clear message, and nothing is uploaded.
func TestPhotoInBrowser(t *testing.T) {
	t.Parallel()
	requireBuilt(t)
	s, err := Start(t.Context(), Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PluginCache: testPluginCache(), AgentPassword: "photo-secret",
		Logger: quietLogger(), NoDemoKnowledge: true})
	must(t, err)
	defer s.Close()
	st, err := store.OpenSQLite(t.Context(), s.DBPath)
	must(t, err)
	defer st.Close()

	file := filepath.Join(t.TempDir(), "IMG_0042.jpg")
	orig := phototest.JPEGWithGPS(2400, 1800) // over the widget's 1600 px: scaled down
	must(t, os.WriteFile(file, orig, 0o600))

	shop := browsertest.New(t, 120*time.Second)
	must(t, browsertest.Do(shop,
		chromedp.Navigate(s.URL+"/demo/"),
		chromedp.Poll[chromedp.Void](`window.Kefu && Kefu.version === '2'`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate[chromedp.Void](`window.__msgs = []; window.__acc = []; Kefu.on('message', m => __msgs.push(m)); Kefu.open(); true`),
	))
	root := `document.getElementById('kefu-widget').shadowRoot`
	must(t, browsertest.Do(shop,
		chromedp.Poll[chromedp.Void](root+`.querySelector('button.attach[aria-label="Attach a photo"]')`, chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.SetUploadFiles(chromedp.JSPath(root+`.querySelector('input[type=file]')`), []string{file}),
	))
	// The message shows a thumbnail and is accepted by the edge.
	must(t, browsertest.Do(shop, chromedp.Poll[chromedp.Void](root+`.querySelector('.row.shopper .bubble.photo canvas') && !`+root+`.querySelector('.row.shopper.failed')`,
		chromedp.WithPollingTimeout(20*time.Second))))
	visitor, err := chromedp.Run(shop, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem('kefu:demo:visitor'))`))
	must(t, err)

	var stored []byte
	var conv string
	poll.Until(t, 20*time.Second, func() error {
		c, err := st.LatestConversation(t.Context(), DemoSite, visitor)
		if err != nil {
			return err
		}
		atts, err := st.ConversationAttachments(t.Context(), DemoSite, c.ID)
		if err != nil {
			return err
		}
		for _, list := range atts {
			a, _, err := st.Attachment(t.Context(), DemoSite, list[0].ID)
			if err != nil {
				return err
			}
			stored, conv = a.Data, c.ID
			return nil
		}
		return fmt.Errorf("no photo stored yet")
	})
	if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, phototest.GPSMarker) {
		t.Fatal("central stored the photo with its EXIF GPS block")
	}
	img, format, err := image.Decode(bytes.NewReader(stored))
	if err != nil || format != "jpeg" {
		t.Fatalf("stored photo does not decode as JPEG: %v %s", err, format)
	}
	if b := img.Bounds(); b.Dx() != 1600 || b.Dy() != 1200 {
		t.Fatalf("stored photo is %v, want 1600×1200 (scaled in the page)", b)
	}

	t.Run("wrong type and oversize are refused in the page", func(t *testing.T) {
		for _, tt := range []struct{ js, code, text string }{
			{`new File([new TextEncoder().encode('GIF89a')], 'a.gif', {type: 'image/gif'})`, "bad_type", "Please choose a JPEG, PNG or WebP photo."},
			{`new File([new Uint8Array(11 * 1024 * 1024)], 'big.jpg', {type: 'image/jpeg'})`, "too_large", "That photo is too large (the limit is 10 MB)."},
			{`new File([new TextEncoder().encode('<html>not a photo</html>')], 'x.jpg', {type: 'image/jpeg'})`, "bad_type", "Please choose a JPEG, PNG or WebP photo."},
		} {
			got, err := chromedp.Run(shop, chromedp.Evaluate[[]string](`Kefu.sendPhoto(`+tt.js+`).then(() => ['sent'], e => [e.code, e.message])`, chromedp.EvalAwaitPromise))
			if err != nil || len(got) != 2 || got[0] != tt.code || !strings.Contains(got[1], tt.text) {
				t.Fatalf("sendPhoto(%s) = %v, %v; want %s", tt.js, got, err, tt.code)
			}
			shown, err := chromedp.Run(shop, chromedp.Evaluate[string](`[...`+root+`.querySelectorAll('.system.warn')].map(e => e.textContent).pop() || ''`))
			if err != nil || shown != tt.text {
				t.Fatalf("notice %q, want %q", shown, tt.text)
			}
		}
		atts, err := st.ConversationAttachments(t.Context(), DemoSite, conv)
		if err != nil || len(atts) != 1 {
			t.Fatalf("photos stored: %v %v; want only the first", atts, err)
		}
	})

	t.Run("the agent sees the photo in the console", func(t *testing.T) {
		agent, cancel := chromedp.NewContext(shop, chromedp.WithNewBrowserContext())
		defer cancel()
		must(t, browsertest.Do(agent,
			chromedp.Navigate(s.URL+"/console/"),
			chromedp.WaitVisible(chromedp.CSS(`#login-email`)),
			chromedp.SendKeys(chromedp.CSS(`#login-email`), s.AgentEmail),
			chromedp.SendKeys(chromedp.CSS(`#login-password`), s.AgentPassword),
			chromedp.Click(chromedp.CSS(`#login-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#list li`)),
			chromedp.Click(chromedp.CSS(`#list li`)),
			chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector('#messages img.photo'); return i && i.complete && i.naturalWidth === 1600; })()`,
				chromedp.WithPollingTimeout(20*time.Second)),
		))
		screenshot(t, agent, "console-photo.png")
	})
}
