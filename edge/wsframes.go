package edge

import (
	"encoding/binary"
	"net"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// writeBatch bounds the bytes of queued frames the writer puts in one
// write to the socket (a history replay is written in several).
const writeBatch = 32 << 10

// socketWriter is the frameWriter of a live connection: it writes data
// frames straight to the socket as unmasked, unfragmented, uncompressed
// text frames (RFC 6455 §5.2, what the library's WriteMessage sends on a
// server connection without compression), several in one write: the
// accepted frame and the replies that waited for it cost one system call,
// and the client reads them in one. Data frames are only written under the
// session's wmu; the library's own control frames (pings, pongs, close)
// are each one Write as well, and a net.Conn's Writes never interleave.
type socketWriter struct{ c *websocket.Conn }

func (w socketWriter) SetWriteDeadline(t time.Time) error {
	return w.c.UnderlyingConn().SetWriteDeadline(t)
}

func (w socketWriter) SetReadDeadline(t time.Time) error { return w.c.SetReadDeadline(t) }

func (w socketWriter) WriteTexts(frames [][]byte) error {
	return writeTexts(w.c.UnderlyingConn(), frames)
}

// wireBuffers lends writeTexts its buffer for the length of a write.
var wireBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeTexts writes frames to conn as server text frames in one Write.
func writeTexts(conn net.Conn, frames [][]byte) error {
	bp := wireBuffers.Get().(*[]byte)
	b := (*bp)[:0]
	for _, f := range frames {
		b = appendTextFrame(b, f)
	}
	_, err := conn.Write(b)
	if cap(b) <= 2*writeBatch { // a frame larger than that is not kept
		*bp = b
		wireBuffers.Put(bp)
	}
	return err
}

// appendTextFrame appends payload to b as one final, unmasked text frame.
func appendTextFrame(b, payload []byte) []byte {
	const finText = 0x80 | 0x1
	switch n := len(payload); {
	case n <= 125:
		b = append(b, finText, byte(n))
	case n <= 0xffff:
		b = append(b, finText, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, finText, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}
