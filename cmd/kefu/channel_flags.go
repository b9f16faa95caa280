package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/kefu-io/kefu/edge"
)

// channelFlags are the e-mail channel's flags of kefu dev and kefu edge.
type channelFlags struct {
	smtpAddr, smtpRelay, attachments string
	relayUser                        string
	relayTLS                         bool
}

func (f *channelFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.smtpAddr, "smtp-addr", "", "receive the e-mail of e-mail channels over SMTP on this address (e.g. 127.0.0.1:2525); empty: off")
	fs.StringVar(&f.smtpRelay, "smtp-relay", "", "SMTP relay host:port for e-mail replies; empty: replies wait in the outbox")
	fs.StringVar(&f.attachments, "attachment-dir", "", "where inbound e-mail attachments are kept (default: DATA/attachments)")
	fs.StringVar(&f.relayUser, "smtp-relay-user", "", "user for AUTH at the relay (password from $KEFU_SMTP_RELAY_PASSWORD); STARTTLS is used whenever the relay offers it")
	fs.BoolVar(&f.relayTLS, "smtp-relay-require-tls", false, "refuse to send through a relay that offers no STARTTLS")
}

func (f *channelFlags) options(data string) edge.ChannelOptions {
	dir := f.attachments
	if dir == "" {
		dir = filepath.Join(data, "attachments")
	}
	return edge.ChannelOptions{SMTPRelay: f.smtpRelay, AttachmentDir: dir, SMTPRelayUser: f.relayUser,
		SMTPRelayPassword: os.Getenv("KEFU_SMTP_RELAY_PASSWORD"), SMTPRelayRequireTLS: f.relayTLS}
}

// serveSMTP starts the SMTP listener of node when --smtp-addr is set.
func (f *channelFlags) serveSMTP(ctx context.Context, node *edge.Node, log *slog.Logger) error {
	if f.smtpAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", f.smtpAddr)
	if err != nil {
		return fmt.Errorf("smtp listen %s: %w", f.smtpAddr, err)
	}
	log.Info("smtp: receiving e-mail", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		if err := node.ServeSMTP(ln); err != nil {
			log.Error("smtp", "err", err)
		}
	}()
	return nil
}
