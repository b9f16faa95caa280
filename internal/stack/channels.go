package stack

import (
	"fmt"
	"net"
	"path/filepath"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/edge"
)

// Store is central's store (tests add channels and read conversations).
func (s *Stack) Store() store.Store { return s.central.Store() }

// SMTPAddr is the address of the SMTP listener (Options.SMTPAddr), or "".
func (s *Stack) SMTPAddr() string {
	if s.smtp == nil {
		return ""
	}
	return s.smtp.Addr().String()
}

func (o Options) channels() edge.ChannelOptions {
	c := o.Channels
	// The platform stand-ins of tests and a developer's local services are
	// on this host: kefu dev allows private destinations (a production
	// edge does not, internal/egress).
	c.AllowPrivateURLs = true
	if c.AttachmentDir == "" {
		c.AttachmentDir = filepath.Join(o.DataDir, "attachments")
	}
	return c
}

func (s *Stack) startSMTP(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("stack: smtp listen %s: %w", addr, err)
	}
	s.smtp = ln
	go func() {
		if err := s.edge.ServeSMTP(ln); err != nil {
			s.log.Error("smtp", "err", err)
		}
	}()
	return nil
}
