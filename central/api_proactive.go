package central

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/proactive"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
)

// Proactive notice routes (proactive.go runs the rules):
//
//	GET    /v1/proactive/rules          the tenant's rules
//	PUT    /v1/proactive/rules/:id      create or replace a rule (proactive.Rule JSON)
//	DELETE /v1/proactive/rules/:id      delete a rule (its notices stay for the report)
//	GET    /v1/proactive/notices?rule=&from=&to=&limit=   notices decided, newest first
//	GET    /v1/proactive/report?from=&to=   sent, opened, and inbound of reached shoppers vs the control group

// Scopes of the proactive routes.
var (
	ScopeProactiveRead  = scope.Register("proactive:read", "read proactive rules, notices and their report", store.RoleAgent)
	ScopeProactiveWrite = scope.Register("proactive:write", "create, change and delete proactive rules", store.RoleAdmin)
)

func init() {
	for _, k := range []settings.Key{
		{Name: SettingProactiveQuiet, Doc: `quiet hours of proactive notices, e.g. "22:00-08:00 @Asia/Shanghai": a notice due inside them waits for their end (idle offers are dropped)`,
			Default: "", Validate: func(v string) error { _, err := proactive.ParseQuiet(v); return err }},
		{Name: SettingProactiveCap, Doc: `most proactive notices one shopper gets across all rules, as N/DURATION (e.g. 3/24h; 0 = no tenant cap)`,
			Default: "3/24h", Validate: func(v string) error { _, err := proactive.ParseCap(v); return err }},
		{Name: SettingProactiveWindow, Doc: "how long after a notice the shopper's messages count as its inbound (the report)",
			Default: "72h", Validate: settings.Duration(time.Hour, 30*24*time.Hour)},
	} {
		settings.Register(k)
	}
}

func (s *Service) registerProactive(auth fiber.Router) {
	auth.Get("/proactive/rules", s.proactiveRulesList)
	auth.Put("/proactive/rules/:id", s.proactiveRulePut)
	auth.Delete("/proactive/rules/:id", s.proactiveRuleDelete)
	auth.Get("/proactive/notices", s.proactiveNotices)
	auth.Get("/proactive/report", s.proactiveReport)
}

// RuleView is a rule as the API shows it.
type RuleView struct {
	proactive.Rule
	UpdatedAt time.Time  `json:"updated_at"`
	LastRun   *time.Time `json:"last_run,omitempty"`
}

func (s *Service) proactiveRulesList(c *fiber.Ctx) error {
	tenant := who(c).agent.Tenant
	rows, err := s.st.ProactiveRules(c.UserContext(), tenant)
	if err != nil {
		return storeError(c, err)
	}
	out := []RuleView{}
	for _, r := range rows {
		var v RuleView
		if err := json.Unmarshal([]byte(r.Spec), &v.Rule); err != nil {
			continue
		}
		v.Enabled, v.UpdatedAt = r.Enabled, r.UpdatedAt
		if !r.LastRun.IsZero() {
			t := r.LastRun
			v.LastRun = &t
		}
		out = append(out, v)
	}
	return c.JSON(out)
}

func (s *Service) proactiveRulePut(c *fiber.Ctx) error {
	var r proactive.Rule
	if err := decodeBody(c, &r); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if r.ID == "" {
		r.ID = c.Params("id")
	}
	if r.ID != c.Params("id") {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "the body's id differs from the path's")
	}
	if err := proactive.Check(&r); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	spec, err := json.Marshal(r)
	if err != nil {
		return apiError(c, fiber.StatusInternalServerError, CodeInternal, "internal error")
	}
	tenant := who(c).agent.Tenant
	if err := s.st.PutProactiveRule(c.UserContext(), store.ProactiveRule{Tenant: tenant, ID: r.ID, Spec: string(spec), Enabled: r.Enabled}); err != nil {
		return storeError(c, err)
	}
	s.wakeProactive()
	return c.JSON(RuleView{Rule: r, UpdatedAt: time.Now().UTC()})
}

func (s *Service) proactiveRuleDelete(c *fiber.Ctx) error {
	err := s.st.DeleteProactiveRule(c.UserContext(), who(c).agent.Tenant, c.Params("id"))
	if errors.Is(err, store.ErrNotFound) {
		return apiError(c, fiber.StatusNotFound, CodeNotFound, "rule not found")
	}
	if err != nil {
		return storeError(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// NoticeView is one notice decision.
type NoticeView struct {
	ID             string     `json:"id"`
	Rule           string     `json:"rule"`
	Shopper        string     `json:"shopper"`
	Arm            string     `json:"arm"`
	State          string     `json:"state"`
	Reason         string     `json:"reason,omitempty"`
	ConversationID string     `json:"conversation_id,omitempty"`
	MessageID      string     `json:"message_id,omitempty"`
	Channel        string     `json:"channel,omitempty"`
	Text           string     `json:"text,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DueAt          *time.Time `json:"due_at,omitempty"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	OpenedAt       *time.Time `json:"opened_at,omitempty"`
	Demo           bool       `json:"demo,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Service) proactiveNotices(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	limit, _ := strconv.Atoi(c.Query("limit"))
	ns, err := s.st.Notices(c.UserContext(), who(c).agent.Tenant, c.Query("rule"), q.from, q.to, limit)
	if err != nil {
		return storeError(c, err)
	}
	out := make([]NoticeView, 0, len(ns))
	for _, n := range ns {
		v := NoticeView{ID: n.ID, Rule: n.Rule, Shopper: n.Shopper, Arm: n.Arm, State: n.State, Reason: n.Reason, ConversationID: n.ConversationID,
			MessageID: n.MessageID, Channel: n.Channel, Text: n.Text, CreatedAt: n.CreatedAt, SentAt: optTime(n.SentAt), OpenedAt: optTime(n.OpenedAt), Demo: n.Demo}
		if n.State == store.NoticePending {
			v.DueAt = optTime(n.DueAt)
		}
		out = append(out, v)
	}
	return c.JSON(out)
}

// ArmReport is one arm of a rule in the report.
type ArmReport struct {
	Notices  int `json:"notices"`
	Shoppers int `json:"shoppers"`
	Opened   int `json:"opened"`
	// Inbound counts the notices whose shopper wrote within the window.
	Inbound         int      `json:"inbound"`
	InboundMessages int      `json:"inbound_messages"`
	OpenRate        *float64 `json:"open_rate"`
	InboundRate     *float64 `json:"inbound_rate"`
}

// RuleReport compares a rule's reached shoppers with its control group.
type RuleReport struct {
	Rule       string    `json:"rule"`
	Sent       ArmReport `json:"sent"`
	Control    ArmReport `json:"control"`
	Suppressed int       `json:"suppressed"`
	// InboundChange is (sent inbound rate − control inbound rate) / control
	// inbound rate: −0.25 means a quarter less inbound among the reached.
	InboundChange *float64 `json:"inbound_change"`
}

// ProactiveReport is GET /v1/proactive/report.
type ProactiveReport struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Window string    `json:"window"`
	// Demo is set when the period holds demo-history notices.
	Demo  bool         `json:"demo"`
	Rules []RuleReport `json:"rules"`
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	v := float64(a) / float64(b)
	return &v
}

func (s *Service) proactiveReport(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	ctx, tenant := c.UserContext(), who(c).agent.Tenant
	window := 72 * time.Hour
	if d, err := time.ParseDuration(s.setting(ctx, tenant, SettingProactiveWindow)); err == nil && d > 0 {
		window = d
	}
	rows, err := s.st.NoticeReport(ctx, tenant, q.from, q.to, window)
	if err != nil {
		return storeError(c, err)
	}
	rep := ProactiveReport{From: q.from.UTC(), To: q.to.UTC(), Window: window.String(), Rules: []RuleReport{}}
	byRule := map[string]*RuleReport{}
	for _, r := range rows {
		rr := byRule[r.Rule]
		if rr == nil {
			rep.Rules = append(rep.Rules, RuleReport{Rule: r.Rule})
			rr = &rep.Rules[len(rep.Rules)-1]
			byRule[r.Rule] = rr
		}
		a := ArmReport{Notices: r.Notices, Shoppers: r.Shoppers, Opened: r.Opened, Inbound: r.Inbound, InboundMessages: r.InboundMessages,
			OpenRate: ratio(r.Opened, r.Notices), InboundRate: ratio(r.Inbound, r.Notices)}
		switch r.Arm {
		case proactive.ArmSent:
			rr.Sent = a
		case proactive.ArmControl:
			a.OpenRate = nil // nothing was sent
			rr.Control = a
		default:
			rr.Suppressed += r.Notices
		}
	}
	for i := range rep.Rules {
		r := &rep.Rules[i]
		if r.Sent.InboundRate != nil && r.Control.InboundRate != nil && *r.Control.InboundRate > 0 {
			v := *r.Sent.InboundRate / *r.Control.InboundRate - 1
			r.InboundChange = &v
		}
	}
	if ns, err := s.st.Notices(ctx, tenant, "", q.from, q.to, 1); err == nil && len(ns) > 0 {
		rep.Demo = ns[0].Demo
	}
	return c.JSON(rep)
}
