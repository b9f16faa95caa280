package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/proactive"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Proactive notices (package central/proactive decides; this file runs
// them). Triggers reach central three ways: a merchant event stored by
// POST /v1/events (eventHooks), a page report from an edge
// (chat.PageSubject, the widget's "page" frame) and the clock (campaigns,
// and notices that waited for the end of quiet hours). A notice to send is
// stored first (pending, idempotent by proactive.NoticeID), then delivered
// exactly like a bot reply: saved in the shopper's conversation (so the
// console and the widget's history show it), announced to consoles, and
// published on the region's outbound subject, where the edge runs its
// outbound plugins over it (PII, geo-campaign) before the shopper's socket
// or platform channel gets it. The notice message's id derives from the
// notice id, so two replicas delivering the same pending notice store and
// publish it once. The edge reports the client's ack of a notice message
// (chat.NoticeOpenedSubject): that is "opened".

// Tenant settings of proactive notices.
const (
	SettingProactiveQuiet  = "proactive.quiet_hours"
	SettingProactiveCap    = "proactive.cap"
	SettingProactiveWindow = "proactive.inbound_window"
)

// proactiveEvery is how often due notices and campaigns are looked at.
const proactiveEvery = 2 * time.Second

// labelNotice and labelPromotion mark a notice's outbound envelope: the
// rule id, and "1" when the edge's geo-campaign plugin supplies the text.
const (
	labelNotice    = "notice"
	labelPromotion = "promotion"
)

func (s *Service) startProactive() error {
	s.eventHooks = append(s.eventHooks, s.proactiveEvent)
	sub, err := s.nc.QueueSubscribe(chat.SubjectPagePrefix+">", ConsumerName, s.onPage)
	if err != nil {
		return fmt.Errorf("central: subscribe page reports: %w", err)
	}
	s.subs = append(s.subs, sub)
	sub, err = s.nc.QueueSubscribe(chat.SubjectNoticeOpenedPrefix+">", ConsumerName, s.onNoticeOpened)
	if err != nil {
		return fmt.Errorf("central: subscribe opened notices: %w", err)
	}
	s.subs = append(s.subs, sub)
	s.bg.Add(1)
	go s.proactiveLoop()
	return nil
}

// proactiveLoop sends due notices and runs campaigns.
func (s *Service) proactiveLoop() {
	defer s.bg.Done()
	tick := time.NewTicker(proactiveEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-s.proactiveWake:
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		s.runCampaigns(ctx)
		s.sendDueNotices(ctx)
		cancel()
	}
}

// wakeProactive makes the loop look now (tests, a new rule).
func (s *Service) wakeProactive() {
	select {
	case s.proactiveWake <- struct{}{}:
	default:
	}
}

// proactiveRules returns the tenant's enabled rules of trigger.
func (s *Service) proactiveRules(ctx context.Context, tenant, trigger string) ([]proactive.Rule, []store.ProactiveRule) {
	stored, err := s.st.ProactiveRules(ctx, tenant)
	if err != nil {
		s.log.Warn("proactive: rules", "tenant", tenant, "err", err)
		return nil, nil
	}
	var rules []proactive.Rule
	var rows []store.ProactiveRule
	for _, r := range stored {
		if !r.Enabled {
			continue
		}
		var rule proactive.Rule
		if err := json.Unmarshal([]byte(r.Spec), &rule); err != nil || rule.Trigger != trigger {
			continue
		}
		rules, rows = append(rules, rule), append(rows, r)
	}
	return rules, rows
}

// proactiveEvent runs the event rules over a merchant event.
func (s *Service) proactiveEvent(e store.MerchantEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rules, _ := s.proactiveRules(ctx, e.Tenant, proactive.TriggerEvent)
	shopper := e.Visitor
	if e.Contact != "" {
		shopper = chat.ContactVisitor(e.Tenant, e.Contact)
	}
	for _, r := range rules {
		if r.EventType != e.Type {
			continue
		}
		s.decideNotice(ctx, e.Tenant, r, shopper, "event:"+e.ID, map[string]string{"order_id": e.OrderID}, nil)
	}
}

var skuPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// onPage runs the idle rules over a page report from an edge.
func (s *Service) onPage(m *nats.Msg) {
	var p chat.PageReport
	if err := json.Unmarshal(m.Data, &p); err != nil || p.Tenant == "" || chat.PageSubject(p.Tenant) != m.Subject {
		return
	}
	if p.Visitor == "" || !chat.ValidID(p.ConversationID) || p.IdleS <= 0 || (p.SKU != "" && !skuPattern.MatchString(p.SKU)) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rules, _ := s.proactiveRules(ctx, p.Tenant, proactive.TriggerIdle)
	for _, r := range rules {
		if p.IdleS < r.IdleS || (r.RequireSKU && p.SKU == "") || (r.URLContains != "" && !strings.Contains(p.URL, r.URLContains)) {
			continue
		}
		page := p.SKU
		if page == "" {
			page = p.URL
		}
		conv := store.Conversation{Tenant: p.Tenant, ID: p.ConversationID, Visitor: p.Visitor, Channel: p.Channel, Region: p.Region, Lang: p.Lang}
		s.decideNotice(ctx, p.Tenant, r, p.Visitor, "page:"+p.ConversationID+":"+page, map[string]string{"sku": p.SKU}, &conv)
		return // one offer per report
	}
}

// onNoticeOpened records the client's acknowledgement of a notice.
func (s *Service) onNoticeOpened(m *nats.Msg) {
	var o chat.NoticeOpened
	if err := json.Unmarshal(m.Data, &o); err != nil || o.Tenant == "" || chat.NoticeOpenedSubject(o.Tenant) != m.Subject || !chat.IsNoticeMessage(o.MessageID) {
		return
	}
	at := time.UnixMilli(o.At)
	if o.At <= 0 || time.Since(at).Abs() > 24*time.Hour {
		at = time.Now()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.st.MarkNoticeOpened(ctx, o.Tenant, o.Visitor, o.MessageID, at); err != nil {
		s.log.Warn("proactive: opened", "err", err)
	}
}

// quietHours returns the rule's quiet period, else the tenant's.
func (s *Service) quietHours(ctx context.Context, tenant string, r proactive.Rule) *proactive.Quiet {
	spec := r.QuietHours
	if spec == "" {
		spec = s.setting(ctx, tenant, SettingProactiveQuiet)
	}
	q, _ := proactive.ParseQuiet(spec) // validated when set
	return q
}

// decideNotice applies rule r to shopper for the cause ref: caps, the
// control split, quiet hours; it stores the decision and delivers a
// notice due now. conv is the conversation to speak in (idle offers), or
// nil for the shopper's latest conversation.
func (s *Service) decideNotice(ctx context.Context, tenant string, r proactive.Rule, shopper, ref string, vars map[string]string, conv *store.Conversation) {
	now := time.Now()
	n := store.Notice{Tenant: tenant, ID: proactive.NoticeID(tenant, r.ID, ref, shopper), Rule: r.ID, Shopper: shopper, Ref: ref,
		CreatedAt: now}
	suppress := func(reason string) {
		n.Arm, n.State, n.Reason = proactive.ArmSuppressed, store.NoticeDropped, reason
		if _, err := s.st.PutNotice(ctx, n); err != nil {
			s.log.Warn("proactive: store", "err", err)
		}
	}
	// Caps count both arms, so the control group is capped alike.
	if k, err := s.st.CountNotices(ctx, tenant, shopper, r.ID, now.Add(-r.CapFor())); err != nil || k >= r.CapN() {
		if err == nil {
			suppress(proactive.ReasonCap)
		}
		return
	}
	if c, err := proactive.ParseCap(s.setting(ctx, tenant, SettingProactiveCap)); err == nil && c.N > 0 {
		if k, err := s.st.CountNotices(ctx, tenant, shopper, "", now.Add(-c.Window)); err != nil || k >= c.N {
			if err == nil {
				suppress(proactive.ReasonTenantCap)
			}
			return
		}
	}
	if proactive.InControl(r.ID, shopper, r.Control()) {
		n.Arm, n.State = proactive.ArmControl, store.NoticeControl
		if _, err := s.st.PutNotice(ctx, n); err != nil {
			s.log.Warn("proactive: store", "err", err)
		}
		return
	}
	var c store.Conversation
	var err error
	if conv != nil {
		c, err = s.st.OpenConversation(ctx, *conv)
	} else {
		c, err = s.st.LatestConversation(ctx, tenant, shopper)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			suppress(proactive.ReasonNoChannel)
		} else {
			s.log.Warn("proactive: conversation", "err", err)
		}
		return
	}
	n.Arm, n.State, n.DueAt = proactive.ArmSent, store.NoticePending, now
	n.ConversationID, n.Region, n.Channel = c.ID, c.Region, string(c.Channel)
	n.MessageID, n.Text = proactive.MessageID(n.ID), proactive.Render(r.Text, c.Lang, vars)
	if r.Promotion {
		n.Reason = labelPromotion
	}
	if due := s.quietHours(ctx, tenant, r).Next(now); due.After(now) {
		if r.Trigger == proactive.TriggerIdle {
			suppress(proactive.ReasonQuiet) // an offer for this page visit is useless later
			return
		}
		n.DueAt = due
	}
	stored, err := s.st.PutNotice(ctx, n)
	if err != nil || !stored {
		if err != nil {
			s.log.Warn("proactive: store", "err", err)
		}
		return // decided before (a retried event, another replica)
	}
	if !n.DueAt.After(now) {
		s.deliverNotice(ctx, n)
	}
}

// sendDueNotices delivers the pending notices whose time has come.
func (s *Service) sendDueNotices(ctx context.Context) {
	due, err := s.st.DueNotices(ctx, time.Now(), 100)
	if err != nil {
		s.log.Warn("proactive: due", "err", err)
		return
	}
	for _, n := range due {
		s.deliverNotice(ctx, n)
	}
}

// deliverNotice sends a pending notice through the ordinary outbound
// path and marks it sent (or failed when its conversation is gone).
func (s *Service) deliverNotice(ctx context.Context, n store.Notice) {
	m := chat.Message{ID: n.MessageID, ConversationID: n.ConversationID, Role: chat.RoleBot, Source: chat.SourceCentral,
		Author: analytics.ProactiveAuthor, Intent: "proactive", Text: n.Text, At: time.Now()}
	conv, stored, err := s.st.SaveReply(ctx, n.Tenant, m, false)
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid):
		n.State, n.Reason = store.NoticeFailed, "conversation: "+err.Error()
		if err := s.st.UpdateNotice(ctx, n); err != nil {
			s.log.Warn("proactive: update", "err", err)
		}
		return
	case err != nil:
		s.log.Warn("proactive: deliver", "notice", n.ID, "err", err)
		return // stays pending: the loop retries
	}
	m.Lang = conv.Lang
	if stored {
		s.emit(chat.Event{Type: chat.EventMessage, Tenant: conv.Tenant, ConversationID: conv.ID, Visitor: conv.Visitor, Message: &m})
		out := chat.Envelope{V: chat.ProtocolVersion, Tenant: conv.Tenant, Region: conv.Region, Channel: conv.Channel,
			Visitor: conv.Visitor, Direction: chat.Outbound, Message: m}
		out.SetLabel(labelNotice, n.Rule)
		if n.Reason == labelPromotion {
			out.SetLabel(labelPromotion, "1")
		}
		s.publishOutbound(ctx, out, replyRoute(out))
	}
	n.State, n.SentAt = store.NoticeSent, time.Now()
	if err := s.st.UpdateNotice(ctx, n); err != nil {
		s.log.Warn("proactive: update", "err", err)
	}
}

// runCampaigns starts every campaign whose time has come and that no
// replica ran yet (store.ClaimRuleRun): its audience is the latest
// conversation of each visitor active from the audience days before its
// time up to the run.
func (s *Service) runCampaigns(ctx context.Context) {
	tenants, err := s.st.ProactiveTenants(ctx)
	if err != nil {
		s.log.Warn("proactive: tenants", "err", err)
		return
	}
	now := time.Now()
	for _, tenant := range tenants {
		rules, rows := s.proactiveRules(ctx, tenant, proactive.TriggerCampaign)
		for i, r := range rules {
			if r.At.After(now) || !rows[i].LastRun.Before(r.At) {
				continue
			}
			if ok, err := s.st.ClaimRuleRun(ctx, tenant, r.ID, rows[i].LastRun, r.At); err != nil || !ok {
				continue
			}
			// Active from audience days before the campaign's time up to this run.
			audience, err := s.st.RecentVisitors(ctx, tenant, r.Region, r.At.Add(-time.Duration(r.AudienceDays)*24*time.Hour), now.Add(time.Millisecond), 0)
			if err != nil {
				s.log.Warn("proactive: audience", "rule", r.ID, "err", err)
				continue
			}
			ref := "campaign:" + r.At.UTC().Format(time.RFC3339)
			for _, c := range audience {
				conv := c
				s.decideNotice(ctx, tenant, r, c.Visitor, ref, nil, &conv)
			}
			s.log.Info("proactive: campaign run", "tenant", tenant, "rule", r.ID, "audience", len(audience))
		}
	}
}
