package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// AnalyticsStore keeps what the reports read: one row of facts per
// conversation (ConvStats, computed by package central/analytics from the
// conversation and its messages and refreshed as conversations change), the
// merchant's business events (POST /v1/events: orders placed, delayed…)
// and the questions the widget answered in the browser (WidgetHit).
//
// Rows written with Demo set are synthetic demo history; DeleteDemo removes
// them (and the demo conversations and messages) in one transaction.
type AnalyticsStore interface {
	// ChangedConversations returns the tenant's conversations whose
	// updated_at is at or after since, oldest change first, at most limit
	// (0 = 1000).
	ChangedConversations(ctx context.Context, tenant string, since time.Time, limit int) ([]Conversation, error)
	// PutConvStats inserts or replaces the facts of conversations.
	PutConvStats(ctx context.Context, stats ...ConvStats) error
	// ConvStats returns the facts of the conversations created in
	// [q.From, q.To) that match q's filters, oldest first.
	ConvStats(ctx context.Context, q StatsQuery) ([]ConvStats, error)
	// HourlyCounts returns, for each hour from from (truncated to the
	// hour) up to to, how many of the tenant's conversations were created
	// in it (from conv_stats).
	HourlyCounts(ctx context.Context, tenant string, from, to time.Time) ([]float64, error)
	// Ratings returns the CSAT ratings (WorkStore.PutCSAT) of the tenant's
	// conversations given at or after since, by conversation id.
	Ratings(ctx context.Context, tenant string, since time.Time) (map[string]Rating, error)
	// OpeningQuestions returns the first shopper message of each of the
	// tenant's conversations created in [from, to), newest first, at most
	// limit (0 = 2000).
	OpeningQuestions(ctx context.Context, tenant string, from, to time.Time, limit int) ([]chat.Message, error)
	// AggregateHits aggregates the widget hits of a period (see HitsAgg).
	AggregateHits(ctx context.Context, tenant string, from, to time.Time, gap time.Duration) (HitsAgg, error)
	// AggregateStats aggregates the facts of q in the database (see StatsAgg).
	AggregateStats(ctx context.Context, q StatsQuery, window time.Duration) (StatsAgg, error)
	// AggregateStatsSeries is AggregateStats without percentiles of every
	// bucket [starts[i], starts[i+1]) (the last one up to to; q's From and
	// To are ignored), read at once where the rollups allow.
	AggregateStatsSeries(ctx context.Context, q StatsQuery, starts []time.Time, to time.Time, window time.Duration) ([]StatsAgg, error)
	// AggregateHitsSeries is AggregateHits of every bucket, read at once
	// where the rollups allow.
	AggregateHitsSeries(ctx context.Context, tenant string, starts []time.Time, to time.Time, gap time.Duration) ([]HitsAgg, error)
	// ConvStat returns the facts of one conversation or ErrNotFound.
	ConvStat(ctx context.Context, tenant, id string) (ConvStats, error)
	// StatsWatermark is the updated_at from which the tenant's
	// ConvStats must be recomputed (zero: all of them).
	StatsWatermark(ctx context.Context, tenant string) (time.Time, error)
	// SetStatsWatermark records the watermark.
	SetStatsWatermark(ctx context.Context, tenant string, at time.Time) error

	// PutMerchantEvent stores a merchant event; stored is false when its id
	// is already stored (a retried POST), and nothing changes.
	PutMerchantEvent(ctx context.Context, e MerchantEvent) (stored bool, err error)
	// ImportEvents stores many merchant events in one transaction (demo
	// history, benchmarks); ids already stored are skipped.
	ImportEvents(ctx context.Context, events []MerchantEvent) error
	// MerchantEvents lists the tenant's events of type typ ("" = all) that
	// happened in [from, to), oldest first.
	MerchantEvents(ctx context.Context, tenant, typ string, from, to time.Time) ([]MerchantEvent, error)

	// PutWidgetHits stores local-answer hits; a hit already stored (same
	// tenant, visitor, time, FAQ id and intent) is skipped. It returns how
	// many were new.
	PutWidgetHits(ctx context.Context, hits ...WidgetHit) (int, error)
	// WidgetHits lists the tenant's hits in [from, to), oldest first.
	WidgetHits(ctx context.Context, tenant string, from, to time.Time) ([]WidgetHit, error)

	// ImportConversations writes whole conversations (row, messages, facts)
	// in one transaction: for demo history and benchmarks. A conversation
	// id already present is skipped. It returns how many were written.
	ImportConversations(ctx context.Context, convs []ImportedConversation) (int, error)
	// BulkLoad starts a bulk load of tenant's history (see Bulk): rows
	// written in large transactions, the rollups rebuilt once by Finish.
	BulkLoad(ctx context.Context, tenant string) (*Bulk, error)

	// DeleteDemo removes every demo row of tenant: conversations and their
	// messages and facts, merchant events, widget hits. It returns the
	// number of conversations removed.
	DeleteDemo(ctx context.Context, tenant string) (int, error)
}

// ConvStats are the facts of one conversation that the reports aggregate.
// Durations are in milliseconds; -1 means "does not apply" (no human reply,
// not closed…). Package central/analytics defines how each is computed.
type ConvStats struct {
	Tenant  string
	ID      string
	Visitor string
	// Contact is the merchant's customer id when the shopper was identified.
	Contact string
	Channel string
	Team    string
	// Agents are the ids of the agents who wrote in it, in order of first reply.
	Agents []string
	Tags   []string
	// Attrs are custom attributes (JSON object text, "" = none).
	Attrs     string
	CreatedAt time.Time
	// HandoffAt is the first handoff to the human queue (zero: none).
	HandoffAt time.Time
	// FirstAgentAt is the first agent message (zero: none).
	FirstAgentAt time.Time
	// ClosedAt is when it was closed (zero: open).
	ClosedAt time.Time
	// Messages counts shopper, bot and agent messages (not system notes).
	Messages    int
	ShopperMsgs int
	BotMsgs     int
	AgentMsgs   int
	// FirstResponseMS: first human reply − handoff.
	FirstResponseMS int64
	// AvgResponseMS: mean wait of a shopper message for the next agent reply.
	AvgResponseMS int64
	// ResolutionMS: closed − created.
	ResolutionMS int64
	// HandleMS: agent working time (analytics.HandleTime).
	HandleMS    int64
	HandedOff   bool
	Deflected   bool
	SLABreached bool
	MaxAnger    float64
	// CSAT is the shopper's rating 1–5 (0 = none) and its comment.
	CSAT        int
	CSATComment string
	// Intent is the first shopper intent (topics), "" if none.
	Intent string
	Demo   bool
	// ComputedAt is when the row was computed.
	ComputedAt time.Time
}

// ImportedConversation is one conversation for ImportConversations; the
// messages must carry the conversation's id.
type ImportedConversation struct {
	Conv     Conversation
	Messages []chat.Message
	Stats    ConvStats
}

// StatsQuery selects ConvStats rows.
type StatsQuery struct {
	Tenant   string
	From, To time.Time
	Team     string
	Channel  string
	// Agent selects conversations the agent wrote in.
	Agent string
	// NoPercentiles leaves StatsAgg's percentiles at -1 (AggregateStats
	// for a time series of other metrics: they cost a sort each).
	NoPercentiles bool
}

// MerchantEvent is a business event the merchant's backend posted.
type MerchantEvent struct {
	Tenant string
	// ID is the idempotency key (the client's, or one made at receipt).
	ID      string
	Type    string
	Contact string
	Visitor string
	// OrderID is the merchant's order id, if any.
	OrderID  string
	Amount   float64
	Currency string
	At       time.Time
	// Data is the rest of the event, JSON object text.
	Data       string
	Demo       bool
	ReceivedAt time.Time
}

// WidgetHit is one question the widget answered in the browser.
type WidgetHit struct {
	Tenant         string
	Visitor        string
	ConversationID string
	FAQID          string
	Intent         string
	Lang           string
	Region         string
	Score          float64
	At             time.Time
	Demo           bool
}

var _ AnalyticsStore = (*sqlStore)(nil)

const convStatsCols = `tenant, id, visitor, contact, channel, team, agents, tags, attrs, created_at, handoff_at, first_agent_at, closed_at,
	messages, shopper_msgs, bot_msgs, agent_msgs, frt_ms, avg_resp_ms, resolution_ms, handle_ms, handed_off, deflected, sla_breached,
	max_anger, csat, csat_comment, intent, demo, computed_at`

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func scanConvStats(row interface{ Scan(...any) error }) (ConvStats, error) {
	var c ConvStats
	var agents, tags string
	var created, handoff, first, closed, computed int64
	var handed, defl, breach, demo int
	err := row.Scan(&c.Tenant, &c.ID, &c.Visitor, &c.Contact, &c.Channel, &c.Team, &agents, &tags, &c.Attrs, &created, &handoff, &first, &closed,
		&c.Messages, &c.ShopperMsgs, &c.BotMsgs, &c.AgentMsgs, &c.FirstResponseMS, &c.AvgResponseMS, &c.ResolutionMS, &c.HandleMS,
		&handed, &defl, &breach, &c.MaxAnger, &c.CSAT, &c.CSATComment, &c.Intent, &demo, &computed)
	c.Agents, c.Tags = splitList(agents), splitList(tags)
	c.CreatedAt, c.HandoffAt, c.FirstAgentAt, c.ClosedAt, c.ComputedAt = fromMS(created), fromMS(handoff), fromMS(first), fromMS(closed), fromMS(computed)
	c.HandedOff, c.Deflected, c.SLABreached, c.Demo = handed != 0, defl != 0, breach != 0, demo != 0
	return c, err
}

func (s *sqlStore) ChangedConversations(ctx context.Context, tenant string, since time.Time, limit int) ([]Conversation, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+convCols+` FROM conversations WHERE tenant = ? AND updated_at >= ?
		ORDER BY updated_at ASC LIMIT ?`), tenant, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: changed conversations of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanConv)
	if err != nil {
		return nil, fmt.Errorf("store: changed conversations of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) PutConvStats(ctx context.Context, stats ...ConvStats) error {
	if len(stats) == 0 {
		return nil
	}
	if err := s.withTx(ctx, func(tx *sql.Tx) error { return s.putConvStats(ctx, tx, stats) }); err != nil {
		return fmt.Errorf("store: put conv stats: %w", err)
	}
	return nil
}

// convStatsUpsert inserts or replaces one conv_stats row (convStatsCols).
const convStatsUpsert = `INSERT INTO conv_stats (` + convStatsCols + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)` + convStatsOnConflict

// convStatsOnConflict replaces a stored conv_stats row with the new one.
const convStatsOnConflict = `
	ON CONFLICT (tenant, id) DO UPDATE SET visitor = excluded.visitor, contact = excluded.contact, channel = excluded.channel,
	team = excluded.team, agents = excluded.agents, tags = excluded.tags, attrs = excluded.attrs, created_at = excluded.created_at,
	handoff_at = excluded.handoff_at, first_agent_at = excluded.first_agent_at, closed_at = excluded.closed_at,
	messages = excluded.messages, shopper_msgs = excluded.shopper_msgs, bot_msgs = excluded.bot_msgs, agent_msgs = excluded.agent_msgs,
	frt_ms = excluded.frt_ms, avg_resp_ms = excluded.avg_resp_ms, resolution_ms = excluded.resolution_ms, handle_ms = excluded.handle_ms,
	handed_off = excluded.handed_off, deflected = excluded.deflected, sla_breached = excluded.sla_breached,
	max_anger = excluded.max_anger, csat = excluded.csat, csat_comment = excluded.csat_comment, intent = excluded.intent,
	demo = excluded.demo, computed_at = excluded.computed_at`

// convStatsArgs are the values of convStatsCols for c.
func convStatsArgs(c ConvStats) []any {
	return []any{c.Tenant, c.ID, c.Visitor, c.Contact, c.Channel, c.Team, strings.Join(c.Agents, ","),
		strings.Join(c.Tags, ","), c.Attrs, ms(c.CreatedAt), ms(c.HandoffAt), ms(c.FirstAgentAt), ms(c.ClosedAt),
		c.Messages, c.ShopperMsgs, c.BotMsgs, c.AgentMsgs, c.FirstResponseMS, c.AvgResponseMS, c.ResolutionMS, c.HandleMS,
		b2i(c.HandedOff), b2i(c.Deflected), b2i(c.SLABreached), c.MaxAnger, c.CSAT, c.CSATComment, c.Intent, b2i(c.Demo),
		ms(c.ComputedAt)}
}

func (s *sqlStore) putConvStats(ctx context.Context, tx *sql.Tx, stats []ConvStats) error {
	if len(stats) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, s.q(convStatsUpsert))
	if err != nil {
		return err
	}
	defer stmt.Close()
	old, err := tx.PrepareContext(ctx, s.q(`SELECT created_at FROM conv_stats WHERE tenant = ? AND id = ?`))
	if err != nil {
		return err
	}
	defer old.Close()
	order, err := tx.PrepareContext(ctx, s.q(`UPDATE conv_stats SET order_ms = `+orderMSExpr+` WHERE tenant = ? AND id = ?`))
	if err != nil {
		return err
	}
	defer order.Close()
	tenants := make([]string, 0, 1)
	for _, c := range stats {
		tenants = append(tenants, c.Tenant)
	}
	if err := s.lockRollups(ctx, tx, tenants...); err != nil {
		return err
	}
	hours := map[string]hourSet{}
	for _, c := range stats {
		if c.Tenant == "" || c.ID == "" {
			return fmt.Errorf("%w: conv stats need tenant and id", ErrInvalid)
		}
		var was int64
		switch err := old.QueryRowContext(ctx, c.Tenant, c.ID).Scan(&was); {
		case err == nil:
			tenantHours(hours, c.Tenant).addMS(was)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("conversation %q: %w", c.ID, err)
		}
		tenantHours(hours, c.Tenant).addMS(ms(c.CreatedAt))
		if _, err := stmt.ExecContext(ctx, convStatsArgs(c)...); err != nil {
			return fmt.Errorf("conversation %q: %w", c.ID, err)
		}
		if _, err := order.ExecContext(ctx, c.Tenant, c.ID); err != nil {
			return fmt.Errorf("conversation %q: order: %w", c.ID, err)
		}
	}
	return s.rebuildConvHours(ctx, tx, hours)
}

// rebuildConvHours recomputes the conversation rollups of the hours touched.
func (s *sqlStore) rebuildConvHours(ctx context.Context, tx *sql.Tx, hours map[string]hourSet) error {
	for tenant, hs := range hours {
		for _, r := range hs.ranges() {
			if err := s.rebuildConvRollup(ctx, tx, tenant, r[0], r[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *sqlStore) ConvStats(ctx context.Context, q StatsQuery) ([]ConvStats, error) {
	if q.Tenant == "" {
		return nil, fmt.Errorf("store: conv stats: %w: no tenant", ErrInvalid)
	}
	query := `SELECT ` + convStatsCols + ` FROM conv_stats WHERE tenant = ? AND created_at >= ? AND created_at < ?`
	args := []any{q.Tenant, ms(q.From), ms(q.To)}
	if q.Team != "" {
		query += ` AND team = ?`
		args = append(args, q.Team)
	}
	if q.Channel != "" {
		query += ` AND channel = ?`
		args = append(args, q.Channel)
	}
	if q.Agent != "" {
		// agents is a comma-separated list of ids (ids hold no comma).
		query += ` AND (',' || agents || ',') LIKE ?`
		args = append(args, "%,"+q.Agent+",%")
	}
	query += ` ORDER BY created_at ASC, id ASC`
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: conv stats of %q: %w", q.Tenant, err)
	}
	out, err := collect(rows, scanConvStats)
	if err != nil {
		return nil, fmt.Errorf("store: conv stats of %q: %w", q.Tenant, err)
	}
	return out, nil
}

func (s *sqlStore) ConvStat(ctx context.Context, tenant, id string) (ConvStats, error) {
	c, err := scanConvStats(s.db.QueryRowContext(ctx, s.q(`SELECT `+convStatsCols+` FROM conv_stats WHERE tenant = ? AND id = ?`), tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ConvStats{}, fmt.Errorf("store: conv stats %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return ConvStats{}, fmt.Errorf("store: conv stats %q/%q: %w", tenant, id, err)
	}
	return c, nil
}

func (s *sqlStore) StatsWatermark(ctx context.Context, tenant string) (time.Time, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT watermark FROM analytics_state WHERE tenant = ?`), tenant).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: stats watermark of %q: %w", tenant, err)
	}
	return fromMS(v), nil
}

func (s *sqlStore) SetStatsWatermark(ctx context.Context, tenant string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO analytics_state (tenant, watermark) VALUES (?, ?)
		ON CONFLICT (tenant) DO UPDATE SET watermark = excluded.watermark`), tenant, ms(at))
	if err != nil {
		return fmt.Errorf("store: set stats watermark of %q: %w", tenant, err)
	}
	return nil
}

const eventCols = `tenant, id, type, contact, visitor, order_id, amount, currency, at, data, demo, received_at`

func scanEvent(row interface{ Scan(...any) error }) (MerchantEvent, error) {
	var e MerchantEvent
	var at, recv int64
	var demo int
	err := row.Scan(&e.Tenant, &e.ID, &e.Type, &e.Contact, &e.Visitor, &e.OrderID, &e.Amount, &e.Currency, &at, &e.Data, &demo, &recv)
	e.At, e.ReceivedAt, e.Demo = fromMS(at), fromMS(recv), demo != 0
	return e, err
}

func (s *sqlStore) PutMerchantEvent(ctx context.Context, e MerchantEvent) (bool, error) {
	if e.Tenant == "" || e.ID == "" || e.Type == "" || e.At.IsZero() {
		return false, fmt.Errorf("store: put event: %w: tenant, id, type and time are required", ErrInvalid)
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = time.Now()
	}
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO merchant_events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, id) DO NOTHING`), e.Tenant, e.ID, e.Type, e.Contact, e.Visitor, e.OrderID, e.Amount, e.Currency,
			ms(e.At), e.Data, b2i(e.Demo), ms(e.ReceivedAt))
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n != 1 {
			return nil
		}
		return s.eventsStored(ctx, tx, []MerchantEvent{e})
	})
	if err != nil {
		return false, fmt.Errorf("store: put event %q/%q: %w", e.Tenant, e.ID, err)
	}
	return n == 1, nil
}

// eventsStored brings the conversions and the order rollups up to date
// with newly stored events.
func (s *sqlStore) eventsStored(ctx context.Context, tx *sql.Tx, events []MerchantEvent) error {
	conv, orders := map[string]hourSet{}, map[string]hourSet{}
	for _, e := range events {
		if e.Type == "order.placed" {
			tenantHours(orders, e.Tenant).addMS(ms(e.At))
		}
	}
	if len(orders) == 0 {
		return nil
	}
	tenants := make([]string, 0, len(orders))
	for t := range orders {
		tenants = append(tenants, t)
	}
	if err := s.lockRollups(ctx, tx, tenants...); err != nil {
		return err
	}
	if err := s.applyOrders(ctx, tx, events, conv); err != nil {
		return fmt.Errorf("conversions: %w", err)
	}
	if err := s.rebuildConvHours(ctx, tx, conv); err != nil {
		return err
	}
	for tenant, hs := range orders {
		for _, r := range hs.ranges() {
			if err := s.rebuildOrderRollup(ctx, tx, tenant, r[0], r[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *sqlStore) MerchantEvents(ctx context.Context, tenant, typ string, from, to time.Time) ([]MerchantEvent, error) {
	query := `SELECT ` + eventCols + ` FROM merchant_events WHERE tenant = ? AND at >= ? AND at < ?`
	args := []any{tenant, ms(from), ms(to)}
	if typ != "" {
		query += ` AND type = ?`
		args = append(args, typ)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY at ASC, id ASC`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: events of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("store: events of %q: %w", tenant, err)
	}
	return out, nil
}

const hitCols = `tenant, visitor, conversation_id, faq_id, intent, lang, region, score, at, demo`

func (s *sqlStore) PutWidgetHits(ctx context.Context, hits ...WidgetHit) (int, error) {
	n := 0
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		n = 0
		type who struct{ tenant, visitor string }
		added := map[who][2]int64{} // the visitor's new hits naming no conversation: first and last
		hours := map[string]hourSet{}
		tenants := make([]string, 0, 1)
		for _, h := range hits {
			tenants = append(tenants, h.Tenant)
		}
		if err := s.lockRollups(ctx, tx, tenants...); err != nil {
			return err
		}
		for _, h := range hits {
			if h.Tenant == "" || h.Visitor == "" || h.At.IsZero() || (h.FAQID == "" && h.Intent == "") {
				return fmt.Errorf("%w: a hit needs tenant, visitor, time and a FAQ id or intent", ErrInvalid)
			}
			res, err := tx.ExecContext(ctx, s.q(`INSERT INTO widget_hits (`+hitCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (tenant, visitor, at, faq_id, intent) DO NOTHING`), h.Tenant, h.Visitor, h.ConversationID, h.FAQID, h.Intent,
				h.Lang, h.Region, h.Score, ms(h.At), b2i(h.Demo))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				n++
				at := ms(h.At)
				tenantHours(hours, h.Tenant).addMS(at)
				if h.ConversationID == "" {
					k := who{h.Tenant, h.Visitor}
					if r, ok := added[k]; ok {
						added[k] = [2]int64{min(r[0], at), max(r[1], at)}
					} else {
						added[k] = [2]int64{at, at}
					}
				}
			}
		}
		for k, r := range added {
			if err := s.updateGaps(ctx, tx, k.tenant, k.visitor, r[0], r[1], tenantHours(hours, k.tenant)); err != nil {
				return fmt.Errorf("session gaps: %w", err)
			}
		}
		for tenant, hs := range hours {
			for _, r := range hs.ranges() {
				if err := s.rebuildHitRollup(ctx, tx, tenant, r[0], r[1]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: put widget hits: %w", err)
	}
	return n, nil
}

func (s *sqlStore) WidgetHits(ctx context.Context, tenant string, from, to time.Time) ([]WidgetHit, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+hitCols+` FROM widget_hits WHERE tenant = ? AND at >= ? AND at < ? ORDER BY at ASC`),
		tenant, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("store: widget hits of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (WidgetHit, error) {
		var h WidgetHit
		var at int64
		var demo int
		err := r.Scan(&h.Tenant, &h.Visitor, &h.ConversationID, &h.FAQID, &h.Intent, &h.Lang, &h.Region, &h.Score, &at, &demo)
		h.At, h.Demo = fromMS(at), demo != 0
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: widget hits of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) DeleteDemo(ctx context.Context, tenant string) (int, error) {
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM messages WHERE tenant = ?
			AND conversation_id IN (SELECT id FROM conv_stats WHERE tenant = ? AND demo = 1)`), tenant, tenant); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM conversations WHERE tenant = ?
			AND id IN (SELECT id FROM conv_stats WHERE tenant = ? AND demo = 1)`), tenant, tenant); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM conv_stats WHERE tenant = ? AND demo = 1`), tenant)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM qa_reviews WHERE tenant = ?
			AND conversation_id NOT IN (SELECT id FROM conversations WHERE tenant = ?)`), tenant, tenant); err != nil {
			return err
		}
		// The demo agents (package central/demo) have no login and no other use.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM agents WHERE tenant = ? AND email LIKE ?`), tenant, "demo-agent-%@demo.invalid"); err != nil {
			return err
		}
		for _, table := range demoTables {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE tenant = ? AND demo = 1`), tenant); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return s.rebuildTenant(ctx, tx, tenant)
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete demo of %q: %w", tenant, err)
	}
	return int(n), nil
}

// demoTables are the other tables with a demo column that DeleteDemo empties.
var demoTables = []string{"merchant_events", "widget_hits", "qa_scores", "proactive_notices"}

func (s *sqlStore) HourlyCounts(ctx context.Context, tenant string, from, to time.Time) ([]float64, error) {
	from = from.Truncate(time.Hour)
	n := int(to.Sub(from) / time.Hour)
	if n <= 0 {
		return []float64{}, nil
	}
	if n > 24*800 {
		return nil, fmt.Errorf("store: hourly counts: %w: over 800 days", ErrInvalid)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT (created_at - ?) / 3600000 AS h, COUNT(*) FROM conv_stats
		WHERE tenant = ? AND created_at >= ? AND created_at < ? GROUP BY h`), ms(from), tenant, ms(from), ms(from.Add(time.Duration(n)*time.Hour)))
	if err != nil {
		return nil, fmt.Errorf("store: hourly counts of %q: %w", tenant, err)
	}
	defer rows.Close()
	out := make([]float64, n)
	for rows.Next() {
		var h, c int64
		if err := rows.Scan(&h, &c); err != nil {
			return nil, fmt.Errorf("store: hourly counts of %q: %w", tenant, err)
		}
		if h >= 0 && h < int64(n) {
			out[h] = float64(c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: hourly counts of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) ImportConversations(ctx context.Context, convs []ImportedConversation) (int, error) {
	n := 0
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		stats, err := s.insertImported(ctx, tx, convs)
		if err != nil {
			return err
		}
		n = len(stats)
		return s.putConvStats(ctx, tx, stats)
	})
	if err != nil {
		return 0, fmt.Errorf("store: import conversations: %w", err)
	}
	return n, nil
}

// validImported checks an imported conversation and its messages.
func validImported(ic ImportedConversation) error {
	c := ic.Conv
	if c.Tenant == "" || !chat.ValidID(c.ID) || !c.Status.Valid() {
		return fmt.Errorf("%w: imported conversation %q: tenant, valid id and status required", ErrInvalid, c.ID)
	}
	for _, m := range ic.Messages {
		if m.ConversationID != c.ID {
			return fmt.Errorf("%w: message %q is not in conversation %q", ErrInvalid, m.ID, c.ID)
		}
		if err := m.Validate(0); err != nil {
			return fmt.Errorf("%w: message %q: %w", ErrInvalid, m.ID, err)
		}
	}
	return nil
}

// insertImported writes the rows and messages of the conversations not
// stored yet and returns their facts (tenant and id set), not yet stored.
func (s *sqlStore) insertImported(ctx context.Context, tx *sql.Tx, convs []ImportedConversation) ([]ConvStats, error) {
	cs, err := tx.PrepareContext(ctx, s.q(`INSERT INTO conversations (`+convCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO NOTHING`))
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	msgStmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO messages (tenant, `+msgCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO NOTHING`))
	if err != nil {
		return nil, err
	}
	defer msgStmt.Close()
	var stats []ConvStats
	for _, ic := range convs {
		if err := validImported(ic); err != nil {
			return nil, err
		}
		c := ic.Conv
		res, err := cs.ExecContext(ctx, c.Tenant, c.ID, c.Visitor, string(c.Channel), c.Region, c.Lang, string(c.Status), c.Priority, c.Anger,
			b2i(c.VIP), c.Agent, c.Reason, c.LastText, c.BotFailures, ms(c.QueuedAt), ms(c.CreatedAt), ms(c.UpdatedAt))
		if err != nil {
			return nil, fmt.Errorf("conversation %q: %w", c.ID, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		for _, m := range ic.Messages {
			if _, err := msgStmt.ExecContext(ctx, c.Tenant, m.ID, m.ConversationID, string(m.Role), m.Text, string(m.Source), m.ReplyTo,
				m.Author, m.Lang, m.Intent, m.Anger, ms(m.At), "", string(m.Channel), m.ChannelID); err != nil {
				return nil, fmt.Errorf("message %q: %w", m.ID, err)
			}
		}
		st := ic.Stats
		st.Tenant, st.ID = c.Tenant, c.ID
		stats = append(stats, st)
	}
	return stats, nil
}

func (s *sqlStore) Ratings(ctx context.Context, tenant string, since time.Time) (map[string]Rating, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT conversation_id, rating, comment, at FROM csat WHERE tenant = ? AND at >= ?`), tenant, ms(since))
	if err != nil {
		return nil, fmt.Errorf("store: ratings of %q: %w", tenant, err)
	}
	list, err := collect(rows, func(r interface{ Scan(...any) error }) (Rating, error) {
		var x Rating
		var at int64
		err := r.Scan(&x.ConversationID, &x.Rating, &x.Comment, &at)
		x.At = fromMS(at)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: ratings of %q: %w", tenant, err)
	}
	out := make(map[string]Rating, len(list))
	for _, r := range list {
		out[r.ConversationID] = r
	}
	return out, nil
}

func (s *sqlStore) OpeningQuestions(ctx context.Context, tenant string, from, to time.Time, limit int) ([]chat.Message, error) {
	if limit <= 0 {
		limit = 2000
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM conv_stats WHERE tenant = ? AND created_at >= ? AND created_at < ?
		ORDER BY created_at DESC LIMIT ?`), tenant, ms(from), ms(to), limit)
	if err != nil {
		return nil, fmt.Errorf("store: opening questions of %q: %w", tenant, err)
	}
	ids, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("store: opening questions of %q: %w", tenant, err)
	}
	stmt, err := s.db.PrepareContext(ctx, s.q(`SELECT `+msgCols+` FROM messages WHERE tenant = ? AND conversation_id = ? AND role = 'shopper'
		ORDER BY seq ASC LIMIT 1`))
	if err != nil {
		return nil, fmt.Errorf("store: opening questions of %q: %w", tenant, err)
	}
	defer stmt.Close()
	out := make([]chat.Message, 0, len(ids))
	for _, id := range ids {
		m, err := scanMsg(stmt.QueryRowContext(ctx, tenant, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: opening questions of %q: %w", tenant, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *sqlStore) ImportEvents(ctx context.Context, events []MerchantEvent) error {
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO merchant_events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant, id) DO NOTHING`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		var stored []MerchantEvent
		for _, e := range events {
			if e.Tenant == "" || e.ID == "" || e.Type == "" || e.At.IsZero() {
				return fmt.Errorf("%w: event needs tenant, id, type and time", ErrInvalid)
			}
			res, err := stmt.ExecContext(ctx, e.Tenant, e.ID, e.Type, e.Contact, e.Visitor, e.OrderID, e.Amount, e.Currency,
				ms(e.At), e.Data, b2i(e.Demo), ms(e.ReceivedAt))
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 1 {
				stored = append(stored, e)
			}
		}
		return s.eventsStored(ctx, tx, stored)
	})
	if err != nil {
		return fmt.Errorf("store: import events: %w", err)
	}
	return nil
}

// StatsAgg is what the summary needs of the conv_stats rows of a
// StatsQuery, aggregated in the database (AggregateStats): the sums and
// counts, and the nearest-rank percentiles of first response and
// resolution. Package central/analytics turns it into a Summary with the
// same definitions as Summarize.
type StatsAgg struct {
	Conversations, Messages, HandedOff, Deflected, Closed, SLABreaches int
	CSATCount, CSATSum                                                 int
	HandleMS, AvgRespSumMS                                             int64
	AvgRespCount, FRTCount, ResolutionCount, Demo                      int
	// FRTP50MS, FRTP90MS, ResolutionP50MS are -1 when there is no value.
	FRTP50MS, FRTP90MS, ResolutionP50MS int64
	// Conversions counts conversations followed by an order.placed of
	// the same visitor or contact within the window.
	Conversions int
	// Orders and Revenue are the order.placed events in [From, To).
	Orders  int
	Revenue float64
}

func (s *sqlStore) statsWhere(q StatsQuery) (string, []any) {
	w := ` FROM conv_stats WHERE tenant = ? AND created_at >= ? AND created_at < ?`
	args := []any{q.Tenant, ms(q.From), ms(q.To)}
	if q.Team != "" {
		w += ` AND team = ?`
		args = append(args, q.Team)
	}
	if q.Channel != "" {
		w += ` AND channel = ?`
		args = append(args, q.Channel)
	}
	if q.Agent != "" {
		w += ` AND (',' || agents || ',') LIKE ?`
		args = append(args, "%,"+q.Agent+",%")
	}
	return w, args
}

// AggregateStats aggregates q from the hourly rollups (rollup.go) and the
// rows of the partial hours at the ends of the period; by agent, or for a
// period holding no whole hour, from the rows (aggregateStatsExact).
func (s *sqlStore) AggregateStats(ctx context.Context, q StatsQuery, window time.Duration) (StatsAgg, error) {
	f, t := ms(q.From), ms(q.To)
	h0, h1 := ceilHour(f), floorHour(t)
	if q.Agent != "" || h0 >= h1 || f <= 0 {
		return s.aggregateStatsExact(ctx, q, window)
	}
	if err := s.ensureRollupWindow(ctx, q.Tenant, window); err != nil {
		return StatsAgg{}, fmt.Errorf("store: aggregate stats of %q: %w", q.Tenant, err)
	}
	sum := newConvAgg()
	if err := s.readConvRollup(ctx, q, h0, h1, true, func(_ int64, c *convAgg) { sum.merge(c) }); err != nil {
		return StatsAgg{}, fmt.Errorf("store: aggregate stats: %w", err)
	}
	win := window.Milliseconds()
	for _, r := range [][2]int64{{f, h0}, {h1, t}} {
		if err := s.readFacts(ctx, q, r[0], r[1], func(row factRow) { sum.addRow(row, win) }); err != nil {
			return StatsAgg{}, fmt.Errorf("store: aggregate stats: %w", err)
		}
	}
	a := sum.statsAgg()
	where, args := s.statsWhere(q)
	var err error
	for _, p := range []struct {
		col   string
		n     int64
		p     float64
		h     hist
		value *int64
	}{{"frt_ms", sum.frtN, 50, sum.frt, &a.FRTP50MS}, {"frt_ms", sum.frtN, 90, sum.frt, &a.FRTP90MS}, {"resolution_ms", sum.resN, 50, sum.res, &a.ResolutionP50MS}} {
		switch {
		case p.n == 0 || q.NoPercentiles:
		case p.n <= exactPercentileMax:
			*p.value, err = s.rankExact(ctx, where, args, p.col, int(p.n), p.p)
		default:
			*p.value = p.h.rank(nearestRank(p.n, p.p))
		}
		if err != nil {
			return a, fmt.Errorf("store: aggregate stats of %q: %w", q.Tenant, err)
		}
	}
	if a.Orders, a.Revenue, err = s.orders(ctx, q.Tenant, f, t); err != nil {
		return a, fmt.Errorf("store: orders of %q: %w", q.Tenant, err)
	}
	return a, nil
}

// rankExact is the nearest-rank p-th percentile of col over the n rows of
// where (values ≥ 0), -1 when n is 0.
func (s *sqlStore) rankExact(ctx context.Context, where string, args []any, col string, n int, p float64) (int64, error) {
	if n == 0 {
		return -1, nil
	}
	r := nearestRank(int64(n), p)
	var v int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT `+col+where+` AND `+col+` >= 0 ORDER BY `+col+` LIMIT 1 OFFSET ?`), append(args, r-1)...).Scan(&v)
	return v, err
}

// aggregateStatsExact aggregates the conv_stats rows of q in the database.
func (s *sqlStore) aggregateStatsExact(ctx context.Context, q StatsQuery, window time.Duration) (StatsAgg, error) {
	var a StatsAgg
	where, args := s.statsWhere(q)
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(messages), 0), COALESCE(SUM(handed_off), 0), COALESCE(SUM(deflected), 0),
		COALESCE(SUM(CASE WHEN closed_at > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN handed_off = 1 AND sla_breached = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN csat > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(csat), 0), COALESCE(SUM(handle_ms), 0),
		COALESCE(SUM(CASE WHEN avg_resp_ms >= 0 THEN avg_resp_ms ELSE 0 END), 0), COALESCE(SUM(CASE WHEN avg_resp_ms >= 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN frt_ms >= 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN resolution_ms >= 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(demo), 0)`+where), args...).Scan(&a.Conversations, &a.Messages, &a.HandedOff, &a.Deflected, &a.Closed, &a.SLABreaches,
		&a.CSATCount, &a.CSATSum, &a.HandleMS, &a.AvgRespSumMS, &a.AvgRespCount, &a.FRTCount, &a.ResolutionCount, &a.Demo)
	if err != nil {
		return a, fmt.Errorf("store: aggregate stats of %q: %w", q.Tenant, err)
	}
	rank := func(col string, n int, p float64) (int64, error) { return s.rankExact(ctx, where, args, col, n, p) }
	a.FRTP50MS, a.FRTP90MS, a.ResolutionP50MS = -1, -1, -1
	if !q.NoPercentiles {
		if a.FRTP50MS, err = rank("frt_ms", a.FRTCount, 50); err == nil {
			if a.FRTP90MS, err = rank("frt_ms", a.FRTCount, 90); err == nil {
				a.ResolutionP50MS, err = rank("resolution_ms", a.ResolutionCount, 50)
			}
		}
	}
	if err != nil {
		return a, fmt.Errorf("store: aggregate stats of %q: %w", q.Tenant, err)
	}
	// Two EXISTS so that each uses its index (visitor, contact).
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*)`+where+` AND ((conv_stats.visitor <> '' AND EXISTS (SELECT 1 FROM merchant_events e WHERE e.tenant = conv_stats.tenant
		AND e.visitor = conv_stats.visitor AND e.at >= conv_stats.created_at AND e.at <= conv_stats.created_at + ? AND e.type = 'order.placed'))
		OR (conv_stats.contact <> '' AND EXISTS (SELECT 1 FROM merchant_events e WHERE e.tenant = conv_stats.tenant
		AND e.contact = conv_stats.contact AND e.at >= conv_stats.created_at AND e.at <= conv_stats.created_at + ? AND e.type = 'order.placed')))`),
		append(args, window.Milliseconds(), window.Milliseconds())...).Scan(&a.Conversions)
	if err != nil {
		return a, fmt.Errorf("store: conversions of %q: %w", q.Tenant, err)
	}
	err = s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM merchant_events WHERE tenant = ? AND type = 'order.placed'
		AND at >= ? AND at < ?`), q.Tenant, ms(q.From), ms(q.To)).Scan(&a.Orders, &a.Revenue)
	if err != nil {
		return a, fmt.Errorf("store: orders of %q: %w", q.Tenant, err)
	}
	return a, nil
}

// HitsAgg aggregates the widget hits of a period (AggregateHits).
type HitsAgg struct {
	// Hits counts all; Outside those in no conversation created in the
	// period; Sessions splits the outside ones per visitor after gap;
	// DeflectedConvs counts the period's conversations neither handed off
	// nor deflected by the bot that a hit names.
	Hits, Outside, Sessions, DeflectedConvs int
}

// AggregateHits aggregates the tenant's widget hits in [from, to): the
// whole hours from hit_rollup, the partial ones from the rows. Sessions
// come from the rollups' session starts, plus the hits in the first
// SessionGap of the period whose predecessor came before it; when a hit
// of the period names a conversation that is not in it (it counts as a
// browser answer outside any conversation then, and splits sessions), or
// for another gap than SessionGap, everything comes from the rows
// (aggregateHitsExact).
func (s *sqlStore) AggregateHits(ctx context.Context, tenant string, from, to time.Time, gap time.Duration) (HitsAgg, error) {
	f, t := ms(from), ms(to)
	h0, h1 := ceilHour(f), floorHour(t)
	if gap != SessionGap || h0 >= h1 || f <= 0 {
		return s.aggregateHitsExact(ctx, tenant, from, to, gap)
	}
	var a HitsAgg
	var unnamed, starts int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(hits), 0), COALESCE(SUM(unnamed), 0), COALESCE(SUM(starts), 0) FROM hit_rollup
		WHERE tenant = ? AND hour >= ? AND hour < ?`), tenant, h0, h1).Scan(&a.Hits, &unnamed, &starts); err != nil {
		return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
	}
	for _, r := range [][2]int64{{f, h0}, {h1, t}} {
		if r[0] >= r[1] {
			continue
		}
		var k, u, st int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN conversation_id = '' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN `+hitStartSQL+` THEN 1 ELSE 0 END), 0) FROM widget_hits WHERE tenant = ? AND at >= ? AND at < ?`),
			tenant, r[0], r[1]).Scan(&k, &u, &st); err != nil {
			return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
		}
		a.Hits, unnamed, starts = a.Hits+k, unnamed+u, starts+st
	}
	// Hits naming a conversation are few; without any, the joins below
	// are skipped (PostgreSQL may plan them as a scan of conv_stats).
	named, inside := a.Hits-unnamed, 0
	if named > 0 {
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM widget_hits h JOIN conv_stats c ON c.tenant = h.tenant AND c.id = h.conversation_id
			WHERE h.tenant = ? AND h.conversation_id <> '' AND h.at >= ? AND h.at < ? AND c.created_at >= ? AND c.created_at < ?`),
			tenant, f, t, f, t).Scan(&inside); err != nil {
			return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
		}
	}
	if named != inside {
		return s.aggregateHitsExact(ctx, tenant, from, to, gap)
	}
	a.Outside = a.Hits - inside
	var carried int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM widget_hits WHERE tenant = ? AND conversation_id = '' AND at >= ? AND at < ?
		AND gap_ms >= 0 AND at - gap_ms < ?`), tenant, f, min(t, f+gap.Milliseconds()), f).Scan(&carried); err != nil {
		return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
	}
	a.Sessions = starts + carried
	if named == 0 {
		return a, nil
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(DISTINCT h.conversation_id) FROM widget_hits h JOIN conv_stats c ON c.tenant = h.tenant
		AND c.id = h.conversation_id WHERE h.tenant = ? AND h.conversation_id <> '' AND h.at >= ? AND h.at < ? AND c.created_at >= ? AND c.created_at < ?
		AND c.handed_off = 0 AND c.deflected = 0`), tenant, f, t, f, t).Scan(&a.DeflectedConvs); err != nil {
		return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
	}
	return a, nil
}

// aggregateHitsExact aggregates the tenant's widget hits in [from, to) from the rows.
func (s *sqlStore) aggregateHitsExact(ctx context.Context, tenant string, from, to time.Time, gap time.Duration) (HitsAgg, error) {
	var a HitsAgg
	outside := ` FROM widget_hits h WHERE h.tenant = ? AND h.at >= ? AND h.at < ? AND NOT EXISTS (SELECT 1 FROM conv_stats c
		WHERE c.tenant = h.tenant AND c.id = h.conversation_id AND c.created_at >= ? AND c.created_at < ?)`
	args := []any{tenant, ms(from), ms(to), ms(from), ms(to)}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM widget_hits WHERE tenant = ? AND at >= ? AND at < ?`), tenant, ms(from), ms(to)).Scan(&a.Hits); err != nil {
		return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*)`+outside), args...).Scan(&a.Outside); err != nil {
		return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM (SELECT h.at - LAG(h.at) OVER (PARTITION BY h.visitor ORDER BY h.at) AS gap`+outside+`) x
		WHERE x.gap IS NULL OR x.gap > ?`), append(args, gap.Milliseconds())...).Scan(&a.Sessions); err != nil {
		return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(DISTINCT h.conversation_id) FROM widget_hits h JOIN conv_stats c ON c.tenant = h.tenant
		AND c.id = h.conversation_id WHERE h.tenant = ? AND h.conversation_id <> '' AND h.at >= ? AND h.at < ? AND c.created_at >= ? AND c.created_at < ?
		AND c.handed_off = 0 AND c.deflected = 0`), args...).Scan(&a.DeflectedConvs); err != nil {
		return a, fmt.Errorf("store: aggregate hits of %q: %w", tenant, err)
	}
	return a, nil
}
