package edge

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"
)

// Reasons Ready reports.
var (
	ErrNotConnected = errors.New("edge: not connected to NATS")
	ErrFull         = errors.New("edge: at its connection or memory cap")
)

// Ready reports whether the node should get new shoppers (GET /readyz):
// nil when it is open, connected to its NATS server and below its caps.
// An edge whose leaf link to central is down is still ready: it accepts
// into the region's stream. Ready is cheap and safe for concurrent use.
func (n *Node) Ready(_ context.Context) error {
	switch {
	case n.closed.Load():
		return errClosed
	case n.nc.Status() != nats.CONNECTED:
		return ErrNotConnected
	case n.heap != nil && n.heap.over.Load():
		return ErrFull
	}
	n.limits.mu.Lock()
	full := n.limits.max > 0 && n.limits.total >= n.limits.max
	n.limits.mu.Unlock()
	if full {
		return ErrFull
	}
	return nil
}
