package edge

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// writeTexts's frames, several in one write and of every length encoding
// (7-bit, 16-bit, 64-bit), are read by a WebSocket client as the text
// messages written, in order; a ping of the library's in between keeps both
// whole.
func TestWriteTextsReadByClient(t *testing.T) {
	var want [][]byte
	for _, n := range []int{0, 1, 125, 126, 127, 0xffff, 0x10000, 70000} {
		want = append(want, bytes.Repeat([]byte{'a' + byte(n%26)}, n))
	}
	errc := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		if err := writeTexts(c.NetConn(), want[:3]); err != nil {
			errc <- err
			return
		}
		if err := c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second)); err != nil {
			errc <- err
			return
		}
		errc <- writeTexts(c.NetConn(), want[3:])
		_, _, _ = c.ReadMessage() // until the client closes
	}))
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pinged := false
	c.SetPingHandler(func(string) error { pinged = true; return nil })
	for i, w := range want {
		mt, got, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if mt != websocket.TextMessage || !bytes.Equal(got, w) {
			t.Fatalf("message %d: type %d, %d bytes, want text of %d", i, mt, len(got), len(w))
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !pinged {
		t.Fatal("the ping between the writes was not read")
	}
}

// appendTextFrame writes the header the library's WriteMessage does.
func TestAppendTextFrameHeader(t *testing.T) {
	for _, c := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{0xffff, []byte{0x81, 126, 0xff, 0xff}},
		{0x10000, []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		got := appendTextFrame(nil, make([]byte, c.n))
		if !bytes.Equal(got[:len(c.want)], c.want) || len(got) != len(c.want)+c.n {
			t.Errorf("%d bytes: header % x, length %d", c.n, got[:min(len(got), 10)], len(got))
		}
	}
}
