package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Channel is one platform channel of a tenant (WeChat account, Telegram
// bot, merchant webhook…). Config is the adapter's configuration as JSON
// (edge/channels.Config), secrets included: the store is central's, and the
// edges get it over NATS (chat.SubjectChannelLookup).
type Channel struct {
	ID        string
	Tenant    string
	Kind      string
	Config    []byte
	CreatedAt time.Time
}

// ChannelStore keeps channels. *sqlStore implements it.
type ChannelStore interface {
	// PutChannel creates a channel, or replaces the kind and configuration
	// of the channel with its id (the tenant must be the same, else ErrInvalid).
	PutChannel(ctx context.Context, c Channel) error
	// Channel returns a channel by id, or ErrNotFound.
	Channel(ctx context.Context, id string) (Channel, error)
	// Channels lists a tenant's channels, oldest first.
	Channels(ctx context.Context, tenant string) ([]Channel, error)
	// ChannelByAddress returns the channel of kind whose configuration has
	// "address" equal to address (case-insensitive): the e-mail channel of
	// an address. ErrNotFound when none.
	ChannelByAddress(ctx context.Context, kind, address string) (Channel, error)
}

func channelSchema() []string {
	return []string{`CREATE TABLE IF NOT EXISTS channels (
		id TEXT PRIMARY KEY,
		tenant TEXT NOT NULL,
		kind TEXT NOT NULL,
		config TEXT NOT NULL,
		created_at BIGINT NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS channels_tenant ON channels (tenant, created_at)`,
	}
}

func (s *sqlStore) PutChannel(ctx context.Context, c Channel) error {
	if c.ID == "" || c.Tenant == "" || c.Kind == "" || len(c.Config) == 0 {
		return fmt.Errorf("store: put channel: %w: id, tenant, kind and config are required", ErrInvalid)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		var tenant string
		err := tx.QueryRowContext(ctx, s.q(`SELECT tenant FROM channels WHERE id = ?`), c.ID).Scan(&tenant)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO channels (id, tenant, kind, config, created_at) VALUES (?, ?, ?, ?, ?)`),
				c.ID, c.Tenant, c.Kind, string(c.Config), ms(c.CreatedAt))
		case err != nil:
		case tenant != c.Tenant:
			return fmt.Errorf("store: put channel %q: %w: it belongs to another tenant", c.ID, ErrInvalid)
		default:
			_, err = tx.ExecContext(ctx, s.q(`UPDATE channels SET kind = ?, config = ? WHERE id = ?`), c.Kind, string(c.Config), c.ID)
		}
		if err != nil {
			return fmt.Errorf("store: put channel %q: %w", c.ID, err)
		}
		return nil
	})
}

func scanChannel(row interface{ Scan(...any) error }) (Channel, error) {
	var c Channel
	var cfg string
	var created int64
	if err := row.Scan(&c.ID, &c.Tenant, &c.Kind, &cfg, &created); err != nil {
		return c, err
	}
	c.Config, c.CreatedAt = []byte(cfg), time.UnixMilli(created)
	return c, nil
}

func (s *sqlStore) Channel(ctx context.Context, id string) (Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, s.q(`SELECT id, tenant, kind, config, created_at FROM channels WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Channel{}, fmt.Errorf("store: channel %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Channel{}, fmt.Errorf("store: channel %q: %w", id, err)
	}
	return c, nil
}

func (s *sqlStore) Channels(ctx context.Context, tenant string) ([]Channel, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, tenant, kind, config, created_at FROM channels WHERE tenant = ? ORDER BY created_at, id`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: channels of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Channel, error) { return scanChannel(r) })
	if err != nil {
		return nil, fmt.Errorf("store: channels of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) ChannelByAddress(ctx context.Context, kind, address string) (Channel, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, tenant, kind, config, created_at FROM channels WHERE kind = ? ORDER BY created_at, id`), kind)
	if err != nil {
		return Channel{}, fmt.Errorf("store: channel of %q: %w", address, err)
	}
	list, err := collect(rows, func(r interface{ Scan(...any) error }) (Channel, error) { return scanChannel(r) })
	if err != nil {
		return Channel{}, fmt.Errorf("store: channel of %q: %w", address, err)
	}
	for _, c := range list { // few channels of one kind: filtered here, portable across SQLite and PostgreSQL
		var cfg struct {
			Address string `json:"address"`
		}
		if json.Unmarshal(c.Config, &cfg) == nil && strings.EqualFold(cfg.Address, address) {
			return c, nil
		}
	}
	return Channel{}, fmt.Errorf("store: channel of %q: %w", address, ErrNotFound)
}

// Interface guards.
var _ ChannelStore = (*sqlStore)(nil)
