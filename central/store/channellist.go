package store

import (
	"context"
	"fmt"
)

// ChannelListStore lists every tenant's platform channels, for the
// channel configuration central publishes to the edges.
type ChannelListStore interface {
	// AllChannels returns every channel of every tenant, by id.
	AllChannels(ctx context.Context) ([]Channel, error)
}

func (s *sqlStore) AllChannels(ctx context.Context) ([]Channel, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, tenant, kind, config, created_at FROM channels ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: all channels: %w", err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Channel, error) { return scanChannel(r) })
	if err != nil {
		return nil, fmt.Errorf("store: all channels: %w", err)
	}
	return out, nil
}

// Interface guard.
var _ ChannelListStore = (*sqlStore)(nil)
