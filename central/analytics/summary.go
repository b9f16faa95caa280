package analytics

import (
	"math"
	"sort"
	"time"

	"github.com/kefu-io/kefu/central/store"
)

// EventOrderPlaced is the merchant event type that counts as a conversion.
const EventOrderPlaced = "order.placed"

// DefaultConversionWindow is how long after a conversation starts an order
// still counts as its conversion (tenant setting analytics.conversion_window).
const DefaultConversionWindow = store.DefaultConversionWindow

// Summary is GET /v1/analytics/summary: the package doc defines every field.
// Fields that are undefined for the period (no FRT measured, no rating…)
// are null.
type Summary struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Team    string    `json:"team,omitempty"`
	Channel string    `json:"channel,omitempty"`

	Conversations   int `json:"conversations"`
	Messages        int `json:"messages"`
	BrowserAnswers  int `json:"browser_answers"`
	BrowserSessions int `json:"browser_sessions"`
	Deflected       int `json:"deflected"`
	HandedOff       int `json:"handed_off"`
	Closed          int `json:"closed"`
	// DemoConversations counts the synthetic demo history among them.
	DemoConversations int `json:"demo_conversations"`

	DeflectionRate *float64 `json:"deflection_rate"`
	HandoffRate    *float64 `json:"handoff_rate"`
	FRTP50         *float64 `json:"frt_p50_s"`
	FRTP90         *float64 `json:"frt_p90_s"`
	FRTCount       int      `json:"frt_count"`
	AvgResponse    *float64 `json:"avg_response_s"`
	ResolutionP50  *float64 `json:"resolution_p50_s"`
	CSATAvg        *float64 `json:"csat_avg"`
	CSATCount      int      `json:"csat_count"`
	SLABreaches    int      `json:"sla_breaches"`
	// SLAMet is the share of handed-off conversations without a breach.
	SLAMet *float64 `json:"sla_met"`

	AgentHours          float64  `json:"agent_hours"`
	Cost                float64  `json:"cost"`
	CostPerConversation *float64 `json:"cost_per_conversation"`

	Orders         int      `json:"orders"`
	Conversions    int      `json:"conversions"`
	ConversionRate *float64 `json:"conversion_rate"`
	Revenue        float64  `json:"revenue"`
}

// Costs are the tenant's cost settings.
type Costs struct {
	// AgentHour is the cost of one agent hour (cost.agent_hour).
	AgentHour float64
	// InfraMonth is the monthly cost of running the service (cost.infra_month).
	InfraMonth float64
}

// Input is what Summarize aggregates.
type Input struct {
	From, To time.Time
	Stats    []store.ConvStats
	// Hits are the widget's browser answers in [From, To).
	Hits []store.WidgetHit
	// Orders are order.placed events from From up to To + Window.
	Orders []store.MerchantEvent
	Costs  Costs
	// Window is the conversion window; 0 means DefaultConversionWindow.
	Window time.Duration
}

func ptr(v float64) *float64 { return &v }

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	return ptr(float64(a) / float64(b))
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// BrowserSessions groups hits that belong to no conversation of convs by
// visitor, a new session starting after BrowserSessionGap without a hit.
// Hits naming a conversation of convs are returned in byConv.
func BrowserSessions(hits []store.WidgetHit, convs map[string]bool) (sessions int, byConv map[string]int) {
	byConv = map[string]int{}
	last := map[string]time.Time{}
	sorted := make([]store.WidgetHit, len(hits))
	copy(sorted, hits)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].At.Before(sorted[j].At) })
	for _, h := range sorted {
		if h.ConversationID != "" && convs[h.ConversationID] {
			byConv[h.ConversationID]++
			continue
		}
		if t, ok := last[h.Visitor]; !ok || h.At.Sub(t) > BrowserSessionGap {
			sessions++
		}
		last[h.Visitor] = h.At
	}
	return sessions, byConv
}

// Summarize aggregates in (see the package doc for each definition).
func Summarize(in Input) Summary {
	window := in.Window
	if window <= 0 {
		window = DefaultConversionWindow
	}
	s := Summary{From: in.From.UTC(), To: in.To.UTC(), Conversations: len(in.Stats), BrowserAnswers: len(in.Hits)}
	ids := make(map[string]bool, len(in.Stats))
	for _, c := range in.Stats {
		ids[c.ID] = true
	}
	sessions, hitConv := BrowserSessions(in.Hits, ids)
	s.BrowserSessions = sessions
	var frt, resolution []float64
	var avgResp, csat float64
	var avgN int
	var handleMS int64
	for _, c := range in.Stats {
		s.Messages += c.Messages
		if c.Demo {
			s.DemoConversations++
		}
		if c.HandedOff {
			s.HandedOff++
			if c.SLABreached {
				s.SLABreaches++
			}
		}
		if c.Deflected || (!c.HandedOff && hitConv[c.ID] > 0) {
			s.Deflected++
		}
		if !c.ClosedAt.IsZero() {
			s.Closed++
		}
		if c.FirstResponseMS >= 0 {
			frt = append(frt, float64(c.FirstResponseMS)/1000)
		}
		if c.AvgResponseMS >= 0 {
			avgResp += float64(c.AvgResponseMS) / 1000
			avgN++
		}
		if c.ResolutionMS >= 0 {
			resolution = append(resolution, float64(c.ResolutionMS)/1000)
		}
		if c.CSAT > 0 {
			csat += float64(c.CSAT)
			s.CSATCount++
		}
		handleMS += c.HandleMS
	}
	// Browser answers inside a stored conversation are stored messages
	// already (the widget reports them with the question); the others add.
	for _, h := range in.Hits {
		if h.ConversationID == "" || !ids[h.ConversationID] {
			s.Messages++
		}
	}
	s.Deflected += sessions
	s.DeflectionRate = ratio(s.Deflected, s.Conversations+sessions)
	s.HandoffRate = ratio(s.HandedOff, s.Conversations)
	s.SLAMet = ratio(s.HandedOff-s.SLABreaches, s.HandedOff)
	s.FRTCount = len(frt)
	if v, ok := Percentile(frt, 50); ok {
		s.FRTP50 = ptr(v)
	}
	if v, ok := Percentile(frt, 90); ok {
		s.FRTP90 = ptr(v)
	}
	if avgN > 0 {
		s.AvgResponse = ptr(round(avgResp/float64(avgN), 3))
	}
	if v, ok := Percentile(resolution, 50); ok {
		s.ResolutionP50 = ptr(v)
	}
	if s.CSATCount > 0 {
		s.CSATAvg = ptr(round(csat/float64(s.CSATCount), 3))
	}
	hours := float64(handleMS) / float64(time.Hour.Milliseconds())
	s.AgentHours = round(hours, 3)
	months := in.To.Sub(in.From).Hours() / (30 * 24)
	s.Cost = round(hours*in.Costs.AgentHour+months*in.Costs.InfraMonth, 2)
	if s.Conversations > 0 {
		s.CostPerConversation = ptr(round(s.Cost/float64(s.Conversations), 4))
	}
	s.Conversions, s.Orders, s.Revenue = conversions(in.Stats, in.Orders, window, in.From, in.To)
	s.ConversionRate = ratio(s.Conversions, s.Conversations)
	return s
}

// conversions counts the conversations followed by an order of the same
// visitor or contact within window, the orders placed in [from, to) and
// their revenue (amounts summed regardless of currency).
func conversions(stats []store.ConvStats, orders []store.MerchantEvent, window time.Duration, from, to time.Time) (conv, n int, revenue float64) {
	byWho := map[string][]time.Time{}
	for _, o := range orders {
		if o.Type != EventOrderPlaced {
			continue
		}
		if !o.At.Before(from) && o.At.Before(to) {
			n++
			revenue += o.Amount
		}
		if o.Visitor != "" {
			byWho["v:"+o.Visitor] = append(byWho["v:"+o.Visitor], o.At)
		}
		if o.Contact != "" {
			byWho["c:"+o.Contact] = append(byWho["c:"+o.Contact], o.At)
		}
	}
	followed := func(key string, start time.Time) bool {
		for _, at := range byWho[key] {
			if !at.Before(start) && at.Sub(start) <= window {
				return true
			}
		}
		return false
	}
	for _, c := range stats {
		if followed("v:"+c.Visitor, c.CreatedAt) || (c.Contact != "" && followed("c:"+c.Contact, c.CreatedAt)) {
			conv++
		}
	}
	return conv, n, round(revenue, 2)
}

// FromAggregates builds the Summary of [from, to) from database
// aggregates (store.StatsAgg, store.HitsAgg): the same definitions as
// Summarize, computed where the rows are (TestAggregatesMatchSummarize).
func FromAggregates(from, to time.Time, a store.StatsAgg, h store.HitsAgg, costs Costs) Summary {
	s := Summary{From: from.UTC(), To: to.UTC(), Conversations: a.Conversations, Messages: a.Messages + h.Outside, BrowserAnswers: h.Hits,
		BrowserSessions: h.Sessions, Deflected: a.Deflected + h.DeflectedConvs + h.Sessions, HandedOff: a.HandedOff, Closed: a.Closed,
		DemoConversations: a.Demo, SLABreaches: a.SLABreaches, FRTCount: a.FRTCount, CSATCount: a.CSATCount,
		Orders: a.Orders, Conversions: a.Conversions, Revenue: round(a.Revenue, 2)}
	s.DeflectionRate = ratio(s.Deflected, s.Conversations+h.Sessions)
	s.HandoffRate = ratio(s.HandedOff, s.Conversations)
	s.SLAMet = ratio(s.HandedOff-s.SLABreaches, s.HandedOff)
	if a.FRTP50MS >= 0 && a.FRTCount > 0 {
		s.FRTP50, s.FRTP90 = ptr(float64(a.FRTP50MS)/1000), ptr(float64(a.FRTP90MS)/1000)
	}
	if a.AvgRespCount > 0 {
		s.AvgResponse = ptr(round(float64(a.AvgRespSumMS)/1000/float64(a.AvgRespCount), 3))
	}
	if a.ResolutionP50MS >= 0 && a.ResolutionCount > 0 {
		s.ResolutionP50 = ptr(float64(a.ResolutionP50MS) / 1000)
	}
	if a.CSATCount > 0 {
		s.CSATAvg = ptr(round(float64(a.CSATSum)/float64(a.CSATCount), 3))
	}
	hours := float64(a.HandleMS) / float64(time.Hour.Milliseconds())
	s.AgentHours = round(hours, 3)
	months := to.Sub(from).Hours() / (30 * 24)
	s.Cost = round(hours*costs.AgentHour+months*costs.InfraMonth, 2)
	if s.Conversations > 0 {
		s.CostPerConversation = ptr(round(s.Cost/float64(s.Conversations), 4))
	}
	s.ConversionRate = ratio(s.Conversions, s.Conversations)
	return s
}
