package central

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// The agents' workspace behind the queue: what happens to inbound messages
// that carry a widget's local answer, a callback request or a rating; what
// a handoff does besides queueing (team by routing rules, push assignment,
// after-hours tickets); typing notices in both directions; presence.
//
// # Inbound labels (set by the edge, chat/queue.go)
//
//   - local_answer_id/_text/_faq: the widget answered the question in the
//     browser. The question is stored as usual and the answer after it
//     (role bot, source local, author "widget", the client's id), so the
//     agent reads what the shopper read; neither is routed nor answered.
//   - callback=email|phone: the text is a contact for a call back (masked
//     by the region's PII plugin, revealed at the edge like any token). It
//     is stored, becomes a ticket due when business hours open next, and
//     the shopper gets a confirmation in their language.
//   - csat=1..5: a rating of a conversation; the text is the comment ("-"
//     for none). It is stored as the conversation's rating, never as a
//     message (so it does not reopen the conversation), and emitted as
//     csat.submitted.
//
// # Routing rules and assignment
//
// At handoff the tenant's rules (store.Rule, in order) pick a team: a rule
// matches when every condition holds. Conditions: intent, lang, channel,
// reason (why handed off), region, vip (true/false), anger_min (a number),
// and url_contains / sku (page context).
//
// # Skills
//
// A skill is lang:<language>, topic:<intent> or channel:<channel>
// (store.CleanSkills). Agents have skills (PUT /v1/me/profile). A rule
// may list the skills its conversations need, and so may a team (what
// every conversation routed to it needs); a bare kind ("lang", "topic",
// "channel") stands for the conversation's own (lang:de for a German
// shopper, topic:refund for the intent refund). Only an agent with every
// skill a conversation needs is pushed it or takes it next; an agent
// without skills takes what needs none.
//
// # Assignment
//
// With queue.assign least_busy or round_robin the conversation is then
// pushed to an online agent of that team with the skills and room (below
// capacity): the one holding the fewest, or the one who got one longest
// ago; with pull (the default) agents take next.

// startWork starts the workspace's subscriptions and the queue goroutine.
func (s *Service) startWork() error {
	sub, err := s.nc.Subscribe(chat.SubjectTypingPrefix+">", s.onShopperTyping)
	if err != nil {
		return fmt.Errorf("central: subscribe typing: %w", err)
	}
	s.subs = append(s.subs, sub)
	if err := s.startShown(); err != nil { // shown.go
		return err
	}
	s.bg.Add(1)
	go s.runQueueWatch()
	return nil
}

// onShopperTyping forwards a shopper's typing notice to the tenant's consoles.
func (s *Service) onShopperTyping(m *nats.Msg) {
	var ev chat.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Tenant == "" || chat.TypingSubject(ev.Tenant) != m.Subject {
		return
	}
	ev.Type, ev.Reason, ev.Agent = chat.EventTyping, "shopper", ""
	data, err := json.Marshal(ev)
	if err != nil {
		return
	}
	s.hub.broadcast(ev.Tenant, data)
}

// pageFacts are the page-context labels the customer panel shows.
var pageFacts = []string{"url", "title", "referrer", "sku", "product", "locale", "cart"}

// workInbound handles the labels above; handled says the message needs no
// routing and no bot answer.
func (s *Service) workInbound(ctx context.Context, env chat.Envelope, conv store.Conversation, msg chat.Message, stored bool) (bool, error) {
	if stored {
		facts := map[string]string{}
		for _, k := range pageFacts {
			if v := env.Label(k); v != "" {
				facts[k] = v
			}
		}
		if err := s.st.SetContext(ctx, env.Tenant, conv.ID, facts); err != nil {
			s.log.Warn("page context", "conversation", conv.ID, "err", err)
		}
	}
	if id := env.Label(chat.LabelLocalAnswerID); id != "" {
		a := chat.Message{ID: id, ConversationID: conv.ID, Role: chat.RoleBot, Source: chat.SourceLocal, Author: "widget",
			Text: env.Label(chat.LabelLocalAnswerText), ReplyTo: msg.ID, Lang: msg.Lang, Intent: env.Label(chat.LabelLocalAnswerFAQ), At: msg.At}
		if err := a.Validate(0); err != nil || id == msg.ID {
			s.log.Warn("local answer refused", "tenant", env.Tenant, "id", id, "err", err)
			return true, nil
		}
		c, ok, err := s.st.SaveReply(ctx, env.Tenant, a, false)
		if err != nil {
			return true, err
		}
		if ok {
			if sc, err := strconv.ParseFloat(env.Label(chat.LabelLocalAnswerScore), 64); err == nil && sc < s.cfg.LocalLowScore {
				s.recordMiss(ctx, env.Tenant, msg, "local_low", sc) // answered in the browser, unsure: a gap candidate
			}
			s.m.messagesStored.WithLabelValues(string(chat.RoleBot)).Inc()
			s.m.botAnswers.WithLabelValues("local").Inc()
			s.emit(chat.Event{Type: chat.EventMessage, Tenant: c.Tenant, ConversationID: c.ID, Visitor: c.Visitor, Message: &a})
		}
		return true, nil
	}
	if kind := env.Label(chat.LabelCallback); kind != "" {
		return true, s.callbackRequested(ctx, env, conv, msg, kind, stored)
	}
	if stored {
		s.translateInbound(env.Tenant, conv, msg)
	}
	return false, nil
}

// callbackRequested records a callback ticket and confirms it.
func (s *Service) callbackRequested(ctx context.Context, env chat.Envelope, conv store.Conversation, msg chat.Message, kind string, stored bool) error {
	if kind != "email" && kind != "phone" {
		kind = "contact"
	}
	set := s.tenantSettings(ctx, conv.Tenant)
	now := time.Now()
	due := s.hours(conv.Tenant, set).NextOpen(now)
	t := store.Ticket{ID: derivedID("t", env.Tenant, msg.ID), Tenant: env.Tenant, ConversationID: conv.ID, Kind: store.TicketCallback,
		Detail: kind + ": " + msg.Text, CreatedAt: now, DueAt: due}
	if _, created, err := s.st.AddTicket(ctx, t); err != nil {
		return err
	} else if created {
		s.emit(chat.Event{Type: chat.EventType("ticket.created"), Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Reason: store.TicketCallback})
	}
	note := chat.Message{ID: derivedID("c", env.Tenant, msg.ID), ConversationID: conv.ID, Role: chat.RoleSystem, Source: chat.SourceCentral,
		ReplyTo: msg.ID, Author: "router", Lang: msg.Lang, Text: callbackText(msg.Lang), At: now}
	_, ok, err := s.st.SaveReply(ctx, env.Tenant, note, false)
	if err != nil {
		return err
	}
	if ok || !stored {
		if ok {
			s.emit(chat.Event{Type: chat.EventMessage, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &note})
		}
		s.publishReply(ctx, env, note)
	}
	return nil
}

func callbackText(lang string) string {
	switch base(lang) {
	case "zh":
		return "已收到您的联系方式，客服上班后会尽快联系您。"
	case "de":
		return "Danke! Wir melden uns, sobald wieder jemand erreichbar ist."
	case "fr":
		return "Merci ! Nous vous recontacterons dès qu'un conseiller sera disponible."
	case "es":
		return "¡Gracias! Te contactaremos en cuanto haya un agente disponible."
	case "ja":
		return "ありがとうございます。担当者が対応可能になり次第ご連絡します。"
	}
	return "Thank you! We will get back to you as soon as an agent is available."
}

func base(lang string) string {
	l, _, _ := strings.Cut(strings.ToLower(lang), "-")
	return l
}

// csatInbound stores a rating (label csat) and emits csat.submitted.
func (s *Service) csatInbound(ctx context.Context, env chat.Envelope) error {
	rating, err := strconv.Atoi(env.Label(chat.LabelCSAT))
	if err != nil || rating < 1 || rating > 5 {
		return fmt.Errorf("%w: csat rating %q is not 1-5", store.ErrInvalid, env.Label(chat.LabelCSAT))
	}
	conv, err := s.st.Conversation(ctx, env.Tenant, env.Message.ConversationID)
	if err != nil || conv.Visitor != env.Visitor {
		return fmt.Errorf("%w: csat for an unknown conversation", store.ErrInvalid)
	}
	c := chat.CSAT{Rating: rating, Comment: strings.TrimSpace(env.Message.Text)}
	if c.Comment == "-" {
		c.Comment = ""
	}
	if err := s.st.PutCSAT(ctx, env.Tenant, conv.ID, conv.Visitor, c, time.Now()); err != nil {
		return err
	}
	s.emit(chat.Event{Type: chat.EventCSAT, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, CSAT: &c, Agent: conv.Agent})
	s.webhook(ctx, conv.Tenant, string(chat.EventCSAT), map[string]any{"conversation_id": conv.ID, "rating": c.Rating, "comment": c.Comment})
	return nil
}

// webhook hands an event to the outbound webhooks (issue 9's outbox) when
// the store offers them; until then it is a no-op.
func (s *Service) webhook(ctx context.Context, tenant, event string, data map[string]any) {
	if w, ok := s.st.(interface {
		EmitWebhook(ctx context.Context, tenant, event string, data any) error
	}); ok {
		if err := w.EmitWebhook(ctx, tenant, event, data); err != nil {
			s.log.Warn("webhook event not queued", "tenant", tenant, "event", event, "err", err)
		}
	}
}

// ruleMatches reports whether every condition of r holds for a handoff.
func ruleMatches(r store.Rule, env chat.Envelope, c store.Conversation, msg chat.Message) bool {
	for k, want := range r.When {
		var ok bool
		switch k {
		case "intent":
			ok = msg.Intent == want
		case "lang":
			ok = base(msg.Lang) == base(want) || base(c.Lang) == base(want)
		case "channel":
			ok = string(c.Channel) == want
		case "reason":
			ok = c.Reason == want
		case "region":
			ok = c.Region == want
		case "vip":
			ok = strconv.FormatBool(c.VIP) == want
		case "anger_min":
			f, err := strconv.ParseFloat(want, 64)
			ok = err == nil && max(c.Anger, msg.Anger) >= f
		case "url_contains":
			ok = want != "" && strings.Contains(env.Label("url"), want)
		case "sku":
			ok = env.Label("sku") == want
		}
		if !ok {
			return false
		}
	}
	return true
}

// skillSpecOK reports whether a rule's or team's skill is a skill or a
// bare kind.
func skillSpecOK(spec string) bool {
	if slices.Contains(store.SkillKinds, spec) {
		return true
	}
	_, err := store.CleanSkills([]string{spec})
	return err == nil
}

// neededSkills expands the skill specs of a rule and a team for a
// conversation: a bare kind becomes the conversation's own value; one it
// has no value for (no language known) is left out.
func neededSkills(specs []string, c store.Conversation, msg chat.Message) []string {
	var out []string
	for _, spec := range specs {
		switch spec {
		case "lang":
			l := base(msg.Lang)
			if l == "" {
				l = base(c.Lang)
			}
			if l == "" {
				continue
			}
			spec += ":" + l
		case "topic":
			if msg.Intent == "" {
				continue
			}
			spec += ":" + strings.ToLower(msg.Intent)
		case "channel":
			spec += ":" + string(c.Channel)
		}
		if ok, err := store.CleanSkills([]string{spec}); err == nil {
			out = append(out, ok...)
		}
	}
	out, _ = store.CleanSkills(out)
	return out
}

// RuleConditions are the condition names a routing rule may use.
var RuleConditions = []string{"intent", "lang", "channel", "reason", "region", "vip", "anger_min", "url_contains", "sku"}

// afterHandoff runs once when a conversation enters the queue.
func (s *Service) afterHandoff(ctx context.Context, env chat.Envelope, c store.Conversation, msg chat.Message) {
	defer s.queueChanged(c.Tenant)
	rules, err := s.st.Rules(ctx, c.Tenant)
	if err != nil {
		s.log.Warn("routing rules", "tenant", c.Tenant, "err", err)
	}
	team := ""
	var specs []string
	for _, r := range rules {
		if ruleMatches(r, env, c, msg) {
			team, specs = r.Team, r.Skills
			break
		}
	}
	if team != "" {
		if c2, err := s.st.Transfer(ctx, c.Tenant, c.ID, team, "", c.QueuedAt); err == nil {
			c = c2
		}
		if teams, err := s.st.Teams(ctx, c.Tenant); err == nil {
			for _, t := range teams {
				if t.ID == team {
					specs = append(specs, t.Skills...)
				}
			}
		}
	}
	skills := neededSkills(specs, c, msg)
	if len(skills) > 0 {
		if err := s.st.SetConversationSkills(ctx, c.Tenant, c.ID, skills); err != nil {
			s.log.Warn("conversation skills", "tenant", c.Tenant, "conversation", c.ID, "err", err)
		}
	}
	set := s.tenantSettings(ctx, c.Tenant)
	now := time.Now()
	if h := s.staffing(ctx, c.Tenant, set, now).hoursOf(team); !h.Open(now) {
		t := store.Ticket{ID: derivedID("t", c.Tenant, c.ID+"\x00"+strconv.FormatInt(c.QueuedAt.UnixMilli(), 10)), Tenant: c.Tenant,
			ConversationID: c.ID, Kind: store.TicketAfterHour, Detail: msg.Text, CreatedAt: now, DueAt: h.NextOpen(now)}
		if _, _, err := s.st.AddTicket(ctx, t); err != nil {
			s.log.Warn("after-hours ticket", "tenant", c.Tenant, "err", err)
		}
		return
	}
	s.pushAssign(ctx, c.Tenant, set, c.ID, team, skills)
}

// complaintAfterHours files a complaint the bot answers while the tenant is
// closed as a ticket due at the opening, so the morning shift sees it
// first (Callbacks in the console); idempotent per message.
func (s *Service) complaintAfterHours(ctx context.Context, c store.Conversation, msg chat.Message) {
	set := s.tenantSettings(ctx, c.Tenant)
	now := time.Now()
	h := s.hours(c.Tenant, set)
	if h.Open(now) {
		return
	}
	t := store.Ticket{ID: derivedID("t", c.Tenant, "complaint\x00"+msg.ID), Tenant: c.Tenant, ConversationID: c.ID, Kind: store.TicketComplaint,
		Detail: msg.Text, CreatedAt: now, DueAt: h.NextOpen(now)}
	_, created, err := s.st.AddTicket(ctx, t)
	if err != nil {
		s.log.Warn("complaint ticket", "tenant", c.Tenant, "err", err)
		return
	}
	if created {
		s.emit(chat.Event{Type: chat.EventType("ticket.created"), Tenant: c.Tenant, ConversationID: c.ID, Visitor: c.Visitor, Reason: store.TicketComplaint})
	}
}

// pushAssign gives a queued conversation to an online agent with room when
// the tenant pushes (queue.assign least_busy or round_robin) and one has
// every skill it needs.
func (s *Service) pushAssign(ctx context.Context, tenant string, set map[string]string, id, team string, skills []string) {
	mode := settingValue(set, SettingAssign)
	if mode != "least_busy" && mode != "round_robin" {
		return
	}
	st := s.staffing(ctx, tenant, set, time.Now())
	counts, err := s.st.ActiveCounts(ctx, tenant)
	if err != nil {
		return
	}
	var best *store.AgentProfile
	bestKey := int64(0)
	for i := range st.profiles {
		p := &st.profiles[i]
		capacity := p.Capacity
		if capacity <= 0 {
			capacity = st.capacity
		}
		if !taker(*p).CanTake(team, skills) || counts[p.Agent] >= capacity {
			continue
		}
		key := int64(counts[p.Agent])
		if mode == "round_robin" {
			key = s.lastPushed(tenant, p.Agent)
		}
		if best == nil || key < bestKey {
			best, bestKey = p, key
		}
	}
	if best == nil {
		return
	}
	c, err := s.st.ClaimQueued(ctx, tenant, id, best.Agent, time.Now())
	if err != nil {
		return // taken meanwhile
	}
	s.notePushed(tenant, best.Agent)
	a, err := s.st.Agent(ctx, tenant, best.Agent)
	if err != nil {
		a = store.Agent{ID: best.Agent, Tenant: tenant, Name: best.Agent}
	}
	s.assigned(ctx, c, a)
}

func (s *Service) lastPushed(tenant, agent string) int64 {
	s.qw.mu.Lock()
	defer s.qw.mu.Unlock()
	return s.qw.pushed[tenant+"\x00"+agent]
}

func (s *Service) notePushed(tenant, agent string) {
	s.qw.mu.Lock()
	defer s.qw.mu.Unlock()
	s.qw.pushed[tenant+"\x00"+agent] = time.Now().UnixNano()
}

// assignFree pushes queued conversations to agents with room, oldest
// first (after a close or when an agent comes online).
func (s *Service) assignFree(ctx context.Context, tenant string) {
	set := s.tenantSettings(ctx, tenant)
	if m := settingValue(set, SettingAssign); m != "least_busy" && m != "round_robin" {
		return
	}
	if !s.hours(tenant, set).Open(time.Now()) {
		return
	}
	q, err := s.rankQueue(ctx, tenant, set, time.Now())
	if err != nil {
		return
	}
	for i, r := range q {
		if i >= 20 {
			break
		}
		s.pushAssign(ctx, tenant, set, r.ID, r.Team, r.Skills)
	}
}

// ---- presence and typing from the console ----

// consoleFrame is what a console sends on its WebSocket.
type consoleFrame struct {
	// Type is "activity" (a keystroke or click), "presence" (Status) or
	// "typing" (ConversationID).
	Type           string `json:"type"`
	Status         string `json:"status,omitempty"`
	ConversationID string `json:"conversation_id,omitempty"`
}

// setPresence stores an agent's presence and tells the consoles and the queue.
func (s *Service) setPresence(ctx context.Context, a store.Agent, status string, active bool) {
	now := time.Now()
	p := store.Presence{Status: status, Seen: now}
	if active {
		p.Active = now
	}
	prev, _ := s.st.AgentProfile(ctx, a.Tenant, a.ID)
	if err := s.st.SetPresence(ctx, a.Tenant, a.ID, p); err != nil {
		s.log.Warn("presence", "agent", a.ID, "err", err)
		return
	}
	if prev.Presence.Status != status || now.Sub(prev.Presence.Seen) > presenceStale {
		s.emit(chat.Event{Type: chat.EventPresence, Tenant: a.Tenant, Agent: a.Name, Reason: status, ConversationID: ""})
		s.queueChanged(a.Tenant)
		if status == store.PresenceOnline {
			s.assignFree(ctx, a.Tenant)
		}
	}
}

// onConsoleFrame handles one frame from an agent's console.
func (s *Service) onConsoleFrame(a store.Agent, status *atomic.Value, data []byte) {
	var f consoleFrame
	if err := json.Unmarshal(data, &f); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	switch f.Type {
	case "activity":
		s.setPresence(ctx, a, status.Load().(string), true)
	case "presence":
		if f.Status == store.PresenceOnline || f.Status == store.PresenceAway {
			status.Store(f.Status)
			s.setPresence(ctx, a, f.Status, f.Status == store.PresenceOnline)
		}
	case "typing":
		if !chat.ValidID(f.ConversationID) {
			return
		}
		c, err := s.st.Conversation(ctx, a.Tenant, f.ConversationID)
		if err != nil || c.Status == store.StatusClosed {
			return
		}
		s.emit(chat.Event{Type: chat.EventTyping, Tenant: c.Tenant, ConversationID: c.ID, Visitor: c.Visitor, Agent: a.Name})
	}
}

// ---- SLA ----

// slaTick emits sla.breached once per conversation and target: first
// response (queued longer than the target without an agent reply) and
// resolution (not closed within sla.resolution of its handoff).
func (s *Service) slaTick() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tenants, err := s.st.ActiveTenants(ctx)
	if err != nil {
		return
	}
	now := time.Now()
	for _, t := range tenants {
		set := s.tenantSettings(ctx, t)
		sla, slaVIP := s.slaTargets(ctx, t, set)
		q, err := s.st.QueueItems(ctx, t)
		if err != nil {
			continue
		}
		for _, it := range q {
			target := sla
			if it.VIP {
				target = slaVIP
			}
			if now.Sub(it.QueuedAt) > target {
				s.breach(ctx, t, it.ID, it.Visitor, "first_response", it.QueuedAt.Add(target))
			}
		}
		resolution := settingDuration(set, SettingSLAResolution)
		held, err := s.st.Conversations(ctx, t, store.Filter{Status: store.StatusAssigned, Limit: 1000})
		if err != nil {
			continue
		}
		for _, c := range held {
			if !c.QueuedAt.IsZero() && now.Sub(c.QueuedAt) > resolution {
				s.breach(ctx, t, c.ID, c.Visitor, "resolution", c.QueuedAt.Add(resolution))
			}
		}
	}
}

// breach records a breach once (across replicas: the record's id is
// derived, so only the first insert creates it) and emits it.
func (s *Service) breach(ctx context.Context, tenant, conv, visitor, kind string, at time.Time) {
	_, created, err := s.st.AddTicket(ctx, store.Ticket{ID: derivedID("s", tenant, conv+"\x00"+kind+"\x00"+strconv.FormatInt(at.UnixMilli(), 10)),
		Tenant: tenant, ConversationID: conv, Kind: "sla_" + kind, Status: store.TicketDone, Detail: "target passed at " + at.UTC().Format(time.RFC3339), CreatedAt: at})
	if err != nil || !created {
		return
	}
	s.m.slaBreaches.WithLabelValues(kind).Inc()
	s.emit(chat.Event{Type: chat.EventSLABreach, Tenant: tenant, ConversationID: conv, Visitor: visitor, Reason: kind, At: at.UTC()})
	s.webhook(ctx, tenant, string(chat.EventSLABreach), map[string]any{"conversation_id": conv, "target": kind, "at": at.UTC()})
}
