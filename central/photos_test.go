package central

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/jpeg"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/photo/phototest"
)

// TestPhotoStoredAndServed: a photo in an inbound envelope is cleaned
// again (EXIF removed even when the edge left it), stored beside its
// message once (a redelivery adds nothing), hands the conversation to a
// person, fires the image-search hook, is listed on the message and served
// to agents as a sandboxed image of its conversation only. An envelope
// whose "photo" is not one is refused whole: not even its text is stored.
func TestPhotoStoredAndServed(t *testing.T) {
	e := newEnv(t)
	s := e.start(e.config())
	api := newApp(t, s)
	hooks := make(chan chat.PhotoEvent, 4)
	sub, err := e.nc.Subscribe(chat.PhotosSubject("demo"), func(m *nats.Msg) {
		var ev chat.PhotoEvent
		if json.Unmarshal(m.Data, &ev) == nil {
			hooks <- ev
		}
	})
	must(t, err)
	defer sub.Unsubscribe()

	jpg := phototest.JPEGWithGPS(32, 24)
	id, aid := chat.NewID(), chat.NewID()
	en := envelope("demo", "v-photo", "", id, "📷 Photo", "en")
	en.Message.Attachments = []chat.Attachment{{ID: aid, Type: "image/jpeg", Size: len(jpg), Data: jpg}}
	e.publish(en)
	ho := e.event(chat.EventHandoff)
	if ho.Reason == "" { // "photo", or the intent central found in the text first
		t.Fatalf("handoff %+v", ho)
	}
	conv := ho.ConversationID
	// The same envelope again under another Nats-Msg-Id: a redelivery.
	e.publishRaw(chat.InboundSubject("demo"), mustJSON(t, en), "again-"+id)
	e.consumerIdle()

	select {
	case ev := <-hooks:
		if ev.ConversationID != conv || ev.MessageID != id || ev.Attachment.ID != aid || ev.Attachment.Data != nil ||
			ev.URL != "/v1/conversations/"+conv+"/attachments/"+aid || ev.Attachment.Width != 32 {
			t.Fatalf("photo hook %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no photo hook")
	}
	select {
	case ev := <-hooks:
		t.Fatalf("hook fired twice: %+v", ev)
	case <-time.After(200 * time.Millisecond):
	}

	tok := api.login("demo", demoEmail, demoPassword)
	var msgs []chat.Message
	if code := api.do("GET", "/v1/conversations/"+conv+"/messages", tok, nil, &msgs); code != 200 {
		t.Fatalf("messages: %d", code)
	}
	n := 0
	for _, m := range msgs {
		if m.ID == id {
			n++
			if len(m.Attachments) != 1 || m.Attachments[0].ID != aid || m.Attachments[0].Data != nil || m.Attachments[0].Type != "image/jpeg" {
				t.Fatalf("message attachments %+v", m.Attachments)
			}
		}
	}
	if n != 1 {
		t.Fatalf("photo message stored %d times", n)
	}

	get := func(path, token string) (int, []byte, map[string]string) {
		req := httptest.NewRequest("GET", path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := api.app.Test(req, 30000)
		must(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		h := map[string]string{}
		for k := range res.Header {
			h[k] = res.Header.Get(k)
		}
		return res.StatusCode, b, h
	}
	code, body, h := get("/v1/conversations/"+conv+"/attachments/"+aid, tok)
	if code != 200 || h["Content-Type"] != "image/jpeg" || h["X-Content-Type-Options"] != "nosniff" || h["Content-Security-Policy"] != "default-src 'none'; sandbox" {
		t.Fatalf("photo: %d %v", code, h)
	}
	if bytes.Contains(body, []byte("Exif")) || bytes.Contains(body, phototest.GPSMarker) {
		t.Fatal("central serves the photo with its EXIF GPS block")
	}
	if _, format, err := image.Decode(bytes.NewReader(body)); err != nil || format != "jpeg" {
		t.Fatalf("served photo: %v %s", err, format)
	}
	if code, _, _ := get("/v1/conversations/"+conv+"/attachments/"+aid, ""); code != 401 {
		t.Fatalf("without a token: %d", code)
	}
	other := queued(t, e, "v-other")
	for _, path := range []string{"/v1/conversations/" + other + "/attachments/" + aid, "/v1/conversations/" + conv + "/attachments/nope", "/v1/conversations/" + conv + "/attachments/bad%20id"} {
		if code, _, _ := get(path, tok); code != 404 && code != 400 {
			t.Fatalf("%s: %d, want 404/400", path, code)
		}
	}

	// Not a photo: refused whole.
	bad := envelope("demo", "v-bad", "", chat.NewID(), "📷 Photo zebra-bad", "en")
	bad.Message.Attachments = []chat.Attachment{{ID: chat.NewID(), Type: "image/jpeg", Size: 20, Data: []byte("<html>alert(1)</html>")}}
	e.publish(bad)
	e.consumerIdle()
	if _, err := s.st.Message(t.Context(), "demo", bad.Message.ID); err == nil {
		t.Fatal("the message of an envelope with a bad photo was stored")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
