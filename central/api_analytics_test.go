package central

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/edge"
	"github.com/kefu-io/kefu/internal/poll"
)

// mapSettings is a SettingsReader over a map (tenant/key → value).
type mapSettings struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *mapSettings) Setting(_ context.Context, tenant, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[tenant+"/"+key], nil
}

func (s *mapSettings) set(tenant, key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[tenant+"/"+key] = value
}

// keys is a KeyVerifier with one key per tenant and scope list.
type keys map[string]struct {
	tenant string
	scopes []string
}

func (k keys) VerifyKey(_ context.Context, key, scope string) (string, error) {
	e, ok := k[key]
	if !ok {
		return "", errors.New("unknown key")
	}
	for _, s := range e.scopes {
		if s == scope {
			return e.tenant, nil
		}
	}
	return "", errors.New("scope missing")
}

func analyticsService(t *testing.T) (*env, *Service, *apiClient, *mapSettings) {
	e := newEnv(t)
	cfg := e.config()
	cfg.NoShippedModels = true
	set := &mapSettings{}
	cfg.Settings = set
	cfg.APIKeys = keys{"key-events": {"demo", []string{ScopeEventsWrite}}, "key-read": {"demo", []string{"conversations:read"}}}
	s := e.start(cfg)
	return e, s, newApp(t, s), set
}

func rangeQS(from, to time.Time, extra ...string) string {
	v := url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v.Encode()
}

// TestAnalyticsSummaryKnownAnswers builds conversations through the store
// with chosen times and reads the summary over REST: a handoff at 10:00:00
// and a first agent reply at 10:00:04 is an FRT of 4 s.
func TestAnalyticsSummaryKnownAnswers(t *testing.T) {
	_, s, api, set := analyticsService(t)
	st := s.Store()
	set.set("demo", SettingCostAgentHour, "36")
	set.set("demo", SettingCostInfraMonth, "0")
	tok := api.login("demo", demoEmail, demoPassword)
	agent, err := st.AgentByEmail(bg, "demo", demoEmail)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Hour)
	ten := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

	// A: handed off at 10:00:00, answered at 10:00:04, closed; an order follows.
	a := mustSave(t, st, "demo", "v-a", "where is my parcel", ten.Add(-5*time.Second))
	if _, _, err := st.Handoff(bg, "demo", a.ID, 1, "asked", ten); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Claim(bg, "demo", a.ID, agent.ID, ten.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.SaveReply(bg, "demo", chat.Message{ID: chat.NewID(), ConversationID: a.ID, Role: chat.RoleAgent,
		Text: "Let me check", Author: agent.Name, At: ten.Add(4 * time.Second)}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseConversation(bg, "demo", a.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// B: answered by the bot only.
	b := mustSave(t, st, "demo", "v-b", "return policy?", ten)
	if _, _, err := st.SaveReply(bg, "demo", chat.Message{ID: chat.NewID(), ConversationID: b.ID, Role: chat.RoleBot,
		Text: "30 days", Intent: "return_policy", At: ten.Add(time.Second)}, false); err != nil {
		t.Fatal(err)
	}
	// The merchant reports an order of A's shopper (API key with events:write).
	code := api.do("POST", "/v1/events", "key-events", map[string]any{"type": "order.placed", "visitor": "v-a", "amount": 99.5,
		"currency": "CNY", "at": time.Now().Add(time.Minute)}, nil)
	if code != 202 {
		t.Fatalf("event: %d", code)
	}

	var sum analytics.Summary
	if code := api.do("GET", "/v1/analytics/summary?"+rangeQS(from, time.Now().Add(time.Hour)), tok, nil, &sum); code != 200 {
		t.Fatalf("summary: %d", code)
	}
	if sum.Conversations != 2 || sum.Messages != 4 || sum.HandedOff != 1 || sum.Deflected != 1 {
		t.Fatalf("counts: %+v", sum)
	}
	if sum.FRTP50 == nil || *sum.FRTP50 != 4 || *sum.FRTP90 != 4 {
		t.Fatalf("FRT: %v %v", sum.FRTP50, sum.FRTP90)
	}
	if *sum.HandoffRate != 0.5 || *sum.DeflectionRate != 0.5 || *sum.ConversionRate != 0.5 || sum.Orders != 1 {
		t.Fatalf("rates: %+v", sum)
	}
	// One agent reply: handle time is the 60 s wrap-up, 36/h → 0.6, over
	// two conversations: 0.3.
	if sum.CostPerConversation == nil || *sum.CostPerConversation != 0.3 {
		t.Fatalf("cost per conversation: %v (agent hours %v)", sum.CostPerConversation, sum.AgentHours)
	}
	if sum.ResolutionP50 == nil || sum.CSATAvg != nil || sum.CSATCount != 0 {
		t.Fatalf("resolution/csat: %+v", sum)
	}

	// Filters: channel app has nothing.
	if code := api.do("GET", "/v1/analytics/summary?"+rangeQS(from, time.Now().Add(time.Hour), "channel", "app"), tok, nil, &sum); code != 200 || sum.Conversations != 0 {
		t.Fatalf("channel filter: %d %+v", code, sum)
	}
	// Bad ranges.
	for _, qs := range []string{"from=yesterday", "from=2026-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"} {
		var e apiErr
		if code := api.do("GET", "/v1/analytics/summary?"+qs, tok, nil, &e); code != 400 || e.Error == "" {
			t.Errorf("%s: %d %+v", qs, code, e)
		}
	}
	if code := api.do("GET", "/v1/analytics/summary", "", nil, nil); code != 401 {
		t.Errorf("no token: %d", code)
	}

	// Time series and drill-down.
	var series SeriesReply
	if code := api.do("GET", "/v1/analytics/timeseries?"+rangeQS(from, time.Now().Add(time.Hour), "metric", "frt_p50_s", "interval", "hour"), tok, nil, &series); code != 200 {
		t.Fatalf("series: %d", code)
	}
	found := false
	for _, p := range series.Points {
		if p.V != nil && *p.V == 4 {
			found = true
		}
	}
	if !found || len(series.Points) < 2 {
		t.Fatalf("series: %+v", series)
	}
	var e apiErr
	if code := api.do("GET", "/v1/analytics/timeseries?metric=nope", tok, nil, &e); code != 400 || !strings.Contains(e.Error, "frt_p50_s") {
		t.Fatalf("bad metric: %d %+v", code, e)
	}
	if code := api.do("GET", "/v1/analytics/timeseries?interval=week", tok, nil, &e); code != 400 {
		t.Fatalf("bad interval: %d", code)
	}
	var drill []ConvStatsView
	if code := api.do("GET", "/v1/analytics/conversations?"+rangeQS(from, time.Now().Add(time.Hour), "metric", "frt_p50_s"), tok, nil, &drill); code != 200 || len(drill) != 1 || drill[0].ID != a.ID {
		t.Fatalf("drill-down: %d %+v", code, drill)
	}

	// CSV export: one row per conversation.
	req := httptest.NewRequest("GET", "/v1/analytics/export.csv?"+rangeQS(from, time.Now().Add(time.Hour)), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := api.app.Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || res.StatusCode != 200 || len(rows) != 3 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %v %q", res.StatusCode, err, body)
	}
	if rows[1][0] != a.ID || rows[1][12] != "4" || rows[1][5] != agent.Name {
		t.Fatalf("csv row: %v", rows[1])
	}
}

func mustSave(t *testing.T, st store.Store, tenant, visitor, text string, at time.Time) store.Conversation {
	t.Helper()
	c, _, _, err := st.SaveInbound(bg, store.Inbound{Tenant: tenant, Visitor: visitor, Channel: chat.ChannelWeb, Region: "eu",
		Message: chat.Message{ID: chat.NewID(), Role: chat.RoleShopper, Text: text, Lang: "en", At: at}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAnalyticsLiveFlow goes through NATS: a handoff and an agent reply
// over REST appear in the summary (the stats refresh on change).
func TestAnalyticsLiveFlow(t *testing.T) {
	e, _, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	conv := queued(t, e, "v-live")
	if code := api.do("POST", "/v1/conversations/"+conv+"/messages", tok, ReplyRequest{Text: "Hello, how can I help?"}, nil); code != 201 {
		t.Fatalf("reply: %d", code)
	}
	var sum analytics.Summary
	if code := api.do("GET", "/v1/analytics/summary", tok, nil, &sum); code != 200 {
		t.Fatalf("summary: %d", code)
	}
	if sum.Conversations != 1 || sum.HandedOff != 1 || sum.FRTCount != 1 || *sum.FRTP50 < 0 || *sum.FRTP50 > 30 {
		t.Fatalf("summary: %+v", sum)
	}
}

// TestBrowserAnswersCount publishes the edge's HitsRecord (edge.HitsRecord,
// the type the edge sends) and sees them in the deflection rate.
func TestBrowserAnswersCount(t *testing.T) {
	e, _, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	now := time.Now()
	rec := edge.HitsRecord{V: 1, Type: "widget.hits", Tenant: "demo", Region: "eu", Site: "s", Visitor: "v-browser", At: now,
		Hits: []edge.Hit{{FAQID: "return_policy", Lang: "en", Score: 0.9, At: now.UnixMilli()}, {Intent: "shipping", At: now.Add(-time.Minute).UnixMilli()}}}
	data, _ := json.Marshal(rec)
	for range 2 { // at most once on NATS, but a duplicate is harmless
		if err := e.nc.Publish(edge.SubjectHitsPrefix+"demo", data); err != nil {
			t.Fatal(err)
		}
	}
	// A record whose tenant does not match its subject is ignored.
	_ = e.nc.Publish(edge.SubjectHitsPrefix+"other", data)
	var sum analytics.Summary
	poll.Until(t, 10*time.Second, func() error {
		if code := api.do("GET", "/v1/analytics/summary", tok, nil, &sum); code != 200 {
			return fmt.Errorf("summary %d", code)
		}
		if sum.BrowserAnswers != 2 {
			return fmt.Errorf("browser answers %d", sum.BrowserAnswers)
		}
		return nil
	})
	if sum.BrowserSessions != 1 || sum.Deflected != 1 || sum.DeflectionRate == nil || *sum.DeflectionRate != 1 {
		t.Fatalf("summary: %+v", sum)
	}
}

func TestPostEventBadInput(t *testing.T) {
	_, s, api, _ := analyticsService(t)
	ok := map[string]any{"type": "order.delayed", "contact": "c-1", "order_id": "O-1", "id": "evt-1"}
	if code := api.do("POST", "/v1/events", "", ok, nil); code != 401 {
		t.Errorf("no key: %d", code)
	}
	if code := api.do("POST", "/v1/events", "key-read", ok, nil); code != 401 {
		t.Errorf("key without events:write: %d", code)
	}
	if code := api.do("POST", "/v1/events", "nope", ok, nil); code != 401 {
		t.Errorf("unknown key: %d", code)
	}
	bad := []any{
		"{", "", map[string]any{"contact": "c"}, map[string]any{"type": "Order Placed", "contact": "c"},
		map[string]any{"type": "order.placed"}, map[string]any{"type": "order.placed", "visitor": "v", "amount": -1},
		map[string]any{"type": "order.placed", "visitor": "v", "currency": "yuan"},
		map[string]any{"type": "order.placed", "visitor": "v", "at": "2001-01-01T00:00:00Z"},
		map[string]any{"type": "order.placed", "visitor": "v", "data": []int{1}},
		map[string]any{"type": "order.placed", "visitor": strings.Repeat("v", 300)},
		map[string]any{"type": "order.placed", "visitor": "v", "id": "bad id!"},
	}
	for _, b := range bad {
		var e apiErr
		if code := api.do("POST", "/v1/events", "key-events", b, &e); code != 400 || e.Error == "" {
			t.Errorf("%v: %d %+v", b, code, e)
		}
	}
	var r EventReply
	if code := api.do("POST", "/v1/events", "key-events", ok, &r); code != 202 || !r.Stored || r.ID != "evt-1" {
		t.Fatalf("first: %d %+v", code, r)
	}
	if code := api.do("POST", "/v1/events", "key-events", ok, &r); code != 200 || r.Stored {
		t.Fatalf("retry: %d %+v", code, r)
	}
	evs, err := s.Store().MerchantEvents(bg, "demo", "order.delayed", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(evs) != 1 || evs[0].Contact != "c-1" || evs[0].OrderID != "O-1" {
		t.Fatalf("stored: %+v %v", evs, err)
	}
}

func FuzzCheckEvent(f *testing.F) {
	f.Add([]byte(`{"type":"order.placed","visitor":"v","amount":1,"currency":"CNY"}`))
	f.Add([]byte(`{"type":"..","contact":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r EventRequest
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if CheckEvent(&r, time.Now()) == nil && (!validEventType(r.Type) || (r.Contact == "" && r.Visitor == "") || r.Amount < 0) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// TestRegistryWiring uses issue 9's pieces: a real API key with scope
// events:write (and one without), and cost settings set through the admin
// service and its registry.
func TestRegistryWiring(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.NoShippedModels = true
	s := e.start(cfg)
	api := newApp(t, s)
	adm := admin.New(s.Store(), 4)
	key, _, err := adm.CreateAPIKey(bg, "test", "demo", "shop backend", []string{ScopeEventsWrite}, nil)
	if err != nil {
		t.Fatal(err)
	}
	readKey, _, err := adm.CreateAPIKey(bg, "test", "demo", "reader", []string{"analytics:read"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := adm.SetSettings(bg, "test", "demo", map[string]string{SettingCostInfraMonth: "300", SettingAlertDingTalk: "http://127.0.0.1:1/robot/send"}, nil); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{SettingCostAgentHour: "-1", SettingAlertWeCom: "http://example.com/x", SettingAlertEmail: "not mail",
		SettingBusinessHours: "Mon 9-5", SettingAlertAnger: "2"} {
		if _, err := adm.SetSettings(bg, "test", "demo", map[string]string{k: v}, nil); err == nil {
			t.Errorf("%s=%q accepted", k, v)
		}
	}
	ev := map[string]any{"type": "order.placed", "visitor": "v", "amount": 10}
	if code := api.do("POST", "/v1/events", key, ev, nil); code != 202 {
		t.Fatalf("events:write key: %d", code)
	}
	if code := api.do("POST", "/v1/events", readKey, ev, nil); code != 401 {
		t.Fatalf("key without the scope: %d", code)
	}
	tok := api.login("demo", demoEmail, demoPassword)
	mustSave(t, s.Store(), "demo", "v", "hi", time.Now())
	var sum analytics.Summary
	from := time.Now().Add(-15 * 24 * time.Hour)
	if code := api.do("GET", "/v1/analytics/summary?"+rangeQS(from, from.Add(30*24*time.Hour)), tok, nil, &sum); code != 200 {
		t.Fatal(code)
	}
	// 30 days of a 300/month service for one conversation.
	if sum.Conversations != 1 || sum.CostPerConversation == nil || *sum.CostPerConversation != 300 || sum.Orders != 1 {
		t.Fatalf("summary %+v", sum)
	}
}

func TestForecastBadInput(t *testing.T) {
	_, _, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	for _, qs := range []string{"days=0", "days=29", "level=1.5", "within=forever", "shrinkage=0.95"} {
		var e apiErr
		if code := api.do("GET", "/v1/analytics/forecast?"+qs, tok, nil, &e); code != 400 || e.Error == "" {
			t.Errorf("%s: %d %+v", qs, code, e)
		}
	}
	var e apiErr
	if code := api.do("GET", "/v1/analytics/forecast?days=7", tok, nil, &e); code != 409 || e.Code != "not_enough_history" {
		t.Errorf("empty history: %d %+v", code, e)
	}
}

// TestWorkspaceFactsReachReports: a rating given after the close (issue
// 10's PutCSAT), the conversation's team and tags show in the summary,
// the team filter and the CSV.
func TestWorkspaceFactsReachReports(t *testing.T) {
	_, s, api, _ := analyticsService(t)
	st := s.Store()
	tok := api.login("demo", demoEmail, demoPassword)
	c := mustSave(t, st, "demo", "v-rated", "hello", time.Now())
	if _, err := st.Transfer(bg, "demo", c.ID, "billing", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseConversation(bg, "demo", c.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	from := time.Now().Add(-time.Hour)
	var sum analytics.Summary
	api.do("GET", "/v1/analytics/summary?"+rangeQS(from, time.Now().Add(time.Hour)), tok, nil, &sum) // facts computed before the rating
	if sum.CSATCount != 0 {
		t.Fatalf("rating before it was given: %+v", sum)
	}
	if err := st.PutCSAT(bg, "demo", c.ID, "v-rated", chat.CSAT{Rating: 4, Comment: "fine"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.SetTags(bg, "demo", c.ID, []string{"refund"}); err != nil {
		t.Fatal(err)
	}
	if code := api.do("GET", "/v1/analytics/summary?"+rangeQS(from, time.Now().Add(time.Hour), "team", "billing"), tok, nil, &sum); code != 200 {
		t.Fatal(code)
	}
	if sum.Conversations != 1 || sum.CSATCount != 1 || sum.CSATAvg == nil || *sum.CSATAvg != 4 {
		t.Fatalf("summary of team billing: %+v", sum)
	}
	got, err := st.ConvStat(bg, "demo", c.ID)
	if err != nil || got.Team != "billing" || len(got.Tags) != 1 || got.CSATComment != "fine" {
		t.Fatalf("facts %+v %v", got, err)
	}
}

// TestAggregatesMatchSummarize: the summary and the time series the
// database aggregates (from its hourly rollups and the rows at the ends)
// equal analytics.Summarize and Series over the rows, on demo history (SQLite).
func TestAggregatesMatchSummarize(t *testing.T) {
	_, s, _, _ := analyticsService(t)
	end := time.Now()
	if _, _, err := s.SeedDemo(bg, demoOpts(end)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []rangeQuery{{from: end.Add(-3 * 24 * time.Hour), to: end}, {from: end.Add(-6 * 24 * time.Hour), to: end, channel: "wechat"},
		{from: end.Add(-24 * time.Hour), to: end, channel: "web"}} {
		in, err := s.summaryInput(bg, "demo", q)
		if err != nil {
			t.Fatal(err)
		}
		want := analytics.Summarize(in)
		got, err := s.summaryAggregated(bg, "demo", q)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if string(a) != string(b) {
			t.Errorf("%+v:\n aggregated %s\n summarized %s", q, a, b)
		}
		// Time series of the metrics that need browser answers or orders:
		// one aggregate per bucket (seriesAggregated) equals Series.
		for _, iv := range []analytics.Interval{analytics.Day, analytics.Hour} {
			starts, clipped, err := analytics.SQLBounds(q.from, q.to, iv, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range analytics.Metrics {
				if analytics.SQLMetrics[m] {
					continue
				}
				got, err := s.seriesAggregated(bg, "demo", q, m, starts, clipped)
				if err != nil {
					t.Fatal(err)
				}
				want, err := analytics.Series(in, m, iv, time.UTC)
				if err != nil {
					t.Fatal(err)
				}
				a, _ := json.Marshal(got)
				b, _ := json.Marshal(want)
				if string(a) != string(b) {
					t.Fatalf("%s by %s %+v:\n aggregated %s\n summarized %s", m, iv, q, a, b)
				}
			}
		}
	}
}
