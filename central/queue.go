package central

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// The human queue.
//
// # Priority, computed when read
//
// A queued conversation's priority is router.Priority(anger, VIP, waited,
// SLA target) at the moment the queue is read (take-next, queue views,
// positions), never the number frozen at handoff: waiting raises it. The
// SLA target is the tenant's first-response target (sla.first_response,
// or sla.first_response_vip for VIPs). Equal priorities go to the longer
// wait. The formula is in package router's doc and TestPriority.
//
// # Position and wait estimate (queue.position)
//
// Position is the 1-based rank among the conversations the same agents can
// take (same team; a conversation without a team competes with all).
// The wait estimate is
//
//	wait_s = ceil(position / slots) × handle
//
// where slots is the sum of the capacities of the agents online for that
// team (at least 1) and handle is the median of the latest 50 handling times
// (claim → close) of the tenant, 5 minutes until 3 are known. It is
// rounded up to 10 s so that it changes only when its inputs do. When no
// agent is online the event says reason no_agent; outside business hours
// after_hours, with opens_at, and the estimate counts from the opening.
//
// Central sends queue.position when a conversation enters the queue and
// whenever its position, estimate or availability changes: every change
// of a tenant's queue (handoff, claim, close, transfer, presence) marks
// the tenant, and one goroutine per Service recomputes marked tenants, so a
// burst of changes costs one pass (and at most one per QueueGap). A ticker marks every tenant with queued
// conversations every QueueTick (aging reorders them). Each replica
// remembers what it sent; a conversation's event may be sent twice (by
// two replicas), which clients tolerate (the latest counts).

// QueueTick is how often every queue is recomputed (aging, presence).
const QueueTick = 10 * time.Second

const (
	defaultHandle   = 5 * time.Minute
	defaultCapacity = 3
	presenceStale   = 90 * time.Second
)

// ranked is a queued conversation with its priority now.
type ranked struct {
	store.QueueItem
	prio int
}

// rankQueue returns tenant's queue, best first, ranked by the database
// with the priority at now (store.QueueStore).
func (s *Service) rankQueue(ctx context.Context, tenant string, set map[string]string, now time.Time) ([]ranked, error) {
	sla, slaVIP := s.slaTargets(ctx, tenant, set)
	items, err := s.st.RankedQueue(ctx, tenant, store.Rank{Now: now, SLA: sla, SLAVIP: slaVIP})
	if err != nil {
		return nil, err
	}
	out := make([]ranked, len(items))
	for i, it := range items {
		out[i] = ranked{QueueItem: it, prio: it.Priority}
	}
	return out, nil
}

// slaTargets returns the first-response targets (normal, VIP) of tenant:
// the tenant's SLA (queue.sla, or the router's default) and, for VIPs, the
// smaller of that and sla.first_response_vip.
func (s *Service) slaTargets(ctx context.Context, tenant string, set map[string]string) (time.Duration, time.Duration) {
	sla := s.sla(ctx, tenant)
	return sla, min(sla, settingDuration(set, SettingSLAFirstVIP))
}

// taker is what an agent may take from the queue: their teams and skills.
func taker(p store.AgentProfile) store.Taker {
	return store.Taker{Teams: p.Teams, Skills: p.Skills}
}

// takeNext assigns the best queued conversation the agent may take (of
// their teams or none, needing no skill they lack), ranked and claimed in
// one database transaction.
func (s *Service) takeNext(ctx context.Context, a store.Agent) (store.Conversation, error) {
	prof, err := s.st.AgentProfile(ctx, a.Tenant, a.ID)
	if err != nil {
		return store.Conversation{}, err
	}
	set := s.tenantSettings(ctx, a.Tenant)
	sla, slaVIP := s.slaTargets(ctx, a.Tenant, set)
	t := taker(prof)
	c, err := s.st.TakeNext(ctx, a.Tenant, a.ID, store.Rank{Now: time.Now(), SLA: sla, SLAVIP: slaVIP, Taker: &t})
	if errors.Is(err, store.ErrEmpty) {
		return store.Conversation{}, store.ErrEmpty
	}
	return c, err
}

// agentState is an agent's effective presence: a console not seen for
// presenceStale is offline; online without activity for the tenant's
// auto-away time is away.
func effectivePresence(p store.Presence, autoAway time.Duration, now time.Time) string {
	if p.Status == "" || p.Status == store.PresenceOffline || now.Sub(p.Seen) > presenceStale {
		return store.PresenceOffline
	}
	if p.Status == store.PresenceOnline && autoAway > 0 && now.Sub(p.Active) > autoAway {
		return store.PresenceAway
	}
	return p.Status
}

// staffing is who can answer a tenant's queue now.
type staffing struct {
	profiles  []store.AgentProfile // online agents
	capacity  int                  // default capacity
	handle    time.Duration
	hours     Hours
	teamHours map[string]Hours // teams with hours of their own
}

// hoursOf returns the business hours of team (its own, else the tenant's).
func (st staffing) hoursOf(team string) Hours {
	if h, ok := st.teamHours[team]; ok {
		return h
	}
	return st.hours
}

// ParseTeamHours parses a team's Hours, "TZ|WEEK|HOLIDAYS" (each part as
// the tenant settings hours.tz, hours.week, hours.holidays).
func ParseTeamHours(v string) (Hours, error) {
	parts := strings.SplitN(v, "|", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return ParseHours(parts[1], parts[0], parts[2])
}

func (s *Service) staffing(ctx context.Context, tenant string, set map[string]string, now time.Time) staffing {
	st := staffing{handle: defaultHandle, hours: s.hours(tenant, set), capacity: defaultCapacity}
	if n, err := parsePositive(settingValue(set, SettingCapacity)); err == nil {
		st.capacity = n
	}
	autoAway := settingDuration(set, SettingAutoAway)
	profs, err := s.st.AgentProfiles(ctx, tenant)
	if err == nil {
		for _, p := range profs {
			if effectivePresence(p.Presence, autoAway, now) == store.PresenceOnline {
				st.profiles = append(st.profiles, p)
			}
		}
	}
	if teams, err := s.st.Teams(ctx, tenant); err == nil {
		for _, t := range teams {
			if t.Hours == "" {
				continue
			}
			h, err := ParseTeamHours(t.Hours)
			if err != nil {
				s.log.Warn("team hours refused, the tenant's apply", "tenant", tenant, "team", t.ID, "err", err)
				continue
			}
			if st.teamHours == nil {
				st.teamHours = map[string]Hours{}
			}
			st.teamHours[t.ID] = h
		}
	}
	if d, err := s.st.HandlingTimes(ctx, tenant, 50); err == nil && len(d) >= 3 {
		slices.Sort(d)
		st.handle = d[len(d)/2]
	}
	return st
}

// slots is the capacity of the online agents who can take a conversation
// of team that needs skills.
func (st staffing) slots(team string, skills []string) (agents, slots int) {
	for _, p := range st.profiles {
		if !taker(p).CanTake(team, skills) {
			continue
		}
		agents++
		if p.Capacity > 0 {
			slots += p.Capacity
		} else {
			slots += st.capacity
		}
	}
	return agents, slots
}

// positions computes the queue.position facts of every queued conversation.
func (s *Service) positions(ctx context.Context, tenant string, now time.Time) (map[string]chat.QueueInfo, []ranked, error) {
	set := s.tenantSettings(ctx, tenant)
	q, err := s.rankQueue(ctx, tenant, set, now)
	if err != nil {
		return nil, nil, err
	}
	st := s.staffing(ctx, tenant, set, now)
	type openness struct {
		open    bool
		opensAt time.Time
	}
	opens := map[string]openness{}
	openFor := func(team string) openness {
		if o, ok := opens[team]; ok {
			return o
		}
		h := st.hoursOf(team)
		o := openness{open: h.Open(now)}
		if !o.open {
			o.opensAt = h.NextOpen(now)
		}
		opens[team] = o
		return o
	}
	byTeam := map[string]int{}
	out := make(map[string]chat.QueueInfo, len(q))
	for _, r := range q {
		// A conversation without a team competes with every team's; one
		// with a team only with its team's and the teamless ones.
		var pos int
		if r.Team == "" {
			byTeam[""]++
			pos = byTeam[""]
			for t, n := range byTeam {
				if t != "" {
					pos += n
				}
			}
		} else {
			byTeam[r.Team]++
			pos = byTeam[r.Team] + byTeam[""]
		}
		agents, slots := st.slots(r.Team, r.Skills)
		info := chat.QueueInfo{Position: pos, Agents: agents}
		wait := time.Duration(math.Ceil(float64(pos)/float64(max(slots, 1)))) * st.handle
		switch o := openFor(r.Team); {
		case !o.open:
			info.Reason = chat.QueueClosed
			if !o.opensAt.IsZero() {
				info.OpensAt = o.opensAt.UnixMilli()
				wait += o.opensAt.Sub(now)
			}
		case agents == 0:
			info.Reason = chat.QueueNoAgent
		}
		info.WaitS = int(math.Ceil(wait.Seconds()/10)) * 10
		out[r.ID] = info
	}
	return out, q, nil
}

func parsePositive(v string) (int, error) {
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int(c-'0')
		if n > 1<<20 {
			return 0, errors.New("too large")
		}
	}
	if n <= 0 {
		return 0, errors.New("not positive")
	}
	return n, nil
}

// queueWatch recomputes marked tenants' positions and sends what changed.
type queueWatch struct {
	mu     sync.Mutex
	dirty  map[string]bool
	wake   chan struct{}
	sent   map[string]map[string]chat.QueueInfo // tenant → conversation → last sent
	pushed map[string]int64                     // tenant\x00agent → last push (round robin)
	last   map[string]time.Time                 // tenant → end of its last position pass
	// done receives the tenant after each pass (tests and the bench wait on it).
	done func(tenant string, sent int)
}

func newQueueWatch() *queueWatch {
	return &queueWatch{dirty: map[string]bool{}, wake: make(chan struct{}, 1),
		sent: map[string]map[string]chat.QueueInfo{}, pushed: map[string]int64{}, last: map[string]time.Time{}}
}

// queueChanged marks tenant's queue for a recomputation.
func (s *Service) queueChanged(tenant string) {
	w := s.qw
	w.mu.Lock()
	w.dirty[tenant] = true
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// runQueueWatch is the goroutine of queueWatch; it stops with the Service.
func (s *Service) runQueueWatch() {
	defer s.bg.Done()
	tick := time.NewTicker(QueueTick)
	defer tick.Stop()
	var retry <-chan time.Time
	for {
		select {
		case <-s.closed:
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			ts, err := s.st.QueuedTenants(ctx)
			cancel()
			if err == nil {
				for _, t := range ts {
					s.queueChanged(t)
				}
			}
			s.slaTick()
		case <-s.qw.wake:
		case <-retry:
		}
		retry = nil
		for {
			tenant, wait := s.qw.next(time.Now())
			if tenant == "" {
				if wait > 0 {
					retry = time.After(wait)
				}
				break
			}
			s.sendPositions(tenant)
			s.qw.passed(tenant, time.Now())
		}
	}
}

// QueueGap is the least time between the end of one position pass of a
// tenant and the start of the next: a burst of claims costs a pass per
// QueueGap, not one per claim, and a single change is sent at once.
const QueueGap = 250 * time.Millisecond

// next takes a marked tenant whose last pass ended QueueGap ago or more;
// with none, wait is how long until one is due (0: nothing marked).
func (w *queueWatch) next(now time.Time) (tenant string, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for t := range w.dirty {
		due := w.last[t].Add(QueueGap)
		if !now.Before(due) {
			delete(w.dirty, t)
			return t, 0
		}
		if d := due.Sub(now); wait == 0 || d < wait {
			wait = d
		}
	}
	return "", wait
}

func (w *queueWatch) passed(tenant string, now time.Time) {
	w.mu.Lock()
	w.last[tenant] = now
	w.mu.Unlock()
}

// sendPositions recomputes tenant's queue and emits queue.position for
// every conversation whose facts changed since this replica last sent them.
func (s *Service) sendPositions(tenant string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now()
	infos, q, err := s.positions(ctx, tenant, now)
	if err != nil {
		s.log.Warn("queue positions", "tenant", tenant, "err", err)
		return
	}
	s.qw.mu.Lock()
	prev := s.qw.sent[tenant]
	if prev == nil {
		prev = map[string]chat.QueueInfo{}
		s.qw.sent[tenant] = prev
	}
	var changed []ranked
	for _, r := range q {
		if old, ok := prev[r.ID]; !ok || old != infos[r.ID] {
			changed = append(changed, r)
			prev[r.ID] = infos[r.ID]
		}
	}
	for id := range prev {
		if _, ok := infos[id]; !ok {
			delete(prev, id)
		}
	}
	s.qw.mu.Unlock()
	for _, r := range changed {
		info := infos[r.ID]
		s.emit(chat.Event{Type: chat.EventQueuePosition, Tenant: tenant, ConversationID: r.ID, Visitor: r.Visitor, Queue: &info, At: now.UTC()})
	}
	if s.qw.done != nil {
		s.qw.done(tenant, len(changed))
	}
}
