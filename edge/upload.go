package edge

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/photo"
)

// Photo upload (docs/PROTOCOL.md §2.13). A photo does not fit a WebSocket
// frame, so it arrives in two steps: POST /w/upload?site=S with the bytes
// (Content-Type image/jpeg, image/png or image/webp) checks and cleans the
// photo (internal/photo: the type from the bytes, the size, no EXIF or
// other metadata) and keeps it here, answering a token; the shopper's
// message frame then names the token in "upload". The message passes the
// region's plugins like any other (they see the photo's description, not
// its bytes, and may drop the message), and the photo travels to central
// inside the message's envelope on the inbound stream: stored once, with
// the message, under the same guarantees (Nats-Msg-Id, acknowledged after
// central's store committed). Central stores it as a file and serves it to
// agents as a picture, never as a page.
//
// Uploads are kept in memory for uploadTTL, at most uploadMaxBytes in all
// and uploadPerClient per client address: a message frame names its token
// within seconds, and a retry of the message within the TTL finds it
// again. After an edge restart the token is gone: the frame is refused
// with upload_expired and the widget uploads again.
const (
	uploadTTL       = 15 * time.Minute
	uploadMaxBytes  = 64 << 20
	uploadPerClient = 20
)

// upload is a photo waiting for its message frame.
type upload struct {
	site    string
	client  string
	att     chat.Attachment // with Data
	expires time.Time
}

// uploadStore holds the uploads of this edge; the zero value is ready.
type uploadStore struct {
	mu    sync.Mutex
	m     map[string]*upload
	bytes int
}

// put keeps u under a new token, or refuses when the store or the client's
// share is full (after dropping what expired).
func (s *uploadStore) put(u *upload, now time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*upload{}
	}
	perClient := 0
	for k, v := range s.m {
		if now.After(v.expires) {
			s.bytes -= len(v.att.Data)
			delete(s.m, k)
			continue
		}
		if v.client == u.client {
			perClient++
		}
	}
	if perClient >= uploadPerClient {
		return "", errUploadsPerClient
	}
	if s.bytes+len(u.att.Data) > uploadMaxBytes {
		return "", errUploadsFull
	}
	var raw [20]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("edge: upload token: %w", err)
	}
	tok := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	s.m[tok] = u
	s.bytes += len(u.att.Data)
	return tok, nil
}

// get returns the upload of token for site, if it is there and fresh.
func (s *uploadStore) get(token, site string, now time.Time) (*upload, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.m[token]
	if !ok || u.site != site || now.After(u.expires) {
		return nil, false
	}
	return u, true
}

var (
	errUploadsPerClient = errors.New("edge: too many photos waiting from this client")
	errUploadsFull      = errors.New("edge: the upload store is full")
)

// UploadReply is the answer of POST /w/upload.
type UploadReply struct {
	// Upload is the token the message frame names in "upload".
	Upload string `json:"upload"`
	// Type, Size, Width and Height describe the photo as it was kept
	// (without its metadata).
	Type   string `json:"type"`
	Size   int    `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	// ExpiresIn is how long the token stays valid, in seconds.
	ExpiresIn int `json:"expires_in"`
}

// serveUpload is POST /w/upload?site=S.
func (n *Node) serveUpload(c *fiber.Ctx) error {
	ref := c.Locals(localSite).(siteRef)
	ctype, _, _ := strings.Cut(c.Get(fiber.HeaderContentType), ";")
	ctype = strings.ToLower(strings.TrimSpace(ctype))
	body := c.Body()
	if len(body) > photo.MaxBytes {
		n.m.errors.WithLabelValues("upload_too_large").Inc()
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{"error": fmt.Sprintf("the photo is %d bytes, the limit is %d", len(body), photo.MaxBytes),
			"code": chat.CodeTooLarge, "max_bytes": photo.MaxBytes})
	}
	if !photo.Accepted(ctype) {
		n.m.errors.WithLabelValues("upload_type").Inc()
		return jsonError(c, fiber.StatusUnsupportedMediaType, "bad_type", fmt.Sprintf("Content-Type %q: send a photo as %s", clip(ctype), strings.Join(photo.Types, ", ")))
	}
	clean, info, err := photo.Clean(body, ctype)
	switch {
	case errors.Is(err, photo.ErrTooLarge):
		n.m.errors.WithLabelValues("upload_too_large").Inc()
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{"error": err.Error(), "code": chat.CodeTooLarge, "max_bytes": photo.MaxBytes})
	case errors.Is(err, photo.ErrType):
		n.m.errors.WithLabelValues("upload_type").Inc()
		return jsonError(c, fiber.StatusUnsupportedMediaType, "bad_type", err.Error())
	case err != nil:
		n.m.errors.WithLabelValues("upload_type").Inc()
		return jsonError(c, fiber.StatusBadRequest, "bad_image", err.Error())
	}
	sum := sha256.Sum256(clean)
	now := time.Now()
	u := &upload{site: ref.key, client: c.IP(), expires: now.Add(uploadTTL), att: chat.Attachment{
		ID: chat.NewID(), Type: info.Type, Size: len(clean), Width: info.Width, Height: info.Height,
		SHA256: hex.EncodeToString(sum[:]), Data: clean,
	}}
	tok, err := n.uploads.put(u, now)
	if err != nil {
		n.m.errors.WithLabelValues("upload_full").Inc()
		c.Set(fiber.HeaderRetryAfter, "60")
		return jsonError(c, fiber.StatusTooManyRequests, chat.CodeRateLimited, err.Error()+"; send the waiting photos first or retry later")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(UploadReply{Upload: tok, Type: info.Type, Size: len(clean), Width: info.Width, Height: info.Height,
		ExpiresIn: int(uploadTTL / time.Second)})
}

// attachUpload resolves a message frame's upload token: ok is false when
// the edge does not hold it (the caller refuses the frame).
func (s *session) attachUpload(token string) (chat.Attachment, bool) {
	u, ok := s.n.uploads.get(token, s.siteKey, time.Now())
	if !ok {
		return chat.Attachment{}, false
	}
	return u.att, true
}
