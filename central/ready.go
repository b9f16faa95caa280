package central

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
)

// ErrNotReady is wrapped by Ready's errors.
var ErrNotReady = errors.New("central: not ready")

// Ready reports whether this replica can do its work (GET /readyz): it is
// open, connected to NATS and its store answers a query.
func (s *Service) Ready(ctx context.Context) error {
	if s.isClosed() {
		return fmt.Errorf("%w: closed", ErrNotReady)
	}
	if st := s.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("%w: NATS %s", ErrNotReady, st)
	}
	if _, err := s.st.QueueDepth(ctx, ""); err != nil {
		return fmt.Errorf("%w: store: %w", ErrNotReady, err)
	}
	return nil
}
