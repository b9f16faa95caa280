package central

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// REST routes of the agents' workspace (all need a bearer token; every
// answer is scoped to the token's tenant):
//
//	GET    /v1/queue                          queued conversations, best first, with priority now and position
//	GET    /v1/agents                         agents with presence, language, capacity, teams, load
//	PUT    /v1/me/profile                     {lang, capacity, teams, skills?} of the caller
//	POST   /v1/me/presence                    {status: online|away}
//	GET    /v1/conversations/:id/work         team, tags, page context, SLA timers, notes, customer panel
//	POST   /v1/conversations/:id/notes        {id?, text}: an internal note (never sent to the shopper)
//	PUT    /v1/conversations/:id/tags         {tags: [...]}
//	POST   /v1/conversations/:id/transfer     {agent?, team?, note?}
//	POST   /v1/conversations/:id/reopen
//	GET    /v1/conversations/:id/suggest      the knowledge base's answer to the shopper's latest question
//	GET    /v1/canned, PUT /v1/canned/:shortcut {text}, DELETE /v1/canned/:shortcut
//	GET    /v1/teams, PUT /v1/teams/:id {name, skills, hours}
//	GET    /v1/routing-rules, PUT /v1/routing-rules [{when:{...}, team, skills?}]
//	GET    /v1/tickets?status=open, POST /v1/tickets/:id/done
func (s *Service) registerWork(auth fiber.Router) {
	auth.Get("/queue", s.getQueue)
	auth.Get("/agents", s.listAgents)
	auth.Put("/me/profile", s.putProfile)
	auth.Post("/me/presence", s.postPresence)
	auth.Get("/conversations/:id/work", s.getWork)
	auth.Post("/conversations/:id/notes", s.addNote)
	auth.Put("/conversations/:id/tags", s.putTags)
	auth.Post("/conversations/:id/transfer", s.transfer)
	auth.Post("/conversations/:id/reopen", s.reopen)
	auth.Get("/conversations/:id/suggest", s.suggest)
	auth.Get("/canned", s.listCanned)
	auth.Put("/canned/:shortcut", s.putCanned)
	auth.Delete("/canned/:shortcut", s.deleteCanned)
	auth.Get("/teams", s.listTeams)
	auth.Put("/teams/:id", s.putTeam)
	auth.Get("/routing-rules", s.getRules)
	auth.Put("/routing-rules", s.putRules)
	auth.Get("/tickets", s.listTickets)
	auth.Post("/tickets/:id/done", s.ticketDone)
}

// ---- presence of consoles ----

type consoleCount struct {
	mu sync.Mutex
	n  map[string]int // tenant\x00agent → open consoles on this replica
}

var consoles = &consoleCount{n: map[string]int{}}

func (s *Service) consoleJoined(a store.Agent) {
	consoles.mu.Lock()
	consoles.n[a.Tenant+"\x00"+a.ID]++
	consoles.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.setPresence(ctx, a, store.PresenceOnline, true)
}

func (s *Service) consoleGone(a store.Agent) {
	k := a.Tenant + "\x00" + a.ID
	consoles.mu.Lock()
	consoles.n[k]--
	last := consoles.n[k] <= 0
	if last {
		delete(consoles.n, k)
	}
	consoles.mu.Unlock()
	if last && !s.isClosed() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.setPresence(ctx, a, store.PresenceOffline, false)
	}
}

// consoleSeen is the heartbeat of an open console.
func (s *Service) consoleSeen(a store.Agent, status string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.setPresence(ctx, a, status, false)
}

// afterClose runs after an agent closed a conversation: queue timestamps, the
// CSAT request to the shopper, and the queue (a free slot).
func (s *Service) afterClose(ctx context.Context, before, c store.Conversation) {
	_ = s.st.MarkClosed(ctx, c.Tenant, c.ID, time.Now())
	if before.Status == store.StatusAssigned || before.Status == store.StatusQueued {
		s.emit(chat.Event{Type: chat.EventCSATRequest, Tenant: c.Tenant, ConversationID: c.ID, Visitor: c.Visitor})
	}
	s.queueChanged(c.Tenant)
	s.assignFree(ctx, c.Tenant)
}

// ---- views ----

// decorate adds the team and tags to views (of convs, same order) and gives
// queued ones the priority take-next ranks them by (VIP SLA target included).
func (s *Service) decorate(ctx context.Context, tenant string, convs []store.Conversation, views []ConversationView) {
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = c.ID
	}
	works, err := s.st.TeamsAndTags(ctx, tenant, ids)
	if err != nil {
		s.log.Warn("teams and tags", "tenant", tenant, "err", err)
	}
	set := s.tenantSettings(ctx, tenant)
	sla, slaVIP := s.slaTargets(ctx, tenant, set)
	now := time.Now()
	for i, c := range convs {
		views[i].Team, views[i].Tags = works[c.ID].Team, works[c.ID].Tags
		if c.Status == store.StatusQueued {
			target := sla
			if c.VIP {
				target = slaVIP
			}
			views[i].Priority = s.rt.Priority(c.Anger, c.VIP, now.Sub(c.QueuedAt), target)
		}
	}
}

// QueueEntry is a row of GET /v1/queue.
type QueueEntry struct {
	ConversationView
	Team  string         `json:"team,omitempty"`
	Queue chat.QueueInfo `json:"queue"`
}

func (s *Service) getQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenant := who(c).agent.Tenant
	infos, q, err := s.positions(ctx, tenant, time.Now())
	if err != nil {
		return storeError(c, err)
	}
	limit := c.QueryInt("limit", 200)
	out := make([]QueueEntry, 0, min(len(q), limit))
	for _, r := range q {
		if len(out) >= limit {
			break
		}
		conv := store.Conversation{ID: r.ID, Tenant: tenant, Visitor: r.Visitor, Channel: r.Channel, Region: r.Region, Lang: r.Lang,
			Status: store.StatusQueued, Priority: r.prio, Anger: r.Anger, VIP: r.VIP, Reason: r.Reason, QueuedAt: r.QueuedAt}
		out = append(out, QueueEntry{ConversationView: view(conv, r.prio), Team: r.Team, Queue: infos[r.ID]})
	}
	return c.JSON(out)
}

// AgentState is a row of GET /v1/agents.
type AgentState struct {
	AgentView
	Lang     string   `json:"lang,omitempty"`
	Capacity int      `json:"capacity"`
	Teams    []string `json:"teams,omitempty"`
	Skills   []string `json:"skills,omitempty"`
	Presence string   `json:"presence"`
	Active   int      `json:"active"`
}

func (s *Service) listAgents(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenant := who(c).agent.Tenant
	set := s.tenantSettings(ctx, tenant)
	profs, err := s.st.AgentProfiles(ctx, tenant)
	if err != nil {
		return storeError(c, err)
	}
	counts, err := s.st.ActiveCounts(ctx, tenant)
	if err != nil {
		return storeError(c, err)
	}
	capDefault := defaultCapacity
	if n, err := parsePositive(settingValue(set, SettingCapacity)); err == nil {
		capDefault = n
	}
	autoAway, now := settingDuration(set, SettingAutoAway), time.Now()
	agents, err := s.st.Agents(ctx, tenant)
	if err != nil {
		return storeError(c, err)
	}
	byID := map[string]store.AgentProfile{}
	for _, p := range profs {
		byID[p.Agent] = p
	}
	out := []AgentState{}
	for _, a := range agents {
		p := byID[a.ID]
		if p.Lang == "" {
			p.Lang = a.Lang
		}
		capacity := p.Capacity
		if capacity <= 0 {
			capacity = capDefault
		}
		out = append(out, AgentState{AgentView: agentView(a), Lang: p.Lang, Capacity: capacity, Teams: p.Teams, Skills: p.Skills,
			Presence: effectivePresence(p.Presence, autoAway, now), Active: counts[p.Agent]})
	}
	return c.JSON(out)
}

// ProfileRequest is the body of PUT /v1/me/profile.
type ProfileRequest struct {
	Lang     string   `json:"lang"`
	Capacity int      `json:"capacity"`
	Teams    []string `json:"teams"`
	// Skills (lang:de, topic:refund, channel:wechat); omitted keeps them.
	Skills *[]string `json:"skills,omitempty"`
}

func validLang(l string) bool {
	if l == "" || len(l) > 16 {
		return l == ""
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}

func (s *Service) putProfile(c *fiber.Ctx) error {
	var req ProfileRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if !validLang(req.Lang) || req.Capacity < 0 || req.Capacity > 50 || len(req.Teams) > 20 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "lang must be a language tag (en, zh, pt-BR), capacity 0-50, at most 20 teams")
	}
	p := who(c).agent
	prof := store.AgentProfile{Tenant: p.Tenant, Agent: p.ID, Lang: req.Lang, Capacity: req.Capacity, Teams: req.Teams}
	if req.Skills != nil {
		skills, err := store.CleanSkills(*req.Skills)
		if err != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
		}
		prof.Skills, req.Skills = skills, &skills
	} else {
		old, err := s.st.AgentProfile(c.UserContext(), p.Tenant, p.ID)
		if err != nil {
			return storeError(c, err)
		}
		prof.Skills, req.Skills = old.Skills, &old.Skills
	}
	if err := s.st.PutAgentProfile(c.UserContext(), prof); err != nil {
		return storeError(c, err)
	}
	s.assignFree(c.UserContext(), p.Tenant)
	s.queueChanged(p.Tenant)
	return c.JSON(req)
}

func (s *Service) postPresence(c *fiber.Ctx) error {
	var req struct {
		Status string `json:"status"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if req.Status != store.PresenceOnline && req.Status != store.PresenceAway && req.Status != store.PresenceOffline {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "status must be online, away or offline")
	}
	s.setPresence(c.UserContext(), who(c).agent, req.Status, req.Status == store.PresenceOnline)
	return c.JSON(req)
}

// WorkView is GET /v1/conversations/:id/work: what the console's customer
// panel and timers show.
type WorkView struct {
	Team string `json:"team,omitempty"`
	// Skills the conversation needs.
	Skills  []string          `json:"skills,omitempty"`
	Tags    []string          `json:"tags"`
	Context map[string]string `json:"context,omitempty"`
	// SLA timers: targets and when they were (or will be) met, unix ms.
	SLA struct {
		FirstResponseDue int64 `json:"first_response_due,omitempty"`
		FirstResponseAt  int64 `json:"first_response_at,omitempty"`
		ResolutionDue    int64 `json:"resolution_due,omitempty"`
		ClosedAt         int64 `json:"closed_at,omitempty"`
	} `json:"sla"`
	Notes    []store.Note       `json:"notes"`
	CSAT     []store.Rating     `json:"csat"`
	Previous []ConversationView `json:"previous"`
	Tickets  []store.Ticket     `json:"tickets"`
}

func (s *Service) getWork(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	ctx := c.UserContext()
	w, err := s.st.Work(ctx, conv.Tenant, conv.ID)
	if err != nil {
		return storeError(c, err)
	}
	v := WorkView{Team: w.Team, Skills: w.Skills, Tags: w.Tags, Context: w.Context}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if !conv.QueuedAt.IsZero() {
		set := s.tenantSettings(ctx, conv.Tenant)
		sla, slaVIP := s.slaTargets(ctx, conv.Tenant, set)
		if conv.VIP {
			sla = slaVIP
		}
		v.SLA.FirstResponseDue = conv.QueuedAt.Add(sla).UnixMilli()
		v.SLA.ResolutionDue = conv.QueuedAt.Add(settingDuration(set, SettingSLAResolution)).UnixMilli()
	}
	if !w.FirstResponseAt.IsZero() {
		v.SLA.FirstResponseAt = w.FirstResponseAt.UnixMilli()
	}
	if !w.ClosedAt.IsZero() {
		v.SLA.ClosedAt = w.ClosedAt.UnixMilli()
	}
	if v.Notes, err = s.st.Notes(ctx, conv.Tenant, conv.ID); err != nil {
		return storeError(c, err)
	}
	if v.CSAT, err = s.st.CSATs(ctx, conv.Tenant, conv.Visitor); err != nil {
		return storeError(c, err)
	}
	all, err := s.st.Tickets(ctx, conv.Tenant, "")
	if err != nil {
		return storeError(c, err)
	}
	v.Tickets = []store.Ticket{}
	for _, t := range all {
		if t.ConversationID == conv.ID {
			v.Tickets = append(v.Tickets, t)
		}
	}
	v.Previous = []ConversationView{}
	if prev, err := s.st.Conversations(ctx, conv.Tenant, store.Filter{Status: store.StatusClosed, Limit: 200}); err == nil {
		for _, p := range prev {
			if p.Visitor == conv.Visitor && p.ID != conv.ID && len(v.Previous) < 10 {
				v.Previous = append(v.Previous, view(p, p.Priority))
			}
		}
	}
	return c.JSON(v)
}

// NoteRequest is the body of POST /v1/conversations/:id/notes.
type NoteRequest struct {
	ID   string `json:"id,omitempty"`
	Text string `json:"text"`
}

func (s *Service) addNote(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	var req NoteRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if req.ID == "" {
		req.ID = chat.NewID()
	}
	n := store.Note{ID: req.ID, Tenant: conv.Tenant, ConversationID: conv.ID, Author: who(c).agent.Name, Text: strings.TrimSpace(req.Text), At: time.Now()}
	if !chat.ValidID(n.ID) || chat.ValidateText(n.Text, chat.MaxTextBytes) != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "a note needs a text of 1-4096 bytes (and a valid id when given)")
	}
	n, created, err := s.st.AddNote(c.UserContext(), n)
	if err != nil {
		return storeError(c, err)
	}
	if created {
		// Consoles only: the event carries no visitor text to the edges'
		// sockets (they forward only events of a conversation a shopper
		// holds, and drop conversation.note: edge/node.go).
		s.emit(chat.Event{Type: chat.EventNote, Tenant: conv.Tenant, ConversationID: conv.ID, Agent: n.Author,
			Message: &chat.Message{ID: n.ID, ConversationID: conv.ID, Role: chat.Role("note"), Text: n.Text, Author: n.Author, At: n.At}})
	}
	return c.Status(fiber.StatusCreated).JSON(n)
}

func (s *Service) putTags(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	var req struct {
		Tags []string `json:"tags"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	tags, err := store.CleanTags(req.Tags)
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if err := s.st.SetTags(c.UserContext(), conv.Tenant, conv.ID, tags); err != nil {
		return storeError(c, err)
	}
	s.emit(chat.Event{Type: chat.EventTags, Tenant: conv.Tenant, ConversationID: conv.ID, Tags: tags, Agent: who(c).agent.Name})
	return c.JSON(map[string]any{"tags": tags})
}

// TransferRequest is the body of POST /v1/conversations/:id/transfer: to an
// agent (assigned at once), or to a team's queue; Note becomes an internal note.
type TransferRequest struct {
	Agent string `json:"agent,omitempty"`
	Team  string `json:"team,omitempty"`
	Note  string `json:"note,omitempty"`
}

func (s *Service) transfer(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	var req TransferRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if req.Agent == "" && req.Team == "" {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "transfer needs an agent or a team")
	}
	ctx := c.UserContext()
	me := who(c).agent
	if conv.Status == store.StatusAssigned && conv.Agent != me.ID {
		return storeError(c, store.ErrTaken)
	}
	var to store.Agent
	if req.Agent != "" {
		if to, err = s.st.Agent(ctx, conv.Tenant, req.Agent); err != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "no such agent")
		}
	}
	if req.Team != "" {
		teams, err := s.st.Teams(ctx, conv.Tenant)
		if err != nil {
			return storeError(c, err)
		}
		found := false
		for _, t := range teams {
			found = found || t.ID == req.Team
		}
		if !found {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "no such team")
		}
	}
	if note := strings.TrimSpace(req.Note); note != "" {
		if chat.ValidateText(note, chat.MaxTextBytes) != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "note must be 1-4096 bytes of text")
		}
		n := store.Note{ID: chat.NewID(), Tenant: conv.Tenant, ConversationID: conv.ID, Author: me.Name, Text: note, At: time.Now()}
		if _, _, err := s.st.AddNote(ctx, n); err != nil {
			return storeError(c, err)
		}
		s.emit(chat.Event{Type: chat.EventNote, Tenant: conv.Tenant, ConversationID: conv.ID, Agent: me.Name,
			Message: &chat.Message{ID: n.ID, ConversationID: conv.ID, Role: chat.Role("note"), Text: n.Text, Author: n.Author, At: n.At}})
	}
	got, err := s.st.Transfer(ctx, conv.Tenant, conv.ID, req.Team, to.ID, time.Now())
	if err != nil {
		return storeError(c, err)
	}
	s.emit(chat.Event{Type: chat.EventTransferred, Tenant: got.Tenant, ConversationID: got.ID, Agent: to.Name, Team: req.Team, Reason: me.Name})
	if to.ID != "" {
		s.assigned(ctx, got, to)
	} else {
		s.emit(chat.Event{Type: chat.EventHandoff, Tenant: got.Tenant, ConversationID: got.ID, Visitor: got.Visitor, Reason: "transfer"})
		s.queueChanged(got.Tenant)
		w, err := s.st.Work(ctx, got.Tenant, got.ID)
		if err != nil {
			s.log.Warn("transfer: work", "conversation", got.ID, "err", err)
		}
		s.pushAssign(ctx, got.Tenant, s.tenantSettings(ctx, got.Tenant), got.ID, req.Team, w.Skills)
	}
	return c.JSON(view(got, got.Priority))
}

func (s *Service) reopen(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	me := who(c).agent
	got, err := s.st.Reopen(c.UserContext(), conv.Tenant, conv.ID, me.ID, time.Now())
	if err != nil {
		return storeError(c, err)
	}
	if conv.Status == store.StatusClosed {
		s.assigned(c.UserContext(), got, me)
	}
	return c.JSON(view(got, got.Priority))
}

// Suggestion is GET /v1/conversations/:id/suggest: the knowledge base's
// answer to the shopper's latest message, for the agent to insert and edit.
type Suggestion struct {
	Question string  `json:"question"`
	Answer   string  `json:"answer"`
	Lang     string  `json:"lang,omitempty"`
	Score    float64 `json:"score"`
	Source   string  `json:"source,omitempty"`
}

func (s *Service) suggest(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	ctx := c.UserContext()
	msgs, err := s.st.Messages(ctx, conv.Tenant, conv.ID, "", 500)
	if err != nil {
		return storeError(c, err)
	}
	var q *chat.Message
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == chat.RoleShopper {
			q = &msgs[i]
			break
		}
	}
	if q == nil {
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "no shopper question yet")
	}
	hit, found, err := s.kb.Search(ctx, conv.Tenant, q.Lang, q.Text)
	if err != nil {
		return apiError(c, fiber.StatusInternalServerError, CodeInternal, "knowledge search failed")
	}
	if !found {
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "no answer in the knowledge base")
	}
	return c.JSON(Suggestion{Question: q.Text, Answer: hit.Answer, Lang: hit.Lang, Score: hit.Score, Source: hit.Entry.ID})
}

// ---- canned replies, teams, rules, tickets ----

func (s *Service) listCanned(c *fiber.Ctx) error {
	l, err := s.st.Canned(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return storeError(c, err)
	}
	return c.JSON(l)
}

func (s *Service) putCanned(c *fiber.Ctx) error {
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	cn := store.Canned{Tenant: who(c).agent.Tenant, Shortcut: c.Params("shortcut"), Text: req.Text}
	if err := s.st.PutCanned(c.UserContext(), cn); err != nil {
		return storeError(c, err)
	}
	return c.JSON(cn)
}

func (s *Service) deleteCanned(c *fiber.Ctx) error {
	if err := s.st.DeleteCanned(c.UserContext(), who(c).agent.Tenant, c.Params("shortcut")); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apiError(c, fiber.StatusNotFound, CodeNotFound, "no such canned reply")
		}
		return storeError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Service) listTeams(c *fiber.Ctx) error {
	l, err := s.st.Teams(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return storeError(c, err)
	}
	return c.JSON(l)
}

func (s *Service) putTeam(c *fiber.Ctx) error {
	var t store.Team
	if err := decodeBody(c, &t); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	t.Tenant, t.ID = who(c).agent.Tenant, c.Params("id")
	for _, sk := range t.Skills {
		if !skillSpecOK(sk) {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "skill "+sk+" is not lang, topic, channel or one of them followed by :value")
		}
	}
	if t.Name == "" {
		t.Name = t.ID
	}
	if err := s.st.PutTeam(c.UserContext(), t); err != nil {
		return storeError(c, err)
	}
	return c.JSON(t)
}

func (s *Service) getRules(c *fiber.Ctx) error {
	l, err := s.st.Rules(c.UserContext(), who(c).agent.Tenant)
	if err != nil {
		return storeError(c, err)
	}
	if l == nil {
		l = []store.Rule{}
	}
	return c.JSON(l)
}

func (s *Service) putRules(c *fiber.Ctx) error {
	var rules []store.Rule
	if err := decodeBody(c, &rules); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	for i, r := range rules {
		if r.Team == "" || len(r.When) == 0 {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "every rule needs a team and at least one condition")
		}
		for _, sk := range r.Skills {
			if !skillSpecOK(sk) {
				return apiError(c, fiber.StatusBadRequest, CodeBadRequest,
					"rule "+itoa(i)+": skill "+sk+" is not lang, topic, channel or one of them followed by :value")
			}
		}
		for k := range r.When {
			known := false
			for _, ok := range RuleConditions {
				known = known || ok == k
			}
			if !known {
				return apiError(c, fiber.StatusBadRequest, CodeBadRequest,
					"rule "+itoa(i)+": unknown condition "+k+" (known: "+strings.Join(RuleConditions, ", ")+")")
			}
		}
	}
	if err := s.st.PutRules(c.UserContext(), who(c).agent.Tenant, rules); err != nil {
		return storeError(c, err)
	}
	return c.JSON(rules)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func (s *Service) listTickets(c *fiber.Ctx) error {
	st := c.Query("status")
	if st != "" && st != store.TicketOpen && st != store.TicketDone {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "status must be open or done")
	}
	l, err := s.st.Tickets(c.UserContext(), who(c).agent.Tenant, st)
	if err != nil {
		return storeError(c, err)
	}
	return c.JSON(l)
}

func (s *Service) ticketDone(c *fiber.Ctx) error {
	if err := s.st.SetTicketStatus(c.UserContext(), who(c).agent.Tenant, c.Params("id"), store.TicketDone); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apiError(c, fiber.StatusNotFound, CodeNotFound, "no such ticket")
		}
		return storeError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
