package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// WorkStore keeps what the agents' workspace and the human queue need
// beyond the core Store: the light rows the queue is ranked from, agents'
// presence, language and capacity, teams, routing rules, canned replies,
// internal notes, tags, translations of messages, CSAT ratings, callback
// tickets and the queue timestamps SLAs and wait estimates are computed
// from (assigned, first response, closed). Its tables and columns come
// from migrations 1000–1099.
type WorkStore interface {
	// QueueItems returns the queued conversations of tenant, unordered
	// (central ranks them with the priority computed when read).
	QueueItems(ctx context.Context, tenant string) ([]QueueItem, error)
	// QueuedTenants lists the tenants with at least one queued conversation;
	// ActiveTenants those with a queued or assigned one.
	QueuedTenants(ctx context.Context) ([]string, error)
	ActiveTenants(ctx context.Context) ([]string, error)
	// ClaimQueued assigns a conversation that is still queued to agent; one
	// another agent or replica took first is ErrTaken, a missing one
	// ErrNotFound. Exactly one of many concurrent callers wins.
	ClaimQueued(ctx context.Context, tenant, id, agent string, now time.Time) (Conversation, error)
	// Work returns a conversation's workspace facts (zero values when none).
	Work(ctx context.Context, tenant, id string) (Work, error)
	// TeamsAndTags returns the team and tags of the conversations ids
	// (missing ones are left out).
	TeamsAndTags(ctx context.Context, tenant string, ids []string) (map[string]Work, error)
	// MarkAssigned, MarkFirstResponse and MarkClosed record the queue
	// timestamps; MarkFirstResponse keeps the first one.
	MarkAssigned(ctx context.Context, tenant, id string, now time.Time) error
	MarkFirstResponse(ctx context.Context, tenant, id string, now time.Time) error
	MarkClosed(ctx context.Context, tenant, id string, now time.Time) error
	// Transfer sets the team of a conversation ("" = none); with agent set
	// the conversation is assigned to that agent, otherwise it goes back to
	// the queue (keeping its place when it was queued).
	Transfer(ctx context.Context, tenant, id, team, agent string, now time.Time) (Conversation, error)
	// Reopen puts a closed conversation back to assigned (agent) or queued.
	Reopen(ctx context.Context, tenant, id, agent string, now time.Time) (Conversation, error)
	// HandlingTimes returns how long agents held the latest closed
	// conversations of tenant (assigned → closed), newest first, at most n.
	HandlingTimes(ctx context.Context, tenant string, n int) ([]time.Duration, error)
	// ActiveCounts returns how many conversations each agent of tenant holds.
	ActiveCounts(ctx context.Context, tenant string) (map[string]int, error)

	// SetContext merges page facts (url, title, sku, product, cart…) into
	// the conversation's page context.
	SetContext(ctx context.Context, tenant, id string, facts map[string]string) error
	// SetTags replaces a conversation's tags.
	SetTags(ctx context.Context, tenant, id string, tags []string) error

	// PutAgentProfile stores an agent's language, capacity and teams.
	PutAgentProfile(ctx context.Context, p AgentProfile) error
	// AgentProfile returns an agent's profile (defaults when never stored).
	AgentProfile(ctx context.Context, tenant, agent string) (AgentProfile, error)
	// SetPresence records an agent's presence.
	SetPresence(ctx context.Context, tenant, agent string, p Presence) error
	// AgentProfiles returns the profile and presence of every agent of tenant
	// that has one.
	AgentProfiles(ctx context.Context, tenant string) ([]AgentProfile, error)

	// PutMessageText stores the translation and/or original of a message.
	PutMessageText(ctx context.Context, tenant, id string, translation, original *chat.Text) error
	// MessageTexts returns the translations and originals of a
	// conversation's messages by message id.
	MessageTexts(ctx context.Context, tenant, conversation string) (map[string]MessageText, error)

	// AddNote stores an internal note (idempotent by id).
	AddNote(ctx context.Context, n Note) (Note, bool, error)
	// Notes returns a conversation's notes, oldest first.
	Notes(ctx context.Context, tenant, conversation string) ([]Note, error)

	// PutCSAT stores a conversation's rating (the latest one counts).
	PutCSAT(ctx context.Context, tenant, conversation, visitor string, c chat.CSAT, now time.Time) error
	// CSATs returns the ratings of a visitor's conversations, newest first.
	CSATs(ctx context.Context, tenant, visitor string) ([]Rating, error)

	// AddTicket records a callback or after-hours ticket (idempotent by id).
	AddTicket(ctx context.Context, t Ticket) (Ticket, bool, error)
	// Tickets lists a tenant's tickets in a status ("" = all), oldest first.
	Tickets(ctx context.Context, tenant, status string) ([]Ticket, error)
	// SetTicketStatus changes a ticket's status.
	SetTicketStatus(ctx context.Context, tenant, id, status string) error

	// PutTeam creates or updates a team; Teams lists them by id.
	PutTeam(ctx context.Context, t Team) error
	Teams(ctx context.Context, tenant string) ([]Team, error)
	// PutRules replaces a tenant's routing rules (in order); Rules reads them.
	PutRules(ctx context.Context, tenant string, rules []Rule) error
	Rules(ctx context.Context, tenant string) ([]Rule, error)

	// PutCanned creates or updates a canned reply, DeleteCanned removes
	// one, Canned lists them by shortcut.
	PutCanned(ctx context.Context, c Canned) error
	DeleteCanned(ctx context.Context, tenant, shortcut string) error
	Canned(ctx context.Context, tenant string) ([]Canned, error)
}

// QueueItem is what ranking a queued conversation needs.
type QueueItem struct {
	ID       string
	Visitor  string
	Region   string
	Channel  chat.Channel
	Lang     string
	Anger    float64
	VIP      bool
	Priority int
	Reason   string
	Team     string
	// Skills the conversation needs (CleanSkills form).
	Skills   []string
	QueuedAt time.Time
}

// Work is a conversation's workspace facts.
type Work struct {
	Team string
	// Context is the shopper's page context (url, title, sku, product, cart…).
	Context map[string]string
	Tags    []string
	// Skills the conversation needs.
	Skills          []string
	AssignedAt      time.Time
	FirstResponseAt time.Time
	ClosedAt        time.Time
}

// Presence states of an agent.
const (
	PresenceOnline  = "online"
	PresenceAway    = "away"
	PresenceOffline = "offline"
)

// Presence is what an agent's console last reported.
type Presence struct {
	// Status is PresenceOnline, PresenceAway or PresenceOffline as set.
	Status string
	// Seen is the latest heartbeat of a console of the agent.
	Seen time.Time
	// Active is the latest keystroke or click.
	Active time.Time
}

// AgentProfile is an agent's workspace settings and presence.
type AgentProfile struct {
	Tenant string
	Agent  string
	// Lang is the language the agent reads and writes ("" = not set).
	Lang string
	// Capacity is the most conversations the agent holds at once (0 = the default).
	Capacity int
	Teams    []string
	// Skills the agent has (CleanSkills form: lang:de, topic:refund, channel:wechat).
	Skills   []string
	Presence Presence
}

// MessageText holds the other-language versions of a message.
type MessageText struct {
	Translation *chat.Text
	Original    *chat.Text
	// Shown is the text the shopper was shown ("" = the message's own).
	Shown string
}

// Note is an internal note on a conversation: agents only.
type Note struct {
	ID             string    `json:"id"`
	Tenant         string    `json:"-"`
	ConversationID string    `json:"conversation_id"`
	Author         string    `json:"author"`
	Text           string    `json:"text"`
	At             time.Time `json:"at"`
}

// Rating is a stored CSAT rating.
type Rating struct {
	ConversationID string    `json:"conversation_id"`
	Rating         int       `json:"rating"`
	Comment        string    `json:"comment,omitempty"`
	At             time.Time `json:"at"`
}

// Ticket kinds and states.
const (
	TicketCallback  = "callback"
	TicketAfterHour = "after_hours"
	// TicketComplaint: a complaint the bot answered while the team was
	// closed (central/work.go).
	TicketComplaint = "complaint"
	TicketOpen      = "open"
	TicketDone      = "done"
)

// Ticket is work for a later shift: a callback request or a conversation
// that came in while nobody could answer.
type Ticket struct {
	ID             string `json:"id"`
	Tenant         string `json:"-"`
	ConversationID string `json:"conversation_id"`
	Kind           string `json:"kind"`
	Status         string `json:"status"`
	// Detail is the masked contact or the shopper's last text.
	Detail    string    `json:"detail"`
	CreatedAt time.Time `json:"created_at"`
	// DueAt is when business hours open again (zero: as soon as possible).
	DueAt time.Time `json:"due_at,omitzero"`
}

// Team is a group of agents. Skills are what every conversation routed to
// it needs (as a Rule's).
type Team struct {
	Tenant string   `json:"-"`
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Skills []string `json:"skills,omitempty"`
	// Hours are the team's business hours (central/hours.go format); "" = the tenant's.
	Hours string `json:"hours,omitempty"`
}

// Rule routes a handed-off conversation to a team when all its conditions
// hold; central/routing.go defines the conditions.
type Rule struct {
	When map[string]string `json:"when"`
	Team string            `json:"team"`
	// Skills the conversations it routes need: skills (lang:de) or bare
	// kinds (lang, topic, channel) for the conversation's own.
	Skills []string `json:"skills,omitempty"`
}

// Canned is a canned reply: "/shortcut" in the console inserts Text with
// its {variables} filled in.
type Canned struct {
	Tenant   string `json:"-"`
	Shortcut string `json:"shortcut"`
	Text     string `json:"text"`
}

var _ WorkStore = (*sqlStore)(nil)

// ---- queue ----

func (s *sqlStore) QueueItems(ctx context.Context, tenant string) ([]QueueItem, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, visitor, region, channel, lang, anger, vip, priority, reason, team, queued_at
		FROM conversations WHERE tenant = ? AND status = 'queued'`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: queue of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (QueueItem, error) {
		var q QueueItem
		var ch string
		var vip int
		var at int64
		err := r.Scan(&q.ID, &q.Visitor, &q.Region, &ch, &q.Lang, &q.Anger, &vip, &q.Priority, &q.Reason, &q.Team, &at)
		q.Channel, q.VIP, q.QueuedAt = chat.Channel(ch), vip != 0, fromMS(at)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: queue of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) QueuedTenants(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT tenant FROM conversations WHERE status = 'queued'`)
	if err != nil {
		return nil, fmt.Errorf("store: queued tenants: %w", err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var t string
		return t, r.Scan(&t)
	})
	if err != nil {
		return nil, fmt.Errorf("store: queued tenants: %w", err)
	}
	return out, nil
}

func (s *sqlStore) ActiveTenants(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT tenant FROM conversations WHERE status IN ('queued', 'assigned')`)
	if err != nil {
		return nil, fmt.Errorf("store: active tenants: %w", err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var t string
		return t, r.Scan(&t)
	})
	if err != nil {
		return nil, fmt.Errorf("store: active tenants: %w", err)
	}
	return out, nil
}

func (s *sqlStore) ClaimQueued(ctx context.Context, tenant, id, agent string, now time.Time) (Conversation, error) {
	if agent == "" {
		return Conversation{}, fmt.Errorf("store: claim queued: %w: no agent", ErrInvalid)
	}
	var c Conversation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = 'assigned', agent = ?, assigned_at = ?, updated_at = ?
			WHERE tenant = ? AND id = ? AND status = 'queued'`), agent, ms(now), ms(now), tenant, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := s.getConv(ctx, tx, tenant, id, false); err != nil {
				return err
			}
			return ErrTaken
		}
		c, err = s.getConv(ctx, tx, tenant, id, false)
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: claim queued %q/%q by %q: %w", tenant, id, agent, err)
	}
	return c, nil
}

func (s *sqlStore) Work(ctx context.Context, tenant, id string) (Work, error) {
	var w Work
	var tags, pctx, skills string
	var as, fr, cl int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT team, tags, assigned_at, first_response_at, closed_at, page_context, skills FROM conversations
		WHERE tenant = ? AND id = ?`), tenant, id).Scan(&w.Team, &tags, &as, &fr, &cl, &pctx, &skills)
	if errors.Is(err, sql.ErrNoRows) {
		return Work{}, fmt.Errorf("store: work of %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return Work{}, fmt.Errorf("store: work of %q/%q: %w", tenant, id, err)
	}
	w.Tags, w.Skills = splitList(tags), skillsFromCol(skills)
	if pctx != "" {
		if err := json.Unmarshal([]byte(pctx), &w.Context); err != nil {
			return Work{}, fmt.Errorf("store: work of %q/%q: page context: %w", tenant, id, err)
		}
	}
	w.AssignedAt, w.FirstResponseAt, w.ClosedAt = fromMS(as), fromMS(fr), fromMS(cl)
	return w, nil
}

func (s *sqlStore) TeamsAndTags(ctx context.Context, tenant string, ids []string) (map[string]Work, error) {
	out := make(map[string]Work, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 200)
		chunk := ids[:n]
		ids = ids[n:]
		args := make([]any, 0, n+1)
		args = append(args, tenant)
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, team, tags FROM conversations WHERE tenant = ? AND id IN (?`+
			strings.Repeat(", ?", n-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("store: teams and tags: %w", err)
		}
		type row struct {
			id string
			w  Work
		}
		list, err := collect(rows, func(r interface{ Scan(...any) error }) (row, error) {
			var x row
			var tags string
			err := r.Scan(&x.id, &x.w.Team, &tags)
			x.w.Tags = splitList(tags)
			return x, err
		})
		if err != nil {
			return nil, fmt.Errorf("store: teams and tags: %w", err)
		}
		for _, x := range list {
			out[x.id] = x.w
		}
	}
	return out, nil
}

func (s *sqlStore) exec1(ctx context.Context, what, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) MarkAssigned(ctx context.Context, tenant, id string, now time.Time) error {
	return s.exec1(ctx, "mark assigned", `UPDATE conversations SET assigned_at = ? WHERE tenant = ? AND id = ?`, ms(now), tenant, id)
}

func (s *sqlStore) MarkFirstResponse(ctx context.Context, tenant, id string, now time.Time) error {
	_, err := s.execTx(ctx, s.q(`UPDATE conversations SET first_response_at = ? WHERE tenant = ? AND id = ? AND first_response_at = 0`),
		ms(now), tenant, id)
	if err != nil {
		return fmt.Errorf("store: mark first response: %w", err)
	}
	return nil
}

func (s *sqlStore) MarkClosed(ctx context.Context, tenant, id string, now time.Time) error {
	return s.exec1(ctx, "mark closed", `UPDATE conversations SET closed_at = ? WHERE tenant = ? AND id = ?`, ms(now), tenant, id)
}

func (s *sqlStore) Transfer(ctx context.Context, tenant, id, team, agent string, now time.Time) (Conversation, error) {
	var c Conversation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = s.getConv(ctx, tx, tenant, id, true); err != nil {
			return err
		}
		if c.Status == StatusClosed {
			return ErrClosed
		}
		if agent != "" {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET team = ?, status = 'assigned', agent = ?, assigned_at = ?, updated_at = ?
				WHERE tenant = ? AND id = ?`), team, agent, ms(now), ms(now), tenant, id)
		} else {
			queued := c.QueuedAt
			if c.Status != StatusQueued {
				queued = now
			}
			_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET team = ?, status = 'queued', agent = '', queued_at = ?, updated_at = ?
				WHERE tenant = ? AND id = ?`), team, ms(queued), ms(now), tenant, id)
		}
		if err != nil {
			return err
		}
		c, err = s.getConv(ctx, tx, tenant, id, false)
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: transfer %q/%q: %w", tenant, id, err)
	}
	return c, nil
}

func (s *sqlStore) Reopen(ctx context.Context, tenant, id, agent string, now time.Time) (Conversation, error) {
	var c Conversation
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = s.getConv(ctx, tx, tenant, id, true); err != nil {
			return err
		}
		if c.Status != StatusClosed {
			return nil
		}
		if agent != "" {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = 'assigned', agent = ?, assigned_at = ?, closed_at = 0, updated_at = ?
				WHERE tenant = ? AND id = ?`), agent, ms(now), ms(now), tenant, id)
		} else {
			_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = 'queued', agent = '', queued_at = ?, closed_at = 0, updated_at = ?
				WHERE tenant = ? AND id = ?`), ms(now), ms(now), tenant, id)
		}
		if err != nil {
			return err
		}
		c, err = s.getConv(ctx, tx, tenant, id, false)
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: reopen %q/%q: %w", tenant, id, err)
	}
	return c, nil
}

func (s *sqlStore) HandlingTimes(ctx context.Context, tenant string, n int) ([]time.Duration, error) {
	if n <= 0 {
		n = 50
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT closed_at - assigned_at FROM conversations
		WHERE tenant = ? AND status = 'closed' AND assigned_at > 0 AND closed_at >= assigned_at ORDER BY closed_at DESC LIMIT ?`), tenant, n)
	if err != nil {
		return nil, fmt.Errorf("store: handling times of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (time.Duration, error) {
		var d int64
		err := r.Scan(&d)
		return time.Duration(d) * time.Millisecond, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: handling times of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) ActiveCounts(ctx context.Context, tenant string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT agent, COUNT(*) FROM conversations WHERE tenant = ? AND status = 'assigned' GROUP BY agent`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: active counts of %q: %w", tenant, err)
	}
	type pair struct {
		a string
		n int
	}
	list, err := collect(rows, func(r interface{ Scan(...any) error }) (pair, error) {
		var p pair
		return p, r.Scan(&p.a, &p.n)
	})
	if err != nil {
		return nil, fmt.Errorf("store: active counts of %q: %w", tenant, err)
	}
	out := make(map[string]int, len(list))
	for _, p := range list {
		out[p.a] = p.n
	}
	return out, nil
}

// joinList (and splitList of analytics.go) keep short lists (tags, teams,
// skills) in one column, comma-separated; items never hold commas (CleanTags).
func joinList(l []string) string { return strings.Join(l, ",") }

// MaxTags and MaxTagLen bound a conversation's tags.
const (
	MaxTags   = 20
	MaxTagLen = 40
)

// CleanTags lowercases, trims, deduplicates and checks tags: 1–40
// characters without commas, at most 20.
func CleanTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" || seen[t] {
			continue
		}
		if len(t) > MaxTagLen || strings.ContainsAny(t, ",\n\r\t") {
			return nil, fmt.Errorf("%w: tag %q: 1-%d characters without commas", ErrInvalid, t, MaxTagLen)
		}
		seen[t] = true
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return nil, fmt.Errorf("%w: %d tags, at most %d", ErrInvalid, len(out), MaxTags)
	}
	return out, nil
}

func (s *sqlStore) SetContext(ctx context.Context, tenant, id string, facts map[string]string) error {
	if len(facts) == 0 {
		return nil
	}
	return s.withTx(ctx, func(tx *sql.Tx) error {
		var raw string
		err := tx.QueryRowContext(ctx, s.q(`SELECT page_context FROM conversations WHERE tenant = ? AND id = ?`+s.d.forUpdate), tenant, id).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: set context %q/%q: %w", tenant, id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: set context %q/%q: %w", tenant, id, err)
		}
		m := map[string]string{}
		if raw != "" {
			_ = json.Unmarshal([]byte(raw), &m)
		}
		for k, v := range facts {
			m[k] = v
		}
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("store: set context: %w", err)
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE conversations SET page_context = ? WHERE tenant = ? AND id = ?`), string(b), tenant, id)
		if err != nil {
			return fmt.Errorf("store: set context %q/%q: %w", tenant, id, err)
		}
		return nil
	})
}

func (s *sqlStore) SetTags(ctx context.Context, tenant, id string, tags []string) error {
	tags, err := CleanTags(tags)
	if err != nil {
		return fmt.Errorf("store: set tags: %w", err)
	}
	return s.exec1(ctx, "set tags", `UPDATE conversations SET tags = ? WHERE tenant = ? AND id = ?`, joinList(tags), tenant, id)
}

// ---- agents ----

func (s *sqlStore) PutAgentProfile(ctx context.Context, p AgentProfile) error {
	if p.Tenant == "" || p.Agent == "" || p.Capacity < 0 {
		return fmt.Errorf("store: put agent profile: %w: tenant, agent and a capacity >= 0 are required", ErrInvalid)
	}
	skills, err := CleanSkills(p.Skills)
	if err != nil {
		return fmt.Errorf("store: put agent profile: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO agent_state (tenant, agent, lang, capacity, teams, skills, status, seen, active)
		VALUES (?, ?, ?, ?, ?, ?, 'offline', 0, 0)
		ON CONFLICT (tenant, agent) DO UPDATE SET lang = excluded.lang, capacity = excluded.capacity, teams = excluded.teams,
			skills = excluded.skills`),
		p.Tenant, p.Agent, p.Lang, p.Capacity, joinList(p.Teams), joinList(skills))
	if err != nil {
		return fmt.Errorf("store: put agent profile %q/%q: %w", p.Tenant, p.Agent, err)
	}
	return nil
}

const profileCols = `tenant, agent, lang, capacity, teams, skills, status, seen, active`

func scanProfile(r interface{ Scan(...any) error }) (AgentProfile, error) {
	var p AgentProfile
	var teams, skills string
	var seen, active int64
	err := r.Scan(&p.Tenant, &p.Agent, &p.Lang, &p.Capacity, &teams, &skills, &p.Presence.Status, &seen, &active)
	p.Teams, p.Skills, p.Presence.Seen, p.Presence.Active = splitList(teams), splitList(skills), fromMS(seen), fromMS(active)
	return p, err
}

func (s *sqlStore) AgentProfile(ctx context.Context, tenant, agent string) (AgentProfile, error) {
	p, err := scanProfile(s.db.QueryRowContext(ctx, s.q(`SELECT `+profileCols+` FROM agent_state WHERE tenant = ? AND agent = ?`), tenant, agent))
	if errors.Is(err, sql.ErrNoRows) {
		return AgentProfile{Tenant: tenant, Agent: agent, Presence: Presence{Status: PresenceOffline}}, nil
	}
	if err != nil {
		return AgentProfile{}, fmt.Errorf("store: agent profile %q/%q: %w", tenant, agent, err)
	}
	return p, nil
}

func (s *sqlStore) SetPresence(ctx context.Context, tenant, agent string, p Presence) error {
	switch p.Status {
	case PresenceOnline, PresenceAway, PresenceOffline:
	default:
		return fmt.Errorf("store: set presence: %w: status %q", ErrInvalid, p.Status)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO agent_state (tenant, agent, lang, capacity, teams, status, seen, active)
		VALUES (?, ?, '', 0, '', ?, ?, ?)
		ON CONFLICT (tenant, agent) DO UPDATE SET status = excluded.status, seen = excluded.seen,
			active = CASE WHEN excluded.active > agent_state.active THEN excluded.active ELSE agent_state.active END`),
		tenant, agent, p.Status, ms(p.Seen), ms(p.Active))
	if err != nil {
		return fmt.Errorf("store: set presence %q/%q: %w", tenant, agent, err)
	}
	return nil
}

func (s *sqlStore) AgentProfiles(ctx context.Context, tenant string) ([]AgentProfile, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+profileCols+` FROM agent_state WHERE tenant = ? ORDER BY agent`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: agent profiles of %q: %w", tenant, err)
	}
	out, err := collect(rows, scanProfile)
	if err != nil {
		return nil, fmt.Errorf("store: agent profiles of %q: %w", tenant, err)
	}
	return out, nil
}

// ---- translations ----

func textJSON(t *chat.Text) (string, error) {
	if t == nil {
		return "", nil
	}
	b, err := json.Marshal(t)
	return string(b), err
}

func (s *sqlStore) PutMessageText(ctx context.Context, tenant, id string, translation, original *chat.Text) error {
	tr, err := textJSON(translation)
	if err != nil {
		return fmt.Errorf("store: message text: %w", err)
	}
	or, err := textJSON(original)
	if err != nil {
		return fmt.Errorf("store: message text: %w", err)
	}
	var conv string
	err = s.db.QueryRowContext(ctx, s.q(`SELECT conversation_id FROM messages WHERE tenant = ? AND id = ?`), tenant, id).Scan(&conv)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: message text %q/%q: %w", tenant, id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: message text %q/%q: %w", tenant, id, err)
	}
	_, err = s.execTx(ctx, s.q(`INSERT INTO message_texts (tenant, id, conversation_id, translation, original) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET
			translation = CASE WHEN excluded.translation <> '' THEN excluded.translation ELSE message_texts.translation END,
			original = CASE WHEN excluded.original <> '' THEN excluded.original ELSE message_texts.original END`),
		tenant, id, conv, tr, or)
	if err != nil {
		return fmt.Errorf("store: message text %q/%q: %w", tenant, id, err)
	}
	return nil
}

func (s *sqlStore) MessageTexts(ctx context.Context, tenant, conversation string) (map[string]MessageText, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, translation, original, shown FROM message_texts WHERE tenant = ? AND conversation_id = ?`), tenant, conversation)
	if err != nil {
		return nil, fmt.Errorf("store: message texts of %q: %w", conversation, err)
	}
	type row struct {
		id string
		mt MessageText
	}
	list, err := collect(rows, func(r interface{ Scan(...any) error }) (row, error) {
		var x row
		var tr, or string
		if err := r.Scan(&x.id, &tr, &or, &x.mt.Shown); err != nil {
			return x, err
		}
		if tr != "" {
			x.mt.Translation = new(chat.Text)
			if err := json.Unmarshal([]byte(tr), x.mt.Translation); err != nil {
				return x, err
			}
		}
		if or != "" {
			x.mt.Original = new(chat.Text)
			if err := json.Unmarshal([]byte(or), x.mt.Original); err != nil {
				return x, err
			}
		}
		return x, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: message texts of %q: %w", conversation, err)
	}
	out := make(map[string]MessageText, len(list))
	for _, x := range list {
		out[x.id] = x.mt
	}
	return out, nil
}

// ---- notes ----

func (s *sqlStore) AddNote(ctx context.Context, n Note) (Note, bool, error) {
	if !chat.ValidID(n.ID) || n.Tenant == "" || n.ConversationID == "" {
		return Note{}, false, fmt.Errorf("store: add note: %w: id, tenant and conversation are required", ErrInvalid)
	}
	if err := chat.ValidateText(n.Text, chat.MaxTextBytes); err != nil {
		return Note{}, false, fmt.Errorf("store: add note: %w: %w", ErrInvalid, err)
	}
	if _, err := s.Conversation(ctx, n.Tenant, n.ConversationID); err != nil {
		return Note{}, false, fmt.Errorf("store: add note: %w", err)
	}
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO notes (tenant, id, conversation_id, author, text, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO NOTHING`), n.Tenant, n.ID, n.ConversationID, n.Author, n.Text, ms(n.At))
	if err != nil {
		return Note{}, false, fmt.Errorf("store: add note: %w", err)
	}
	k, _ := res.RowsAffected()
	return n, k == 1, nil
}

func (s *sqlStore) Notes(ctx context.Context, tenant, conversation string) ([]Note, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, conversation_id, author, text, at FROM notes WHERE tenant = ? AND conversation_id = ? ORDER BY at, id`),
		tenant, conversation)
	if err != nil {
		return nil, fmt.Errorf("store: notes of %q: %w", conversation, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Note, error) {
		var n Note
		var at int64
		err := r.Scan(&n.ID, &n.ConversationID, &n.Author, &n.Text, &at)
		n.Tenant, n.At = tenant, fromMS(at)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: notes of %q: %w", conversation, err)
	}
	return out, nil
}

// ---- CSAT ----

func (s *sqlStore) PutCSAT(ctx context.Context, tenant, conversation, visitor string, c chat.CSAT, now time.Time) error {
	if c.Rating < 1 || c.Rating > 5 {
		return fmt.Errorf("store: csat: %w: rating %d is not 1-5", ErrInvalid, c.Rating)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO csat (tenant, conversation_id, visitor, rating, comment, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, conversation_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, at = excluded.at`),
		tenant, conversation, visitor, c.Rating, c.Comment, ms(now))
	if err != nil {
		return fmt.Errorf("store: csat of %q: %w", conversation, err)
	}
	return nil
}

func (s *sqlStore) CSATs(ctx context.Context, tenant, visitor string) ([]Rating, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT conversation_id, rating, comment, at FROM csat WHERE tenant = ? AND visitor = ? ORDER BY at DESC LIMIT 50`),
		tenant, visitor)
	if err != nil {
		return nil, fmt.Errorf("store: csat of %q: %w", visitor, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Rating, error) {
		var x Rating
		var at int64
		err := r.Scan(&x.ConversationID, &x.Rating, &x.Comment, &at)
		x.At = fromMS(at)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: csat of %q: %w", visitor, err)
	}
	return out, nil
}

// ---- tickets ----

func (s *sqlStore) AddTicket(ctx context.Context, t Ticket) (Ticket, bool, error) {
	if !chat.ValidID(t.ID) || t.Tenant == "" || t.Kind == "" {
		return Ticket{}, false, fmt.Errorf("store: add ticket: %w: id, tenant and kind are required", ErrInvalid)
	}
	if t.Status == "" {
		t.Status = TicketOpen
	}
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tickets (tenant, id, conversation_id, kind, status, detail, created_at, due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, id) DO NOTHING`),
		t.Tenant, t.ID, t.ConversationID, t.Kind, t.Status, t.Detail, ms(t.CreatedAt), ms(t.DueAt))
	if err != nil {
		return Ticket{}, false, fmt.Errorf("store: add ticket: %w", err)
	}
	n, _ := res.RowsAffected()
	return t, n == 1, nil
}

func (s *sqlStore) Tickets(ctx context.Context, tenant, status string) ([]Ticket, error) {
	query := `SELECT id, conversation_id, kind, status, detail, created_at, due_at FROM tickets WHERE tenant = ?`
	args := []any{tenant}
	if status != "" {
		query += ` AND status = ?`
		args = append(args, status)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query+` ORDER BY due_at, created_at LIMIT 500`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: tickets of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Ticket, error) {
		var t Ticket
		var c, d int64
		err := r.Scan(&t.ID, &t.ConversationID, &t.Kind, &t.Status, &t.Detail, &c, &d)
		t.Tenant, t.CreatedAt, t.DueAt = tenant, fromMS(c), fromMS(d)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: tickets of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) SetTicketStatus(ctx context.Context, tenant, id, status string) error {
	if status != TicketOpen && status != TicketDone {
		return fmt.Errorf("store: ticket status: %w: %q", ErrInvalid, status)
	}
	return s.exec1(ctx, "ticket status", `UPDATE tickets SET status = ? WHERE tenant = ? AND id = ?`, status, tenant, id)
}

// ---- teams, rules, canned replies ----

func (s *sqlStore) PutTeam(ctx context.Context, t Team) error {
	if t.Tenant == "" || t.ID == "" || strings.ContainsAny(t.ID, ", ") {
		return fmt.Errorf("store: put team: %w: tenant and an id without commas or spaces are required", ErrInvalid)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO teams (tenant, id, name, skills, hours) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, skills = excluded.skills, hours = excluded.hours`),
		t.Tenant, t.ID, t.Name, joinList(t.Skills), t.Hours)
	if err != nil {
		return fmt.Errorf("store: put team %q: %w", t.ID, err)
	}
	return nil
}

func (s *sqlStore) Teams(ctx context.Context, tenant string) ([]Team, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, name, skills, hours FROM teams WHERE tenant = ? ORDER BY id`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: teams of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Team, error) {
		var t Team
		var skills string
		err := r.Scan(&t.ID, &t.Name, &skills, &t.Hours)
		t.Tenant, t.Skills = tenant, splitList(skills)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: teams of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) PutRules(ctx context.Context, tenant string, rules []Rule) error {
	b, err := json.Marshal(rules)
	if err != nil {
		return fmt.Errorf("store: put rules: %w", err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO routing_rules (tenant, rules) VALUES (?, ?)
		ON CONFLICT (tenant) DO UPDATE SET rules = excluded.rules`), tenant, string(b))
	if err != nil {
		return fmt.Errorf("store: put rules of %q: %w", tenant, err)
	}
	return nil
}

func (s *sqlStore) Rules(ctx context.Context, tenant string) ([]Rule, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT rules FROM routing_rules WHERE tenant = ?`), tenant).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: rules of %q: %w", tenant, err)
	}
	var out []Rule
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("store: rules of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) PutCanned(ctx context.Context, c Canned) error {
	if c.Tenant == "" || !validShortcut(c.Shortcut) {
		return fmt.Errorf("store: put canned: %w: a shortcut of 1-32 characters of [a-z0-9_-] is required", ErrInvalid)
	}
	if err := chat.ValidateText(c.Text, chat.MaxTextBytes); err != nil {
		return fmt.Errorf("store: put canned: %w: %w", ErrInvalid, err)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO canned (tenant, shortcut, text) VALUES (?, ?, ?)
		ON CONFLICT (tenant, shortcut) DO UPDATE SET text = excluded.text`), c.Tenant, c.Shortcut, c.Text)
	if err != nil {
		return fmt.Errorf("store: put canned %q: %w", c.Shortcut, err)
	}
	return nil
}

func validShortcut(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (s *sqlStore) DeleteCanned(ctx context.Context, tenant, shortcut string) error {
	return s.exec1(ctx, "delete canned", `DELETE FROM canned WHERE tenant = ? AND shortcut = ?`, tenant, shortcut)
}

func (s *sqlStore) Canned(ctx context.Context, tenant string) ([]Canned, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT shortcut, text FROM canned WHERE tenant = ? ORDER BY shortcut`), tenant)
	if err != nil {
		return nil, fmt.Errorf("store: canned of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (Canned, error) {
		c := Canned{Tenant: tenant}
		return c, r.Scan(&c.Shortcut, &c.Text)
	})
	if err != nil {
		return nil, fmt.Errorf("store: canned of %q: %w", tenant, err)
	}
	return out, nil
}
