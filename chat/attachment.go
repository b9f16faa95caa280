package chat

import "time"

// Attachment is a file a message carries: today a shopper's photo (JPEG,
// PNG or WebP, checked and stripped of metadata by the widget, the edge
// and central; package internal/photo). Everyone but the inbound stream
// sees only its description: Data travels once, edge → central inside the
// inbound Envelope, and central keeps it in its store (the agents read it
// through GET /v1/conversations/:id/attachments/:aid). It is never
// rendered as HTML: a picture or nothing.
type Attachment struct {
	// ID is the attachment's id (the edge makes it from the upload).
	ID string `json:"id"`
	// Type is the content type: image/jpeg, image/png or image/webp.
	Type string `json:"type"`
	// Size is the length of the photo in bytes.
	Size int `json:"size"`
	// Width and Height are the picture's size in pixels.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// SHA256 is the hex SHA-256 of the photo's bytes.
	SHA256 string `json:"sha256,omitempty"`
	// Data is the photo, only on the inbound stream (edge → central).
	Data []byte `json:"data,omitempty"`
}

// CodeUploadExpired refuses a message frame whose upload the edge does not
// hold (never uploaded, expired, another site's, or the edge restarted):
// upload the photo again (POST /w/upload) and resend with the new token.
const CodeUploadExpired = "upload_expired"

// SubjectPhotosPrefix + tenant carries PhotoEvent (core NATS): the hook
// for image-based product search. A search service subscribes, reads the
// photo through central's REST API, and answers in the conversation like
// any integration (POST /v1/conversations/:id/messages).
const SubjectPhotosPrefix = "kefu.photos."

// PhotosSubject is the subject of a tenant's PhotoEvents.
func PhotosSubject(tenant string) string { return SubjectPhotosPrefix + SubjectToken(tenant) }

// PhotoEvent tells that central stored a shopper's photo.
type PhotoEvent struct {
	Tenant         string     `json:"tenant"`
	ConversationID string     `json:"conversation_id"`
	MessageID      string     `json:"message_id"`
	Visitor        string     `json:"visitor"`
	Lang           string     `json:"lang,omitempty"`
	Attachment     Attachment `json:"attachment"` // without Data
	// URL is central's REST path of the photo's bytes.
	URL string    `json:"url"`
	At  time.Time `json:"at"`
}
