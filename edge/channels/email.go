package channels

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Email is the e-mail channel. Mail arrives over SMTP at the edge (`kefu
// dev --smtp-addr`, `kefu edge --smtp-addr`; package edge runs the SMTP
// server and ParseEmail reads each message); replies leave through the
// configured relay (`--smtp-relay host:port`, Relay; STARTTLS whenever the
// relay offers it, AUTH PLAIN with --smtp-relay-user), threaded with
// In-Reply-To and References to the shopper's last message and "Re:" its
// subject. HTML bodies are reduced to text (scripts and styles dropped,
// tags removed: the text is rendered as text everywhere); attachments are
// kept as files by the edge and named in the text.
//
// The HTTP endpoint /channels/email/ID takes nothing (405): e-mail has no
// webhook.
type Email struct {
	// Relay is the SMTP relay (host:port) replies are sent through; empty
	// makes Send fail (the outbox keeps the reply and retries).
	Relay string
	// Hostname is the domain of the Message-IDs Kefu makes. Default: the
	// channel address's domain.
	Hostname string
	// Username and Password authenticate at the relay (AUTH PLAIN, only
	// over TLS unless the relay is on localhost). Default: no AUTH.
	Username, Password string
	// RequireTLS refuses to send through a relay that offers no STARTTLS.
	// Default: false (STARTTLS whenever the relay offers it).
	RequireTLS bool
	// TLS configures STARTTLS (a private CA's roots). Default: the system
	// roots, the relay's host name as ServerName.
	TLS *tls.Config
}

// ErrRelayTLS is returned when RequireTLS is set and the relay offers no
// STARTTLS.
var ErrRelayTLS = errors.New("channels: the smtp relay offers no STARTTLS")

// deliver speaks SMTP to the relay: STARTTLS when offered (required with
// RequireTLS), AUTH when configured, bounded by ctx.
func (e *Email) deliver(ctx context.Context, from, to string, msg []byte) error {
	host, _, err := net.SplitHostPort(e.Relay)
	if err != nil {
		return fmt.Errorf("%w: --smtp-relay %q: %v", ErrConfig, e.Relay, err)
	}
	d := net.Dialer{Timeout: 15 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", e.Relay)
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	local := e.Hostname
	if local == "" {
		local = "localhost"
	}
	if err := c.Hello(local); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{}
		if e.TLS != nil {
			cfg = e.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	} else if e.RequireTLS {
		return ErrRelayTLS
	}
	if e.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("the relay offers no AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", e.Username, e.Password, host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// KindEmail is the e-mail channel's kind.
const KindEmail = "email"

// Handle implements Adapter: e-mail arrives over SMTP, not HTTP.
func (e *Email) Handle(Config, Request) (Result, error) {
	return Result{}, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "e-mail arrives over SMTP (kefu edge --smtp-addr)")
}

// Ack implements Adapter.
func (e *Email) Ack(Config, []Inbound) (int, string, []byte) { return http.StatusOK, "text/plain", nil }

// Attachment is a file that came with an e-mail.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// EmailThread is what a reply needs to stay in the shopper's thread; the
// edge keeps the last one per shopper (Inbound.Thread) and gives it back to
// Send.
type EmailThread struct {
	MessageID  string `json:"message_id"`
	References string `json:"references,omitempty"`
	Subject    string `json:"subject,omitempty"`
}

// Limits of ParseEmail.
const (
	MaxEmailBytes    = 10 << 20
	maxEmailParts    = 50
	maxEmailDepth    = 5
	maxEmailTextRead = 256 << 10
)

// ParseEmail reads one RFC 5322 message: the sender, the Message-ID (or a
// hash of the message when it has none), the text (the text/plain part, or
// the text/html part reduced to text, subject first when the body is
// empty), and the attachments.
func ParseEmail(raw []byte) (Inbound, []Attachment, error) {
	if len(raw) > MaxEmailBytes {
		return Inbound{}, nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "message over %d bytes", MaxEmailBytes)
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Inbound{}, nil, refuse(http.StatusBadRequest, "bad_email", "%v", err)
	}
	dec := new(mime.WordDecoder)
	fromHdr := m.Header.Get("From")
	from, err := mail.ParseAddress(fromHdr)
	if err != nil {
		if d, derr := dec.DecodeHeader(fromHdr); derr == nil {
			from, err = mail.ParseAddress(d)
		}
	}
	if err != nil || from.Address == "" {
		return Inbound{}, nil, refuse(http.StatusBadRequest, "bad_email", "no usable From address")
	}
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		subject = m.Header.Get("Subject")
	}
	var plain, htmlText strings.Builder
	var atts []Attachment
	parts := 0
	var walk func(h map[string][]string, body io.Reader, depth int) error
	walk = func(h map[string][]string, body io.Reader, depth int) error {
		parts++
		if parts > maxEmailParts || depth > maxEmailDepth {
			return refuse(http.StatusBadRequest, "bad_email", "more than %d parts or %d levels", maxEmailParts, maxEmailDepth)
		}
		hdr := mail.Header(h)
		ct := hdr.Get("Content-Type")
		if ct == "" {
			ct = "text/plain; charset=us-ascii"
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			mt, params = "application/octet-stream", nil
		}
		body = transferDecoder(hdr.Get("Content-Transfer-Encoding"), body)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return refuse(http.StatusBadRequest, "bad_email", "multipart: %v", err)
				}
				if err := walk(p.Header, p, depth+1); err != nil {
					return err
				}
			}
		}
		disp, dparams, _ := mime.ParseMediaType(hdr.Get("Content-Disposition"))
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		if n, err := dec.DecodeHeader(name); err == nil {
			name = n
		}
		data, err := io.ReadAll(io.LimitReader(body, MaxEmailBytes))
		if err != nil {
			return refuse(http.StatusBadRequest, "bad_email", "part body: %v", err)
		}
		switch {
		case disp == "attachment" || name != "" || (!strings.HasPrefix(mt, "text/")):
			atts = append(atts, Attachment{Name: safeFileName(name, len(atts)), ContentType: mt, Data: data})
		case mt == "text/html":
			htmlText.WriteString(HTMLToText(toUTF8(data, params["charset"])))
		default:
			plain.WriteString(toUTF8(data, params["charset"]))
		}
		return nil
	}
	if err := walk(m.Header, m.Body, 0); err != nil {
		return Inbound{}, nil, err
	}
	text := strings.TrimSpace(plain.String())
	if text == "" {
		text = strings.TrimSpace(htmlText.String())
	}
	text = stripQuoted(text)
	if text == "" {
		text = strings.TrimSpace(subject)
	}
	for _, a := range atts {
		text += fmt.Sprintf("\n[attachment] %s (%d bytes)", a.Name, len(a.Data))
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return Inbound{}, nil, refuse(http.StatusBadRequest, "bad_email", "no text, subject or attachment")
	}
	id := strings.TrimSpace(m.Header.Get("Message-Id"))
	if id == "" {
		sum := sha256.Sum256(raw)
		id = "<" + hex.EncodeToString(sum[:16]) + "@no-message-id>"
	}
	refs := strings.TrimSpace(m.Header.Get("References"))
	if refs == "" {
		refs = strings.TrimSpace(m.Header.Get("In-Reply-To"))
	}
	thread, _ := json.Marshal(EmailThread{MessageID: id, References: strings.TrimSpace(refs + " " + id), Subject: subject})
	in := Inbound{PlatformID: id, User: strings.ToLower(from.Address), Text: text, Type: "email", Thread: thread}
	if d, err := m.Header.Date(); err == nil {
		in.At = d.UTC()
	}
	return in, atts, nil
}

func transferDecoder(enc string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: r})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Cleaner drops the line breaks and spaces of a base64 body.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b != '\r' && b != '\n' && b != ' ' && b != '\t' {
			p[j] = b
			j++
		}
	}
	if j == 0 && n > 0 && err == nil {
		return c.Read(p)
	}
	return j, err
}

// toUTF8 returns data as UTF-8: UTF-8 and ASCII pass (invalid bytes become
// U+FFFD), Latin-1 is converted; other charsets are kept as far as they
// are valid UTF-8.
func toUTF8(data []byte, charset string) string {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "windows-1252":
		var b strings.Builder
		for _, c := range data {
			b.WriteRune(rune(c))
		}
		return b.String()
	}
	return strings.ToValidUTF8(string(data), "\uFFFD")
}

// HTMLToText reduces an HTML body to its visible text: script, style and
// head are dropped, block elements become line breaks, entities are
// decoded. The result is plain text; nothing of the markup survives.
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseBlank(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				skip++
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote":
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "tr", "h1", "h2", "h3", "h4":
				b.WriteByte('\n')
			}
		}
	}
}

func collapseBlank(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// stripQuoted drops the quoted history of a reply ("> …" lines and what
// follows an "On … wrote:" line), so the conversation keeps the new text.
func stripQuoted(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, ">") {
			continue
		}
		if (strings.HasPrefix(t, "On ") && strings.HasSuffix(t, "wrote:")) || strings.HasPrefix(t, "-----Original Message-----") {
			break
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// safeFileName keeps the base name of an attachment, printable, short.
func safeFileName(name string, i int) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == ':' {
			continue
		}
		b.WriteRune(r)
	}
	name = strings.Trim(b.String(), ". ")
	if name == "" || !utf8.ValidString(name) {
		name = fmt.Sprintf("attachment-%d", i+1)
	}
	if len(name) > 100 {
		name = name[:100]
	}
	return name
}

// Send implements Adapter through the relay, threaded with out.Thread.
func (e *Email) Send(ctx context.Context, cfg Config, out Outbound) error {
	if e.Relay == "" {
		return fmt.Errorf("%w: no --smtp-relay configured for e-mail replies", ErrConfig)
	}
	var th EmailThread
	_ = json.Unmarshal(out.Thread, &th)
	host := e.Hostname
	if host == "" {
		if _, d, ok := strings.Cut(cfg.Address, "@"); ok {
			host = d
		} else {
			host = "kefu.invalid"
		}
	}
	subject := th.Subject
	if subject == "" {
		subject = "Your message"
	}
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = "Re: " + subject
	}
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", (&mail.Address{Address: cfg.Address}).String())
	hdr("To", (&mail.Address{Address: out.User}).String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", subject))
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+out.ID+"@"+host+">")
	if th.MessageID != "" {
		hdr("In-Reply-To", th.MessageID)
		hdr("References", th.References)
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(out.Text, "\n", "\r\n")))
	qp.Close()
	if err := e.deliver(ctx, cfg.Address, out.User, b.Bytes()); err != nil {
		return fmt.Errorf("%w: smtp relay %s: %v", ErrSend, e.Relay, err)
	}
	return nil
}
