package analytics

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) // a Monday

func at(s string) time.Time {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return t0.Add(d)
}

func m(role chat.Role, when string, opts ...func(*chat.Message)) chat.Message {
	msg := chat.Message{ID: chat.NewID(), Role: role, Text: "x", At: at(when)}
	for _, o := range opts {
		o(&msg)
	}
	return msg
}

func author(a string) func(*chat.Message) { return func(m *chat.Message) { m.Author = a } }
func intent(i string) func(*chat.Message) { return func(m *chat.Message) { m.Intent = i } }
func anger(v float64) func(*chat.Message) { return func(m *chat.Message) { m.Anger = v } }

func conv(status store.Status, created, updated string) store.Conversation {
	return store.Conversation{Tenant: "t", ID: chat.NewID(), Visitor: "v1", Channel: chat.ChannelWeb, Status: status,
		CreatedAt: at(created), UpdatedAt: at(updated)}
}

// TestComputeKnownAnswers checks each per-conversation fact on hand-made
// conversations whose answers are worked out by hand.
func TestComputeKnownAnswers(t *testing.T) {
	noon := t0.Add(2 * time.Hour)
	tests := []struct {
		name  string
		c     store.Conversation
		msgs  []chat.Message
		opt   Options
		check func(t *testing.T, s store.ConvStats)
	}{
		{
			name: "handoff 10:00:00, first agent reply 10:00:04: FRT 4 s",
			c:    conv(store.StatusClosed, "-10s", "5m"),
			msgs: []chat.Message{
				m(chat.RoleShopper, "-10s", intent("order_status")),
				m(chat.RoleBot, "-9s", intent("fallback")),
				m(chat.RoleShopper, "-1s", anger(0.8)),
				m(chat.RoleSystem, "0s", author("router")),
				m(chat.RoleAgent, "4s"),
				m(chat.RoleShopper, "30s"),
				m(chat.RoleShopper, "35s"),
				m(chat.RoleAgent, "40s"),
			},
			opt: Options{SLA: 30 * time.Second, Now: noon},
			check: func(t *testing.T, s store.ConvStats) {
				eq(t, "frt ms", s.FirstResponseMS, 4000)
				// Waits: 0s→4s (4 s) and 30s→40s (10 s): mean 7 s.
				eq(t, "avg response ms", s.AvgResponseMS, 7000)
				eq(t, "resolution ms", s.ResolutionMS, 310_000) // -10s → 5m
				eq(t, "handle ms", s.HandleMS, (36*time.Second).Milliseconds()+HandleWrapUp.Milliseconds())
				eq(t, "messages", s.Messages, 7) // the system note is not counted
				eq(t, "handed off", s.HandedOff, true)
				eq(t, "deflected", s.Deflected, false)
				eq(t, "sla breached", s.SLABreached, false)
				eq(t, "intent", s.Intent, "order_status")
				eq(t, "max anger", s.MaxAnger, 0.8)
			},
		},
		{
			name: "answered by the bot only: deflected, no FRT",
			c:    conv(store.StatusBot, "0s", "1m"),
			msgs: []chat.Message{m(chat.RoleShopper, "0s"), m(chat.RoleBot, "1s", intent("return_policy"))},
			check: func(t *testing.T, s store.ConvStats) {
				eq(t, "deflected", s.Deflected, true)
				eq(t, "handed off", s.HandedOff, false)
				eq(t, "frt", s.FirstResponseMS, -1)
				eq(t, "avg", s.AvgResponseMS, -1)
				eq(t, "resolution", s.ResolutionMS, -1)
			},
		},
		{
			name: "only the bot's fallback: not deflected",
			c:    conv(store.StatusBot, "0s", "1m"),
			msgs: []chat.Message{m(chat.RoleShopper, "0s"), m(chat.RoleBot, "1s", intent("fallback"))},
			check: func(t *testing.T, s store.ConvStats) {
				eq(t, "deflected", s.Deflected, false)
			},
		},
		{
			name: "queued 2 min without a reply, SLA 1 min: breached; handoff from the queue time",
			c: func() store.Conversation {
				c := conv(store.StatusQueued, "0s", "0s")
				c.QueuedAt = at("0s")
				return c
			}(),
			msgs: []chat.Message{m(chat.RoleShopper, "0s")},
			opt:  Options{SLA: time.Minute, Now: at("2m")},
			check: func(t *testing.T, s store.ConvStats) {
				eq(t, "breached", s.SLABreached, true)
				eq(t, "handed off", s.HandedOff, true)
				eq(t, "handoff at", s.HandoffAt, at("0s"))
			},
		},
		{
			name: "reply after the SLA: breached",
			c:    conv(store.StatusAssigned, "0s", "2m"),
			msgs: []chat.Message{m(chat.RoleShopper, "0s"), m(chat.RoleSystem, "1s", author("router")), m(chat.RoleAgent, "92s")},
			opt:  Options{SLA: 90 * time.Second},
			check: func(t *testing.T, s store.ConvStats) {
				eq(t, "frt", s.FirstResponseMS, 91_000)
				eq(t, "breached", s.SLABreached, true)
			},
		},
		{
			name: "business hours: handoff 17:59 Mon, reply 09:01 Tue counts 2 minutes",
			c:    conv(store.StatusAssigned, "7h58m", "24h"),
			msgs: []chat.Message{m(chat.RoleSystem, "7h59m", author("router")), m(chat.RoleAgent, "23h01m")},
			opt:  Options{Hours: mustHours(t, "Mon-Fri 09:00-18:00")},
			check: func(t *testing.T, s store.ConvStats) {
				eq(t, "frt", s.FirstResponseMS, 120_000)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, Compute(tc.c, tc.msgs, tc.opt)) })
	}
}

func mustHours(t *testing.T, spec string) *BusinessHours {
	t.Helper()
	h, err := ParseHours(spec)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	tests := []struct {
		values []float64
		p      float64
		want   float64
	}{
		{[]float64{4}, 50, 4},
		{[]float64{1, 2, 3, 4}, 50, 2},
		{[]float64{4, 3, 2, 1}, 90, 4},
		{[]float64{15, 20, 35, 40, 50}, 30, 20}, // Wikipedia's worked example
		{[]float64{15, 20, 35, 40, 50}, 40, 20},
		{[]float64{15, 20, 35, 40, 50}, 50, 35},
		{[]float64{15, 20, 35, 40, 50}, 100, 50},
	}
	for _, tc := range tests {
		got, ok := Percentile(tc.values, tc.p)
		if !ok || got != tc.want {
			t.Errorf("P%v(%v) = %v, want %v", tc.p, tc.values, got, tc.want)
		}
	}
	if _, ok := Percentile(nil, 50); ok {
		t.Error("empty percentile ok")
	}
}

// TestSummarizeKnownAnswers aggregates four hand-made conversations, a
// browser session and two orders.
func TestSummarizeKnownAnswers(t *testing.T) {
	st := func(id string, f func(*store.ConvStats)) store.ConvStats {
		s := store.ConvStats{ID: id, Visitor: "v-" + id, CreatedAt: t0, FirstResponseMS: -1, AvgResponseMS: -1, ResolutionMS: -1, Messages: 2}
		f(&s)
		return s
	}
	in := Input{
		From: t0.Add(-time.Hour), To: t0.Add(29*24*time.Hour - time.Hour), // 29 days
		Stats: []store.ConvStats{
			st("a", func(s *store.ConvStats) { s.Deflected = true }),
			st("b", func(s *store.ConvStats) {
				s.HandedOff, s.FirstResponseMS, s.ResolutionMS, s.CSAT, s.HandleMS = true, 4000, 600_000, 5, 3_600_000
			}),
			st("c", func(s *store.ConvStats) {
				s.HandedOff, s.FirstResponseMS, s.ResolutionMS, s.CSAT, s.SLABreached, s.HandleMS = true, 10_000, 1_200_000, 4, true, 1_800_000
			}),
			st("d", func(s *store.ConvStats) {}), // bot fallback only, but the browser answered in it
		},
		Hits: []store.WidgetHit{
			{Visitor: "v-d", ConversationID: "d", FAQID: "f", At: t0},
			{Visitor: "x", FAQID: "f", At: t0},                         // session 1
			{Visitor: "x", FAQID: "f", At: t0.Add(10 * time.Minute)},   // same session
			{Visitor: "x", FAQID: "f", At: t0.Add(2 * time.Hour)},      // session 2
			{Visitor: "y", ConversationID: "gone", FAQID: "f", At: t0}, // unknown conversation: session 3
		},
		Orders: []store.MerchantEvent{
			{Type: EventOrderPlaced, Visitor: "v-b", At: t0.Add(time.Hour), Amount: 100},
			{Type: EventOrderPlaced, Visitor: "v-c", At: t0.Add(4 * 24 * time.Hour), Amount: 50}, // outside 72 h
			{Type: "order.delayed", Visitor: "v-a", At: t0.Add(time.Hour)},
		},
		Costs: Costs{AgentHour: 20, InfraMonth: 300},
	}
	s := Summarize(in)
	eq(t, "conversations", s.Conversations, 4)
	eq(t, "messages", s.Messages, 8+4) // the hit inside conversation d is one of its messages
	eq(t, "browser sessions", s.BrowserSessions, 3)
	// Deflected: a, d (browser answer) + 3 sessions = 5 of 4 + 3 contacts.
	eq(t, "deflected", s.Deflected, 5)
	eq(t, "deflection", *s.DeflectionRate, 5.0/7)
	eq(t, "handoff", *s.HandoffRate, 0.5)
	eq(t, "frt p50", *s.FRTP50, 4.0)
	eq(t, "frt p90", *s.FRTP90, 10.0)
	eq(t, "resolution p50", *s.ResolutionP50, 600.0)
	eq(t, "csat avg", *s.CSATAvg, 4.5)
	eq(t, "csat count", s.CSATCount, 2)
	eq(t, "sla breaches", s.SLABreaches, 1)
	eq(t, "sla met", *s.SLAMet, 0.5)
	eq(t, "agent hours", s.AgentHours, 1.5)
	// 1.5 h × 20 + 29/30 × 300 = 30 + 290 = 320; / 4 = 80.
	eq(t, "cost", s.Cost, 320.0)
	eq(t, "cost per conversation", *s.CostPerConversation, 80.0)
	eq(t, "orders", s.Orders, 2)
	eq(t, "conversions", s.Conversions, 1)
	eq(t, "conversion", *s.ConversionRate, 0.25)

	empty := Summarize(Input{From: t0, To: t0.Add(time.Hour)})
	if empty.FRTP50 != nil || empty.DeflectionRate != nil || empty.CostPerConversation != nil || empty.CSATAvg != nil {
		t.Errorf("undefined metrics of an empty period should be null: %+v", empty)
	}
}

func TestSeries(t *testing.T) {
	in := Input{From: t0, To: t0.Add(3 * time.Hour), Stats: []store.ConvStats{
		{ID: "a", CreatedAt: t0.Add(10 * time.Minute), FirstResponseMS: 2000, HandedOff: true},
		{ID: "b", CreatedAt: t0.Add(20 * time.Minute), FirstResponseMS: 6000, HandedOff: true},
		{ID: "c", CreatedAt: t0.Add(2*time.Hour + time.Minute), FirstResponseMS: -1, Deflected: true},
	}}
	pts, err := Series(in, "conversations", Hour, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 3 || *pts[0].V != 2 || *pts[1].V != 0 || *pts[2].V != 1 || !pts[1].T.Equal(t0.Add(time.Hour)) {
		t.Fatalf("conversations per hour: %+v", pts)
	}
	pts, err = Series(in, "frt_p90_s", Hour, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if *pts[0].V != 6 || pts[1].V != nil || pts[2].V != nil {
		t.Fatalf("frt p90 per hour: %v %v %v", pts[0].V, pts[1].V, pts[2].V)
	}
	if _, err := Series(in, "nope", Hour, nil); err == nil {
		t.Error("unknown metric accepted")
	}
	if _, err := Series(in, "conversations", "week", nil); err == nil {
		t.Error("unknown interval accepted")
	}
	days, err := Buckets(t0, t0.Add(72*time.Hour), Day, time.UTC)
	if err != nil || len(days) != 4 || !days[0].Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("day buckets: %v %v", days, err)
	}
}

func TestWriteCSV(t *testing.T) {
	stats := []store.ConvStats{{ID: "c1", CreatedAt: t0, Channel: "web", Visitor: "v", Agents: []string{"a1"}, Tags: []string{"vip", "refund"},
		FirstResponseMS: 4000, AvgResponseMS: 7000, ResolutionMS: -1, CSAT: 5, CSATComment: "=HYPERLINK(\"x\")", ClosedAt: t0.Add(time.Hour)}}
	var b bytes.Buffer
	if err := WriteCSV(&b, stats, func(id string) string { return "Ann" }); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rows[1]) != len(CSVHeader) {
		t.Fatalf("rows %v", rows)
	}
	row := map[string]string{}
	for i, h := range CSVHeader {
		row[h] = rows[1][i]
	}
	want := map[string]string{"conversation_id": "c1", "agents": "Ann", "tags": "vip;refund", "first_response_s": "4", "avg_response_s": "7",
		"resolution_s": "", "csat": "5", "status": "closed", "created_at": "2026-03-02T10:00:00Z"}
	for k, v := range want {
		if row[k] != v {
			t.Errorf("%s = %q, want %q", k, row[k], v)
		}
	}
	if !strings.HasPrefix(row["csat_comment"], "'=") {
		t.Errorf("formula not defused: %q", row["csat_comment"])
	}
}

func TestParseHours(t *testing.T) {
	h, err := ParseHours("Mon-Fri 09:00-18:00; Sat 10:00-14:00 @Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	if h.Open[1] != 540 || h.Close[5] != 1080 || h.Open[6] != 600 || h.Close[0] != 0 || h.Loc.String() != "Asia/Shanghai" {
		t.Fatalf("%+v", h)
	}
	for _, bad := range []string{"Mon 9-18", "Xyz 09:00-10:00", "Mon 18:00-09:00", "Mon 09:00-25:00", "Mon", "Mon 09:00-10:00 @Nowhere/City"} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if h, err := ParseHours(""); h != nil || err != nil {
		t.Fatal("empty spec")
	}
	// Fri 17:00 → Mon 10:00 in a 09:00–18:00 week is 1 h + 1 h.
	bh := mustHours(t, "Mon-Fri 09:00-18:00")
	fri := time.Date(2026, 3, 6, 17, 0, 0, 0, time.UTC)
	if got := bh.Between(fri, fri.Add(65*time.Hour)); got != 2*time.Hour {
		t.Fatalf("over the weekend: %v", got)
	}
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"Mon-Fri 09:00-18:00", "Sun-Sat 00:00-24:00 @UTC", ";;", "Mon 1:2-3:4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHours(s)
		if err != nil || h == nil {
			return
		}
		d := h.Between(t0, t0.Add(7*24*time.Hour))
		if d < 0 || d > 7*24*time.Hour {
			t.Fatalf("Between out of range: %v", d)
		}
	})
}
