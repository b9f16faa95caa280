package edge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge/channels"
)

// SMTP: the edge receives the e-mail of its tenants' e-mail channels
// (`kefu dev --smtp-addr`, `kefu edge --smtp-addr`). It speaks the part of
// RFC 5321 a relay or MX delivering to it needs — EHLO/HELO, MAIL, RCPT,
// DATA, RSET, NOOP, QUIT — accepts only recipients that are the address
// of an e-mail channel (550 for others, so it is no open relay), limits the
// message size (552) and answers 250 only once the message is published to
// JetStream (451 asks the sender to retry; the Message-ID makes a resend
// stored once). No STARTTLS or AUTH: put it behind the region's MX or a
// relay on a private network.

const (
	smtpIdle      = 5 * time.Minute
	smtpMaxRcpt   = 20
	smtpMaxLine   = 4096
	smtpMaxErrors = 10
)

// ServeSMTP accepts SMTP connections on ln until it is closed or the node
// closes. It needs a ChannelSource that finds channels by address (the
// default, central over NATS, does).
func (n *Node) ServeSMTP(ln net.Listener) error {
	go func() {
		<-n.ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if n.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("edge: smtp accept: %w", err)
		}
		n.bg.Add(1)
		go func() {
			defer n.bg.Done()
			defer c.Close()
			n.smtpSession(c)
		}()
	}
}

func (n *Node) smtpSession(c net.Conn) {
	done := make(chan struct{})
	defer close(done)
	go func() { // the node closing ends idle sessions
		select {
		case <-n.ctx.Done():
			c.Close()
		case <-done:
		}
	}()
	r := bufio.NewReaderSize(c, smtpMaxLine)
	w := bufio.NewWriter(c)
	say := func(format string, args ...any) {
		fmt.Fprintf(w, format+"\r\n", args...)
		w.Flush()
	}
	say("220 kefu edge ESMTP ready")
	var mailSeen bool
	var rcpts []channels.Config
	errs := 0
	for {
		_ = c.SetDeadline(time.Now().Add(smtpIdle))
		line, err := readSMTPLine(r)
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			say("250-kefu edge\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE %d", channels.MaxEmailBytes)
		case "HELO":
			say("250 kefu edge")
		case "MAIL":
			addr, ok := smtpPath(arg, "FROM:")
			if !ok {
				say("501 syntax: MAIL FROM:<address>")
				errs++
				break
			}
			n.log.Debug("edge: smtp mail from", "from", clip(addr))
			rcpts, mailSeen = nil, true
			say("250 ok")
		case "RCPT":
			addr, ok := smtpPath(arg, "TO:")
			switch {
			case !ok || addr == "":
				say("501 syntax: RCPT TO:<address>")
				errs++
			case !mailSeen:
				say("503 MAIL first")
			case len(rcpts) >= smtpMaxRcpt:
				say("452 too many recipients")
			default:
				cfg, err := n.emailChannel(addr)
				switch {
				case errors.Is(err, ErrUnknownChannel):
					n.log.Warn("edge: smtp recipient refused", "rcpt", clip(addr))
					say("550 no such mailbox here")
					errs++
				case err != nil:
					n.log.Warn("edge: smtp recipient lookup failed", "rcpt", clip(addr), "err", err)
					say("451 try again later")
				default:
					rcpts = append(rcpts, cfg)
					say("250 ok")
				}
			}
		case "DATA":
			if len(rcpts) == 0 {
				say("503 RCPT first")
				break
			}
			say("354 end with <CRLF>.<CRLF>")
			raw, tooBig, err := readSMTPData(r, channels.MaxEmailBytes)
			if err != nil {
				return
			}
			if tooBig {
				say("552 message over %d bytes", channels.MaxEmailBytes)
			} else {
				say("%s", n.smtpDeliver(raw, rcpts))
			}
			rcpts, mailSeen = nil, false
		case "RSET":
			rcpts, mailSeen = nil, false
			say("250 ok")
		case "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 command not implemented")
			errs++
		}
		if errs >= smtpMaxErrors {
			say("421 too many errors")
			return
		}
	}
}

// smtpDeliver parses one message and accepts it for every recipient
// channel; the answer is the SMTP reply line.
func (n *Node) smtpDeliver(raw []byte, rcpts []channels.Config) string {
	in, atts, err := channels.ParseEmail(raw)
	if err != nil {
		n.m.channelRequests.WithLabelValues(channels.KindEmail, "bad_email").Inc()
		n.log.Warn("edge: e-mail refused", "err", err)
		return "554 message refused: " + clip(err.Error())
	}
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	for _, cfg := range rcpts {
		if !n.allowChannel(cfg, time.Now()) {
			return "451 rate limited; try again later"
		}
		if err := n.keepAttachments(cfg, in, atts); err != nil {
			n.log.Error("edge: attachments not kept", "channel", cfg.ID, "err", err)
			return "451 try again later"
		}
		if err := n.acceptChannelMessages(ctx, cfg, []channels.Inbound{in}); err != nil {
			n.log.Warn("edge: e-mail not accepted", "channel", cfg.ID, "err", err)
			return "451 try again later"
		}
	}
	return "250 ok: queued"
}

// keepAttachments writes the attachments under AttachmentDir/<channel>/<message id>/.
func (n *Node) keepAttachments(cfg channels.Config, in channels.Inbound, atts []channels.Attachment) error {
	dir := n.ch.opt.AttachmentDir
	if dir == "" || len(atts) == 0 {
		return nil
	}
	d := filepath.Join(dir, chat.SubjectToken(cfg.ID), channels.MessageID(cfg.ID, in.PlatformID))
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	for _, a := range atts {
		if err := os.WriteFile(filepath.Join(d, a.Name), a.Data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) emailChannel(addr string) (channels.Config, error) {
	src, ok := n.ch.opt.Source.(AddressSource)
	if !ok {
		return channels.Config{}, fmt.Errorf("%w: the channel source cannot look up addresses", ErrUnknownChannel)
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.HistoryTimeout)
	defer cancel()
	cfg, err := src.ChannelByAddress(ctx, channels.KindEmail, strings.ToLower(addr))
	if err != nil {
		return cfg, err
	}
	if cfg.Kind != channels.KindEmail {
		return cfg, ErrUnknownChannel
	}
	return cfg, nil
}

// smtpPath takes the address out of "FROM:<a@b> SIZE=…".
func smtpPath(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	p := strings.TrimSpace(arg[len(prefix):])
	if i := strings.IndexByte(p, '>'); strings.HasPrefix(p, "<") && i > 0 {
		p = p[1:i]
	} else if f := strings.Fields(p); len(f) > 0 {
		p = f[0]
	}
	if p == "" {
		return "", true // the null sender <>
	}
	a, err := mail.ParseAddress("<" + p + ">")
	if err != nil {
		return "", false
	}
	return a.Address, true
}

var errLineTooLong = errors.New("edge: smtp line too long")

func readSMTPLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// readSMTPData reads the DATA section up to the lone dot, undoing dot
// stuffing; past max bytes it keeps reading to the end and reports tooBig.
// Memory stays bounded by max whatever the line lengths.
func readSMTPData(r *bufio.Reader, max int) (data []byte, tooBig bool, err error) {
	var b bytes.Buffer
	lineStart := true
	for {
		frag, err := r.ReadSlice('\n')
		full := errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !full {
			return nil, false, err
		}
		if lineStart && !full {
			if t := bytes.TrimRight(frag, "\r\n"); len(t) == 1 && t[0] == '.' {
				return b.Bytes(), tooBig, nil
			}
		}
		if lineStart && len(frag) > 0 && frag[0] == '.' {
			frag = frag[1:]
		}
		if !tooBig {
			if b.Len()+len(frag) > max {
				tooBig = true
				b = bytes.Buffer{}
			} else {
				b.Write(frag)
			}
		}
		lineStart = !full
	}
}
