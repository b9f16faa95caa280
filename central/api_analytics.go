package central

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Analytics routes (package central/analytics defines every metric):
//
//	GET  /v1/analytics/summary?from=RFC3339&to=RFC3339[&team=&channel=&agent=]
//	GET  /v1/analytics/timeseries?metric=M&interval=hour|day&from=&to=[&team=&channel=&agent=]
//	GET  /v1/analytics/export.csv?from=&to=[&team=&channel=&agent=]
//	GET  /v1/analytics/conversations?from=&to=&metric=M[…] the conversations behind a chart point
//	POST /v1/events   merchant events (API key with scope events:write)
//
// from and to default to the last 7 days; to is exclusive. A range over
// MaxRange is refused.

// MaxRange is the longest period an analytics query may span.
const MaxRange = 400 * 24 * time.Hour

// Tenant setting keys this area reads (registered with the settings
// registry where it exists; see settings_analytics.go).
const (
	SettingCostAgentHour    = "cost.agent_hour"
	SettingCostInfraMonth   = "cost.infra_month"
	SettingConversionWindow = "analytics.conversion_window"
	SettingBusinessHours    = "analytics.business_hours"
)

// SettingsReader reads a tenant's settings: the value set, or the key's
// default. Issue 9's settings registry implements it.
type SettingsReader interface {
	Setting(ctx context.Context, tenant, key string) (string, error)
}

// KeyVerifier checks an API key for a scope and returns its tenant (issue
// 9's API keys implement it). An unknown key or a key without the scope is
// an error.
type KeyVerifier interface {
	VerifyKey(ctx context.Context, key, scope string) (tenant string, err error)
}

// ScopeEventsWrite is the API key scope POST /v1/events needs.
const ScopeEventsWrite = "events:write"

func (s *Service) registerAnalytics(auth fiber.Router) {
	auth.Get("/analytics/summary", s.analyticsSummary)
	auth.Get("/analytics/timeseries", s.analyticsTimeseries)
	auth.Get("/analytics/export.csv", s.analyticsExport)
	auth.Get("/analytics/conversations", s.analyticsConversations)
	auth.Get("/alerts", s.listAlerts)
	auth.Get("/analytics/forecast", s.analyticsForecast)
	s.registerQA(auth)
	auth.Get("/analytics/topics", s.analyticsTopics)
	s.registerProactive(auth) // api_proactive.go
}

// setting returns a tenant setting or "" when there is no settings source
// or the key is unset.
func (s *Service) setting(ctx context.Context, tenant, key string) string {
	if s.cfg.Settings == nil {
		return ""
	}
	v, err := s.cfg.Settings.Setting(ctx, tenant, key)
	if err != nil {
		return ""
	}
	return v
}

func (s *Service) settingFloat(ctx context.Context, tenant, key string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s.setting(ctx, tenant, key)), 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

// rangeQuery is the period and filters of an analytics request.
type rangeQuery struct {
	from, to             time.Time
	team, channel, agent string
}

func parseRange(c *fiber.Ctx, now time.Time) (rangeQuery, error) {
	q := rangeQuery{to: now, from: now.Add(-7 * 24 * time.Hour), team: c.Query("team"), channel: c.Query("channel"), agent: c.Query("agent")}
	if v := c.Query("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return q, fmt.Errorf("from: want RFC 3339 (2026-01-02T15:04:05Z): %q", v)
		}
		q.from = t
	}
	if v := c.Query("to"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return q, fmt.Errorf("to: want RFC 3339 (2026-01-02T15:04:05Z): %q", v)
		}
		q.to = t
	}
	if !q.to.After(q.from) {
		return q, errors.New("to must be after from")
	}
	if q.to.Sub(q.from) > MaxRange {
		return q, fmt.Errorf("range over %d days", int(MaxRange.Hours()/24))
	}
	return q, nil
}

// refreshStats recomputes the ConvStats of the tenant's conversations that
// changed since the watermark. It is idempotent and safe on several
// replicas; a lag of statsLag is recomputed each time so that a change
// committed late with an earlier updated_at is not missed.
func (s *Service) refreshStats(ctx context.Context, tenant string) error {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	wm, err := s.st.StatsWatermark(ctx, tenant)
	if err != nil {
		return err
	}
	since := wm
	if !since.IsZero() {
		since = since.Add(-statsLag)
	}
	opt := analytics.Options{SLA: s.sla(ctx, tenant), Now: time.Now()}
	if h, err := analytics.ParseHours(s.setting(ctx, tenant, SettingBusinessHours)); err == nil {
		opt.Hours = h
	}
	// Ratings arrive after the conversation closed without changing it.
	rated, err := s.st.Ratings(ctx, tenant, since)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for {
		convs, err := s.st.ChangedConversations(ctx, tenant, since, 500)
		if err != nil {
			return err
		}
		out := make([]store.ConvStats, 0, len(convs))
		for _, c := range convs {
			st, err := s.computeStats(ctx, c, opt)
			if err != nil {
				return err
			}
			done[c.ID] = true
			wm = later(wm, c.UpdatedAt)
			if st.Messages == 0 && st.HandoffAt.IsZero() {
				continue // opened by a proactive notice the shopper has not answered (analytics.Compute)
			}
			out = append(out, st)
		}
		if err := s.st.PutConvStats(ctx, out...); err != nil {
			return err
		}
		if len(convs) < 500 || !convs[len(convs)-1].UpdatedAt.After(since) {
			break
		}
		since = convs[len(convs)-1].UpdatedAt
	}
	var out []store.ConvStats
	for id, r := range rated {
		wm = later(wm, r.At)
		if done[id] {
			continue
		}
		c, err := s.st.Conversation(ctx, tenant, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		st, err := s.computeStats(ctx, c, opt)
		if err != nil {
			return err
		}
		out = append(out, st)
	}
	if err := s.st.PutConvStats(ctx, out...); err != nil {
		return err
	}
	return s.st.SetStatsWatermark(ctx, tenant, wm)
}

// statsLag is how far before the watermark refreshStats looks again.
const statsLag = 5 * time.Second

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// computeStats computes one conversation's facts, keeping what other
// writers set on the row (rating, team, tags, attributes, contact, demo).
func (s *Service) computeStats(ctx context.Context, c store.Conversation, opt analytics.Options) (store.ConvStats, error) {
	var msgs []chat.Message
	after := ""
	for {
		page, err := s.st.Messages(ctx, c.Tenant, c.ID, after, 500)
		if err != nil {
			return store.ConvStats{}, err
		}
		msgs = append(msgs, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	st := analytics.Compute(c, msgs, opt)
	if old, err := s.st.ConvStat(ctx, c.Tenant, c.ID); err == nil {
		st.CSAT, st.CSATComment, st.Team, st.Tags, st.Attrs, st.Contact, st.Demo =
			old.CSAT, old.CSATComment, old.Team, old.Tags, old.Attrs, old.Contact, old.Demo
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.ConvStats{}, err
	}
	// The workspace's facts (issue 10): team, tags, page context, rating.
	w, err := s.st.Work(ctx, c.Tenant, c.ID)
	if err != nil {
		return store.ConvStats{}, err
	}
	if w.Team != "" {
		st.Team = w.Team
	}
	if len(w.Tags) > 0 {
		st.Tags = w.Tags
	}
	if len(w.Context) > 0 {
		if b, err := json.Marshal(w.Context); err == nil {
			st.Attrs = string(b)
		}
	}
	if rs, err := s.st.CSATs(ctx, c.Tenant, c.Visitor); err == nil {
		for _, r := range rs {
			if r.ConversationID == c.ID {
				st.CSAT, st.CSATComment = r.Rating, r.Comment
				break
			}
		}
	}
	return st, nil
}

// summaryInput loads what Summarize needs for q.
func (s *Service) summaryInput(ctx context.Context, tenant string, q rangeQuery) (analytics.Input, error) {
	if err := s.refreshStats(ctx, tenant); err != nil {
		return analytics.Input{}, err
	}
	stats, err := s.st.ConvStats(ctx, store.StatsQuery{Tenant: tenant, From: q.from, To: q.to, Team: q.team, Channel: q.channel, Agent: q.agent})
	if err != nil {
		return analytics.Input{}, err
	}
	in := analytics.Input{From: q.from, To: q.to, Stats: stats,
		Costs: analytics.Costs{AgentHour: s.settingFloat(ctx, tenant, SettingCostAgentHour), InfraMonth: s.settingFloat(ctx, tenant, SettingCostInfraMonth)}}
	if d, err := time.ParseDuration(s.setting(ctx, tenant, SettingConversionWindow)); err == nil && d > 0 {
		in.Window = d
	}
	window := in.Window
	if window <= 0 {
		window = analytics.DefaultConversionWindow
	}
	// Browser answers have no team or agent; they count for the web
	// channel and the whole tenant only.
	if q.team == "" && q.agent == "" && (q.channel == "" || q.channel == string(chat.ChannelWeb)) {
		if in.Hits, err = s.st.WidgetHits(ctx, tenant, q.from, q.to); err != nil {
			return analytics.Input{}, err
		}
	}
	if in.Orders, err = s.st.MerchantEvents(ctx, tenant, analytics.EventOrderPlaced, q.from, q.to.Add(window)); err != nil {
		return analytics.Input{}, err
	}
	return in, nil
}

func (s *Service) analyticsSummary(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	tenant := who(c).agent.Tenant
	sum, err := s.summaryAggregated(c.UserContext(), tenant, q)
	if err != nil {
		s.log.Warn("analytics summary", "tenant", tenant, "err", err)
		return storeError(c, err)
	}
	sum.Team, sum.Channel = q.team, q.channel
	return c.JSON(sum)
}

// EventRequest is the body of POST /v1/events: a business event from the
// merchant's backend. type is required ("order.placed", "order.delayed",
// "order.shipped", …: lowercase words and dots); contact or visitor names
// the shopper; at defaults to the time of receipt; id (optional) makes a
// retry harmless.
type EventRequest struct {
	ID       string          `json:"id,omitempty"`
	Type     string          `json:"type"`
	Contact  string          `json:"contact,omitempty"`
	Visitor  string          `json:"visitor,omitempty"`
	OrderID  string          `json:"order_id,omitempty"`
	Amount   float64         `json:"amount,omitempty"`
	Currency string          `json:"currency,omitempty"`
	At       *time.Time      `json:"at,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// EventReply answers POST /v1/events.
type EventReply struct {
	ID     string `json:"id"`
	Stored bool   `json:"stored"`
}

// Limits of POST /v1/events.
const (
	maxEventBody = 16 << 10
	maxEventText = 200
)

// ErrBadEvent wraps every refusal of CheckEvent.
var ErrBadEvent = errors.New("central: bad event")

// CheckEvent validates an event request (now is the default time).
func CheckEvent(r *EventRequest, now time.Time) error {
	if !validEventType(r.Type) {
		return fmt.Errorf("%w: type must be lowercase words joined by dots (order.placed), got %q", ErrBadEvent, r.Type)
	}
	if r.Contact == "" && r.Visitor == "" {
		return fmt.Errorf("%w: contact or visitor is required", ErrBadEvent)
	}
	for name, v := range map[string]string{"contact": r.Contact, "visitor": r.Visitor, "order_id": r.OrderID, "id": r.ID} {
		if len(v) > maxEventText {
			return fmt.Errorf("%w: %s over %d bytes", ErrBadEvent, name, maxEventText)
		}
	}
	if r.ID != "" && !chat.ValidID(r.ID) {
		return fmt.Errorf("%w: id %q: letters, digits, '-' and '_' only", ErrBadEvent, r.ID)
	}
	if r.Amount < 0 || r.Amount != r.Amount || r.Amount > 1e12 {
		return fmt.Errorf("%w: amount must be a non-negative number", ErrBadEvent)
	}
	if r.Currency != "" && (len(r.Currency) != 3 || strings.ToUpper(r.Currency) != r.Currency) {
		return fmt.Errorf("%w: currency must be an ISO 4217 code (CNY, EUR…), got %q", ErrBadEvent, r.Currency)
	}
	if r.At != nil && (r.At.After(now.Add(24*time.Hour)) || r.At.Before(now.AddDate(-2, 0, 0))) {
		return fmt.Errorf("%w: at %s is more than a day ahead or two years back", ErrBadEvent, r.At.Format(time.RFC3339))
	}
	if len(r.Data) > 0 && (r.Data[0] != '{') {
		return fmt.Errorf("%w: data must be a JSON object", ErrBadEvent)
	}
	return nil
}

func validEventType(t string) bool {
	if t == "" || len(t) > 64 || t[0] == '.' || t[len(t)-1] == '.' || strings.Contains(t, "..") {
		return false
	}
	for _, r := range t {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '.' && r != '_' {
			return false
		}
	}
	return true
}

// eventTenant authenticates POST /v1/events: an API key with scope
// events:write (when a KeyVerifier is configured), or an agent's bearer
// token (console tests, kefu dev).
func (s *Service) eventTenant(c *fiber.Ctx) (string, error) {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		if k := c.Get("X-Api-Key"); k != "" {
			token = k
		} else {
			return "", errors.New("missing API key (Authorization: Bearer KEY)")
		}
	}
	ctx := c.UserContext()
	if s.cfg.APIKeys != nil {
		if tenant, err := s.cfg.APIKeys.VerifyKey(ctx, token, ScopeEventsWrite); err == nil {
			return tenant, nil
		}
	}
	if p, err := s.resolve(ctx, token); err == nil {
		return p.agent.Tenant, nil
	}
	return "", errors.New("invalid API key, or the key lacks scope " + ScopeEventsWrite)
}

func (s *Service) postEvent(c *fiber.Ctx) error {
	tenant, err := s.eventTenant(c)
	if err != nil {
		return apiError(c, fiber.StatusUnauthorized, CodeUnauthorized, err.Error())
	}
	if len(c.Body()) > maxEventBody {
		return apiError(c, fiber.StatusRequestEntityTooLarge, CodeBadRequest, fmt.Sprintf("body over %d bytes", maxEventBody))
	}
	var req EventRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	now := time.Now()
	if err := CheckEvent(&req, now); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	e := store.MerchantEvent{Tenant: tenant, ID: req.ID, Type: req.Type, Contact: req.Contact, Visitor: req.Visitor,
		OrderID: req.OrderID, Amount: req.Amount, Currency: req.Currency, At: now, Data: string(req.Data), ReceivedAt: now}
	if req.At != nil {
		e.At = *req.At
	}
	if e.ID == "" {
		e.ID = chat.NewID()
	}
	stored, err := s.st.PutMerchantEvent(c.UserContext(), e)
	if err != nil {
		return storeError(c, err)
	}
	if stored {
		s.merchantEvent(e)
	}
	status := fiber.StatusAccepted
	if !stored {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(EventReply{ID: e.ID, Stored: stored})
}

// merchantEvent hands a newly stored event to what reacts to it (proactive
// notices). Hooks run in their own goroutine.
func (s *Service) merchantEvent(e store.MerchantEvent) {
	for _, h := range s.eventHooks {
		go h(e)
	}
}

// ---- widget hits (browser answers) ----

// subjectHits is where edges forward the widget's local-answer hits
// (edge.SubjectHitsPrefix + tenant; the edge's HitsRecord JSON).
const subjectHits = "kefu.hits."

// hitsRecord decodes the edge's HitsRecord (edge/http.go); a test checks
// the two agree.
type hitsRecord struct {
	Tenant  string `json:"tenant"`
	Region  string `json:"region"`
	Visitor string `json:"visitor"`
	Hits    []struct {
		FAQID          string  `json:"faq_id"`
		Intent         string  `json:"intent"`
		Lang           string  `json:"lang"`
		Score          float64 `json:"score"`
		ConversationID string  `json:"conversation_id"`
		At             int64   `json:"at"`
	} `json:"hits"`
	At time.Time `json:"at"`
}

// onHits stores a batch of browser answers (core NATS, queue group
// "central": one replica stores each batch; the store skips duplicates).
func (s *Service) onHits(m *nats.Msg) {
	var r hitsRecord
	if err := json.Unmarshal(m.Data, &r); err != nil || r.Tenant == "" {
		s.log.Debug("hits: malformed record", "subject", m.Subject)
		return
	}
	if subjectHits+chat.SubjectToken(r.Tenant) != m.Subject || r.Visitor == "" {
		return
	}
	out := make([]store.WidgetHit, 0, len(r.Hits))
	for _, h := range r.Hits {
		if h.FAQID == "" && h.Intent == "" {
			continue
		}
		at := r.At
		if h.At > 0 {
			at = time.UnixMilli(h.At)
		}
		if at.IsZero() || at.After(time.Now().Add(time.Hour)) {
			at = time.Now()
		}
		out = append(out, store.WidgetHit{Tenant: r.Tenant, Visitor: r.Visitor, ConversationID: h.ConversationID, FAQID: h.FAQID,
			Intent: h.Intent, Lang: h.Lang, Region: r.Region, Score: h.Score, At: at})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.st.PutWidgetHits(ctx, out...); err != nil {
		s.log.Warn("hits: store", "tenant", r.Tenant, "err", err)
	}
}

// SeriesReply answers GET /v1/analytics/timeseries.
type SeriesReply struct {
	Metric   string            `json:"metric"`
	Interval string            `json:"interval"`
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
	Points   []analytics.Point `json:"points"`
}

func (s *Service) analyticsTimeseries(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	metric := c.Query("metric", "conversations")
	iv := analytics.Interval(c.Query("interval", "day"))
	if !analytics.ValidMetric(metric) {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "unknown metric "+strconv.Quote(metric)+"; one of "+strings.Join(analytics.Metrics, ", "))
	}
	if iv != analytics.Hour && iv != analytics.Day {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "interval must be hour or day")
	}
	loc := time.UTC
	if tz := c.Query("tz"); tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "unknown time zone "+strconv.Quote(tz))
		}
	}
	tenant := who(c).agent.Tenant
	if analytics.SQLMetrics[metric] {
		// Aggregated per bucket in the database (store/series.go).
		ctx := c.UserContext()
		if err := s.refreshStats(ctx, tenant); err != nil {
			return storeError(c, err)
		}
		starts, clipped, err := analytics.SQLBounds(q.from, q.to, iv, loc)
		if err != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
		}
		aggs, err := s.st.SeriesAggregate(ctx, store.StatsQuery{Tenant: tenant, Team: q.team, Channel: q.channel, Agent: q.agent}, clipped, q.to, metric)
		if err != nil {
			return storeError(c, err)
		}
		pts := make([]analytics.Point, len(starts))
		for i := range starts {
			pts[i] = analytics.Point{T: starts[i].UTC(), V: analytics.BucketValue(metric, aggs[i])}
		}
		return c.JSON(SeriesReply{Metric: metric, Interval: string(iv), From: q.from.UTC(), To: q.to.UTC(), Points: pts})
	}
	starts, clipped, err := analytics.SQLBounds(q.from, q.to, iv, loc)
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	pts, err := s.seriesAggregated(c.UserContext(), tenant, q, metric, starts, clipped)
	if err != nil {
		return storeError(c, err)
	}
	return c.JSON(SeriesReply{Metric: metric, Interval: string(iv), From: q.from.UTC(), To: q.to.UTC(), Points: pts})
}

// seriesAggregated computes metric per bucket as summaryAggregated does
// over the bucket (the database's aggregates, from its hourly rollups):
// the same values as analytics.Series over the rows
// (TestAggregatesMatchSummarize).
func (s *Service) seriesAggregated(ctx context.Context, tenant string, q rangeQuery, metric string, starts, clipped []time.Time) ([]analytics.Point, error) {
	if err := s.refreshStats(ctx, tenant); err != nil {
		return nil, err
	}
	window := s.conversionWindow(ctx, tenant)
	costs := analytics.Costs{AgentHour: s.settingFloat(ctx, tenant, SettingCostAgentHour), InfraMonth: s.settingFloat(ctx, tenant, SettingCostInfraMonth)}
	// Every bucket at once (store: the rollups and the partial hours are read once).
	aggs, err := s.st.AggregateStatsSeries(ctx, store.StatsQuery{Tenant: tenant, Team: q.team, Channel: q.channel, Agent: q.agent}, clipped, q.to, window)
	if err != nil {
		return nil, err
	}
	hits := make([]store.HitsAgg, len(starts))
	if browserAnswersCount(q) {
		if hits, err = s.st.AggregateHitsSeries(ctx, tenant, clipped, q.to, analytics.BrowserSessionGap); err != nil {
			return nil, err
		}
	}
	pts := make([]analytics.Point, len(starts))
	for i := range starts {
		b0, b1 := clipped[i], q.to
		if i+1 < len(starts) {
			b1 = starts[i+1]
		}
		pts[i] = analytics.Point{T: starts[i].UTC(), V: analytics.Value(analytics.FromAggregates(b0, b1, aggs[i], hits[i], costs), metric)}
	}
	return pts, nil
}

// browserAnswersCount: browser answers have no team or agent; they count
// for the web channel and the whole tenant only.
func browserAnswersCount(q rangeQuery) bool {
	return q.team == "" && q.agent == "" && (q.channel == "" || q.channel == string(chat.ChannelWeb))
}

// conversionWindow is the tenant's analytics.conversion_window.
func (s *Service) conversionWindow(ctx context.Context, tenant string) time.Duration {
	if d, err := time.ParseDuration(s.setting(ctx, tenant, SettingConversionWindow)); err == nil && d > 0 {
		return d
	}
	return analytics.DefaultConversionWindow
}

func (s *Service) analyticsExport(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	tenant := who(c).agent.Tenant
	ctx := c.UserContext()
	if err := s.refreshStats(ctx, tenant); err != nil {
		return storeError(c, err)
	}
	stats, err := s.st.ConvStats(ctx, store.StatsQuery{Tenant: tenant, From: q.from, To: q.to, Team: q.team, Channel: q.channel, Agent: q.agent})
	if err != nil {
		return storeError(c, err)
	}
	names := map[string]string{}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if a, err := s.st.Agent(ctx, tenant, id); err == nil && a.Name != "" {
			n = a.Name
		}
		names[id] = n
		return n
	}
	var b strings.Builder
	if err := analytics.WriteCSV(&b, stats, name); err != nil {
		return apiError(c, fiber.StatusInternalServerError, CodeInternal, "csv export failed")
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="kefu-%s-%s.csv"`, q.from.UTC().Format("20060102"), q.to.UTC().Format("20060102")))
	return c.SendString(b.String())
}

// ConvStatsView is one conversation behind a chart (drill-down).
type ConvStatsView struct {
	ID             string    `json:"id"`
	CreatedAt      time.Time `json:"created_at"`
	Channel        string    `json:"channel"`
	Visitor        string    `json:"visitor"`
	Agents         []string  `json:"agents,omitempty"`
	Team           string    `json:"team,omitempty"`
	HandedOff      bool      `json:"handed_off"`
	Deflected      bool      `json:"deflected"`
	Closed         bool      `json:"closed"`
	FirstResponseS *float64  `json:"first_response_s"`
	ResolutionS    *float64  `json:"resolution_s"`
	CSAT           int       `json:"csat,omitempty"`
	SLABreached    bool      `json:"sla_breached"`
	Messages       int       `json:"messages"`
	Intent         string    `json:"intent,omitempty"`
	Demo           bool      `json:"demo,omitempty"`
}

func msSecs(v int64) *float64 {
	if v < 0 {
		return nil
	}
	f := float64(v) / 1000
	return &f
}

// analyticsConversations lists the conversations behind a chart point:
// those of the range and filters that metric counts (analytics.Matches),
// newest first, at most limit (default 200, at most 1000).
func (s *Service) analyticsConversations(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	metric := c.Query("metric", "conversations")
	if !analytics.ValidMetric(metric) {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "unknown metric "+strconv.Quote(metric))
	}
	limit := min(max(c.QueryInt("limit", 200), 1), 1000)
	tenant := who(c).agent.Tenant
	ctx := c.UserContext()
	if err := s.refreshStats(ctx, tenant); err != nil {
		return storeError(c, err)
	}
	stats, err := s.st.ConvStats(ctx, store.StatsQuery{Tenant: tenant, From: q.from, To: q.to, Team: q.team, Channel: q.channel, Agent: q.agent})
	if err != nil {
		return storeError(c, err)
	}
	out := []ConvStatsView{}
	for i := len(stats) - 1; i >= 0 && len(out) < limit; i-- {
		st := stats[i]
		if !analytics.Matches(st, metric) {
			continue
		}
		out = append(out, ConvStatsView{ID: st.ID, CreatedAt: st.CreatedAt, Channel: st.Channel, Visitor: st.Visitor, Agents: st.Agents,
			Team: st.Team, HandedOff: st.HandedOff, Deflected: st.Deflected, Closed: !st.ClosedAt.IsZero(),
			FirstResponseS: msSecs(st.FirstResponseMS), ResolutionS: msSecs(st.ResolutionMS), CSAT: st.CSAT, SLABreached: st.SLABreached,
			Messages: st.Messages, Intent: st.Intent, Demo: st.Demo})
	}
	return c.JSON(out)
}

// summaryAggregated computes the summary from aggregates the database
// makes (analytics.FromAggregates): the same definitions as
// analytics.Summarize over summaryInput, without moving the rows.
func (s *Service) summaryAggregated(ctx context.Context, tenant string, q rangeQuery) (analytics.Summary, error) {
	if err := s.refreshStats(ctx, tenant); err != nil {
		return analytics.Summary{}, err
	}
	window := s.conversionWindow(ctx, tenant)
	agg, err := s.st.AggregateStats(ctx, store.StatsQuery{Tenant: tenant, From: q.from, To: q.to, Team: q.team, Channel: q.channel, Agent: q.agent}, window)
	if err != nil {
		return analytics.Summary{}, err
	}
	var hits store.HitsAgg
	if browserAnswersCount(q) {
		if hits, err = s.st.AggregateHits(ctx, tenant, q.from, q.to, analytics.BrowserSessionGap); err != nil {
			return analytics.Summary{}, err
		}
	}
	costs := analytics.Costs{AgentHour: s.settingFloat(ctx, tenant, SettingCostAgentHour), InfraMonth: s.settingFloat(ctx, tenant, SettingCostInfraMonth)}
	return analytics.FromAggregates(q.from, q.to, agg, hits, costs), nil
}
