package edge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/edge/pluginhost"
	"github.com/kefu-io/kefu/internal/photo"
	"github.com/kefu-io/kefu/internal/photo/phototest"
)

// TestPhotoUpload: POST /w/upload keeps a cleaned photo and answers a
// token; a message frame naming the token is accepted, and its envelope on
// the inbound stream carries the photo without EXIF; plugins see only its
// description. Wrong types, oversize photos and unknown tokens are refused
// with a reason, and the connection stays usable.
func TestPhotoUpload(t *testing.T) {
	var mu sync.Mutex
	var seen []chat.Envelope
	h := newHarness(t, harnessOpts{config: func(c *edge.Config) {
		c.Plugins = inboundRecorder(func(e chat.Envelope) { mu.Lock(); seen = append(seen, e); mu.Unlock() })
	}})
	jpg := phototest.JPEGWithGPS(40, 30)
	upload := func(site, ctype string, body []byte) (int, map[string]any) {
		t.Helper()
		st, b, hdr := h.doFull("POST", "/w/upload?site="+site, http.Header{"Content-Type": {ctype}}, string(body))
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("upload answered %d %q (not JSON)", st, b)
		}
		if st == 201 && hdr.Get("Cache-Control") != "no-store" {
			t.Fatalf("upload answer cacheable: %q", hdr.Get("Cache-Control"))
		}
		return st, out
	}
	st, up := upload("demo", "image/jpeg", jpg)
	if st != 201 || up["type"] != "image/jpeg" || up["width"] != 40.0 || up["height"] != 30.0 || up["upload"] == "" {
		t.Fatalf("upload = %d %v", st, up)
	}
	if int(up["size"].(float64)) >= len(jpg) {
		t.Fatalf("kept %v bytes of %d: metadata not removed", up["size"], len(jpg))
	}

	c := h.dial("demo")
	w := c.hello(chat.Frame{Visitor: "v-photo"})
	id := chat.NewID()
	c.send(chat.Frame{Type: chat.FrameMessage, ID: id, Text: "📷 Photo", Upload: up["upload"].(string)})
	if a := c.expect(chat.FrameAccepted); a.ID != id || a.ConversationID != w.ConversationID {
		t.Fatalf("accepted %+v", a)
	}
	c.expect(chat.FrameMessage) // minicentral's echo
	got, err := h.resp.WaitInbound(waitCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	atts := got[0].Message.Attachments
	if len(atts) != 1 || atts[0].Type != photo.JPEG || len(atts[0].Data) != atts[0].Size || atts[0].Width != 40 || !chat.ValidID(atts[0].ID) || len(atts[0].SHA256) != 64 {
		t.Fatalf("envelope attachments %+v", atts)
	}
	if bytes.Contains(atts[0].Data, []byte("Exif")) || bytes.Contains(atts[0].Data, phototest.GPSMarker) {
		t.Fatal("the photo reached the inbound stream with its EXIF GPS block")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || len(seen[0].Message.Attachments) != 1 || seen[0].Message.Attachments[0].Data != nil {
		t.Fatalf("plugins saw %+v, want the description without bytes", seen)
	}

	for _, tt := range []struct {
		name, site, ctype string
		body              []byte
		status            int
		code, reason      string
	}{
		{"gif", "demo", "image/gif", []byte("GIF89a"), 415, "bad_type", "image/jpeg"},
		{"html as jpeg", "demo", "image/jpeg", []byte("<html><script>alert(1)</script></html>"), 415, "bad_type", "not a JPEG"},
		{"png bytes as jpeg", "demo", "image/jpeg", phototest.PNG(4, 4), 415, "bad_type", "declared image/jpeg"},
		{"oversize", "demo", "image/jpeg", append(append([]byte{}, jpg...), make([]byte, photo.MaxBytes)...), 413, chat.CodeTooLarge, "limit"},
		{"broken jpeg", "demo", "image/jpeg", jpg[:60], 400, "bad_image", "malformed"},
		{"unknown site", "nope", "image/jpeg", jpg, 403, "unknown_site", "unknown site"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, out := upload(tt.site, tt.ctype, tt.body)
			if st != tt.status || out["code"] != tt.code || !strings.Contains(out["error"].(string), tt.reason) {
				t.Fatalf("= %d %v, want %d %s (%q)", st, out, tt.status, tt.code, tt.reason)
			}
		})
	}

	// A token the edge does not hold, or another site's, is refused.
	_, other := upload("demo", "image/png", phototest.PNG(8, 8))
	for _, tok := range []string{"nosuchtoken", other["upload"].(string) + "x"} {
		c.send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "📷 Photo", Upload: tok})
		c.expectError(chat.CodeUploadExpired)
	}
	c.send(chat.Frame{Type: chat.FrameMessage, ID: chat.NewID(), Text: "📷", Upload: "bad token!"})
	c.expectError(chat.CodeBadFrame)
	c.alive()
}

// inboundRecorder passes everything and hands each inbound envelope the
// plugins see to its function.
type inboundRecorder func(chat.Envelope)

func (r inboundRecorder) Run(ctx context.Context, region string, hook pluginhost.Hook, env chat.Envelope) (pluginhost.Outcome, error) {
	if hook == pluginhost.HookInbound {
		r(env)
	}
	return pluginhost.Outcome{Verdict: pluginhost.Pass, Envelope: env}, nil
}
