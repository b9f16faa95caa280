package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// QueueStore ranks and claims the human queue inside the database, with the
// priority computed when read (package router's formula, see prioritySQL),
// so that neither take-next nor a queue view moves every waiting row to Go
// to sort it.
type QueueStore interface {
	// RankedQueue returns tenant's queued conversations best first: higher
	// priority at r.Now, then the longer wait, then the id. Each item's
	// Priority is that priority. r.Taker, when set, keeps only what that
	// agent may take; r.Limit > 0 caps the answer.
	RankedQueue(ctx context.Context, tenant string, r Rank) ([]QueueItem, error)
	// TakeNext assigns the best queued conversation r.Taker may take to
	// agent, ErrEmpty when there is none. Concurrent callers (also on other
	// replicas) never get the same conversation: on PostgreSQL the pick
	// skips rows another transaction holds (FOR UPDATE SKIP LOCKED); on
	// SQLite the write transaction excludes other writers.
	TakeNext(ctx context.Context, tenant, agent string, r Rank) (Conversation, error)
	// SetConversationSkills sets the skills a conversation needs (see
	// CleanSkills); "" none.
	SetConversationSkills(ctx context.Context, tenant, id string, skills []string) error
}

// Rank says how to rank a queue.
type Rank struct {
	// Now is the moment the priority is computed for (milliseconds count).
	Now time.Time
	// SLA is the first-response target of ordinary conversations, SLAVIP
	// that of VIPs; both must be positive.
	SLA, SLAVIP time.Duration
	// Taker, when set, keeps the conversations that agent may take.
	Taker *Taker
	// Limit caps the answer (0: all).
	Limit int
}

// Taker is who takes from the queue: an agent of Teams (none: any team)
// with Skills. A conversation of a team is for that team's agents (or
// agents without a team); one that needs skills only for an agent who has
// every one of them.
type Taker struct {
	Teams  []string
	Skills []string
}

// CanTake reports whether t may take a conversation of team needing skills.
func (t Taker) CanTake(team string, skills []string) bool {
	if team != "" && len(t.Teams) > 0 && !slices.Contains(t.Teams, team) {
		return false
	}
	for _, s := range skills {
		if !slices.Contains(t.Skills, s) {
			return false
		}
	}
	return true
}

// Skill kinds a skill names: "lang:de", "topic:refund", "channel:wechat".
var SkillKinds = []string{"lang", "topic", "channel"}

// MaxSkills bounds the skills of an agent or a conversation.
const MaxSkills = 32

// CleanSkills lowercases, trims, deduplicates, sorts and checks skills:
// each is kind:value with a kind of SkillKinds and a value of 1–40
// characters of [a-z0-9_.-], at most MaxSkills.
func CleanSkills(skills []string) ([]string, error) {
	out := make([]string, 0, len(skills))
	for _, s := range skills {
		s = strings.ToLower(strings.TrimSpace(s))
		kind, v, ok := strings.Cut(s, ":")
		if !ok || !slices.Contains(SkillKinds, kind) || v == "" || len(v) > 40 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != "" {
			return nil, fmt.Errorf("%w: skill %q is not lang:, topic: or channel: followed by 1-40 of [a-z0-9_.-]", ErrInvalid, s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > MaxSkills {
		return nil, fmt.Errorf("%w: more than %d skills", ErrInvalid, MaxSkills)
	}
	slices.Sort(out)
	return out, nil
}

// skillsCol is how a conversation's skills are stored: ",a,b," ("" none),
// so that the taker filter can strike the taker's skills out of it.
func skillsCol(skills []string) string {
	if len(skills) == 0 {
		return ""
	}
	return "," + strings.Join(skills, ",") + ","
}

func skillsFromCol(v string) []string {
	v = strings.Trim(v, ",")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// prioritySQL is router.Priority as an SQL expression over a conversations
// row, with the arguments of its placeholders, so the database ranks the
// queue (the store tests check it against router.Priority on both
// databases). With f = (now − queued_at) / SLA (the VIP target for VIPs):
//
//	10 + trunc(40·clamp(anger, 0, 1) + 0.5) + 30·vip
//	   + 0 when queued_at ≥ now, trunc(30·f) when f ≤ 1, 50 when f ≥ 2, else 30 + trunc(20·(f − 1))
//
// Every step is the same IEEE double operation as the Go code, so both give
// the same whole number.
func (s *sqlStore) prioritySQL(r Rank) (string, []any) {
	now := ms(r.Now)
	f := `(CAST(? - queued_at AS DOUBLE PRECISION) / CASE WHEN vip <> 0 THEN CAST(? AS DOUBLE PRECISION) ELSE CAST(? AS DOUBLE PRECISION) END)`
	fa := []any{now, r.SLAVIP.Milliseconds(), r.SLA.Milliseconds()}
	trunc := func(x string) string {
		if s.d.dollar {
			return `CAST(TRUNC(` + x + `) AS INTEGER)`
		}
		return `CAST(` + x + ` AS INTEGER)`
	}
	anger := `CASE WHEN anger <= 0 THEN CAST(0 AS DOUBLE PRECISION) WHEN anger >= 1 THEN CAST(1 AS DOUBLE PRECISION) ELSE anger END`
	expr := `(10 + ` + trunc(anger+` * 40 + 0.5`) + ` + CASE WHEN vip <> 0 THEN 30 ELSE 0 END + CASE WHEN queued_at >= ? THEN 0` +
		` WHEN ` + f + ` <= 1 THEN ` + trunc(f+` * 30`) +
		` WHEN ` + f + ` >= 2 THEN 50 ELSE 30 + ` + trunc(`(`+f+` - 1) * 20`) + ` END)`
	args := []any{now}
	for range 4 { // f appears four times
		args = append(args, fa...)
	}
	return expr, args
}

// rankQuery returns the SELECT of tenant's queue ranked by r, with cols.
func (s *sqlStore) rankQuery(tenant, cols string, r Rank) (string, []any, error) {
	if r.SLA <= 0 || r.SLAVIP <= 0 {
		return "", nil, fmt.Errorf("store: rank: %w: SLA targets must be positive", ErrInvalid)
	}
	prio, args := s.prioritySQL(r)
	query := `SELECT ` + cols + `, ` + prio + ` AS prio FROM conversations WHERE tenant = ? AND status = 'queued'`
	args = append(args, tenant)
	if t := r.Taker; t != nil {
		if len(t.Teams) > 0 {
			query += ` AND (team = '' OR team IN (?` + strings.Repeat(", ?", len(t.Teams)-1) + `))`
			for _, team := range t.Teams {
				args = append(args, team)
			}
		}
		// Strike the taker's skills out of ",a,b,": what needs nothing
		// else is left as ",".
		strike := "skills"
		for _, sk := range t.Skills {
			strike = `REPLACE(` + strike + `, ?, ',')`
			args = append(args, ","+sk+",")
		}
		if len(t.Skills) == 0 {
			query += ` AND skills = ''`
		} else {
			query += ` AND (skills = '' OR ` + strike + ` = ',')`
		}
	}
	query += ` ORDER BY prio DESC, queued_at ASC, id ASC`
	if r.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, r.Limit)
	}
	return query, args, nil
}

const queueItemCols = `id, visitor, region, channel, lang, anger, vip, reason, team, skills, queued_at`

func (s *sqlStore) RankedQueue(ctx context.Context, tenant string, r Rank) ([]QueueItem, error) {
	query, args, err := s.rankQuery(tenant, queueItemCols, r)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: ranked queue of %q: %w", tenant, err)
	}
	out, err := collect(rows, func(r interface{ Scan(...any) error }) (QueueItem, error) {
		var q QueueItem
		var ch, skills string
		var vip int
		var at int64
		err := r.Scan(&q.ID, &q.Visitor, &q.Region, &ch, &q.Lang, &q.Anger, &vip, &q.Reason, &q.Team, &skills, &at, &q.Priority)
		q.Channel, q.VIP, q.QueuedAt, q.Skills = chat.Channel(ch), vip != 0, fromMS(at), skillsFromCol(skills)
		return q, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: ranked queue of %q: %w", tenant, err)
	}
	return out, nil
}

func (s *sqlStore) TakeNext(ctx context.Context, tenant, agent string, r Rank) (Conversation, error) {
	if agent == "" {
		return Conversation{}, fmt.Errorf("store: take next: %w: no agent", ErrInvalid)
	}
	r.Limit = 1
	query, args, err := s.rankQuery(tenant, "id", r)
	if err != nil {
		return Conversation{}, err
	}
	var candidates string
	var cargs []any
	if s.d.dollar {
		// The alias cannot be locked; the table's row can.
		query += ` FOR UPDATE OF conversations SKIP LOCKED`
		// Locking above a sort makes PostgreSQL sort the whole queue; the
		// few best ones are found with a top-N sort first and locked one by
		// one (skipping those another taker holds), the full locking pick
		// is the fallback when all of them are taken.
		r.Limit = takeCandidates
		if candidates, cargs, err = s.rankQuery(tenant, "id", r); err != nil {
			return Conversation{}, err
		}
	}
	var c Conversation
	err = s.withTx(ctx, func(tx *sql.Tx) error {
		var id string
		if candidates != "" {
			var err error
			if id, err = s.lockCandidate(ctx, tx, tenant, candidates, cargs); err != nil {
				return err
			}
		}
		if id == "" {
			var prio int
			err := tx.QueryRowContext(ctx, s.q(query), args...).Scan(&id, &prio)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrEmpty
			}
			if err != nil {
				return err
			}
		}
		now := r.Now
		res, err := tx.ExecContext(ctx, s.q(`UPDATE conversations SET status = 'assigned', agent = ?, assigned_at = ?, updated_at = ?
			WHERE tenant = ? AND id = ? AND status = 'queued'`), agent, ms(now), ms(now), tenant, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrTaken // cannot happen with the row locked or the write lock held
		}
		c, err = s.getConv(ctx, tx, tenant, id, false)
		return err
	})
	if err != nil {
		return Conversation{}, fmt.Errorf("store: take next of %q by %q: %w", tenant, agent, err)
	}
	return c, nil
}

// takeCandidates is how many of the best queued conversations TakeNext
// tries to lock before it falls back to a locking pick over the queue.
const takeCandidates = 8

// lockCandidate locks the first of the ranked candidates that is still
// queued and not locked by another transaction ("" when none is).
func (s *sqlStore) lockCandidate(ctx context.Context, tx *sql.Tx, tenant, candidates string, args []any) (string, error) {
	rows, err := tx.QueryContext(ctx, s.q(candidates), args...)
	if err != nil {
		return "", err
	}
	ids, err := collect(rows, func(r interface{ Scan(...any) error }) (string, error) {
		var id string
		var prio int
		return id, r.Scan(&id, &prio)
	})
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		var got string
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM conversations WHERE tenant = ? AND id = ? AND status = 'queued' FOR UPDATE SKIP LOCKED`),
			tenant, id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			continue // taken meanwhile, or being taken
		}
		if err != nil {
			return "", err
		}
		return got, nil
	}
	return "", nil
}

func (s *sqlStore) SetConversationSkills(ctx context.Context, tenant, id string, skills []string) error {
	skills, err := CleanSkills(skills)
	if err != nil {
		return fmt.Errorf("store: conversation skills: %w", err)
	}
	return s.exec1(ctx, "conversation skills", `UPDATE conversations SET skills = ? WHERE tenant = ? AND id = ?`, skillsCol(skills), tenant, id)
}

var _ QueueStore = (*sqlStore)(nil)
