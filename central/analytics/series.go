package analytics

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-io/kefu/central/store"
)

// Interval is the width of a time-series bucket.
type Interval string

// Intervals of GET /v1/analytics/timeseries.
const (
	Hour Interval = "hour"
	Day  Interval = "day"
)

// Sentinel errors of Series.
var (
	ErrMetric   = errors.New("analytics: unknown metric")
	ErrInterval = errors.New("analytics: interval must be hour or day")
	ErrTooMany  = errors.New("analytics: too many buckets")
)

// MaxBuckets caps the points of one series.
const MaxBuckets = 24 * 400

// Metrics are the names a series can plot: the numeric fields of Summary.
var Metrics = []string{
	"conversations", "messages", "browser_answers", "browser_sessions", "deflected", "handed_off", "closed",
	"deflection_rate", "handoff_rate", "frt_p50_s", "frt_p90_s", "frt_count", "avg_response_s", "resolution_p50_s",
	"csat_avg", "csat_count", "sla_breaches", "sla_met", "agent_hours", "cost", "cost_per_conversation",
	"orders", "conversions", "conversion_rate", "revenue",
}

// ValidMetric reports whether m is one of Metrics.
func ValidMetric(m string) bool {
	for _, v := range Metrics {
		if v == m {
			return true
		}
	}
	return false
}

// Point is one bucket of a series; V is null when the metric is undefined
// in the bucket (no FRT measured…).
type Point struct {
	T time.Time `json:"t"`
	V *float64  `json:"v"`
}

// Buckets splits [from, to) into interval-wide buckets aligned to
// midnight (day) or the hour in loc.
func Buckets(from, to time.Time, iv Interval, loc *time.Location) ([]time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	var start time.Time
	var next func(time.Time) time.Time
	f := from.In(loc)
	switch iv {
	case Hour:
		start = time.Date(f.Year(), f.Month(), f.Day(), f.Hour(), 0, 0, 0, loc)
		next = func(t time.Time) time.Time { return t.Add(time.Hour) }
	case Day:
		start = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
		next = func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc) }
	default:
		return nil, ErrInterval
	}
	var out []time.Time
	for t := start; t.Before(to); t = next(t) {
		if len(out) == MaxBuckets {
			return nil, fmt.Errorf("%w: over %d", ErrTooMany, MaxBuckets)
		}
		out = append(out, t)
	}
	return out, nil
}

// Series computes metric per bucket: each bucket is summarized like
// Summarize over the conversations created in it (costs prorated to the
// bucket's length).
func Series(in Input, metric string, iv Interval, loc *time.Location) ([]Point, error) {
	if !ValidMetric(metric) {
		return nil, fmt.Errorf("%w: %q", ErrMetric, metric)
	}
	starts, err := Buckets(in.From, in.To, iv, loc)
	if err != nil {
		return nil, err
	}
	window := in.Window
	if window <= 0 {
		window = DefaultConversionWindow
	}
	stats, hits, orders := in.Stats, in.Hits, in.Orders
	sort.SliceStable(stats, func(i, j int) bool { return stats[i].CreatedAt.Before(stats[j].CreatedAt) })
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].At.Before(hits[j].At) })
	sort.SliceStable(orders, func(i, j int) bool { return orders[i].At.Before(orders[j].At) })
	out := make([]Point, len(starts))
	var si, hi, oi int
	for i, b0 := range starts {
		b1 := in.To
		if i+1 < len(starts) {
			b1 = starts[i+1]
		}
		if b0.Before(in.From) {
			b0 = in.From
		}
		sub := Input{From: b0, To: b1, Costs: in.Costs, Window: window}
		for si < len(stats) && stats[si].CreatedAt.Before(b0) {
			si++
		}
		sj := si
		for sj < len(stats) && stats[sj].CreatedAt.Before(b1) {
			sj++
		}
		sub.Stats = stats[si:sj]
		for hi < len(hits) && hits[hi].At.Before(b0) {
			hi++
		}
		hj := hi
		for hj < len(hits) && hits[hj].At.Before(b1) {
			hj++
		}
		sub.Hits = hits[hi:hj]
		for oi < len(orders) && orders[oi].At.Before(b0) {
			oi++
		}
		oj := oi
		for oj < len(orders) && orders[oj].At.Before(b1.Add(window)) {
			oj++
		}
		sub.Orders = orders[oi:oj]
		out[i] = Point{T: starts[i].UTC(), V: Value(Summarize(sub), metric)}
	}
	return out, nil
}

// Value returns the field of s named by metric (a JSON name), or nil when
// it is undefined.
func Value(s Summary, metric string) *float64 {
	var m map[string]any
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, &m)
	switch v := m[metric].(type) {
	case float64:
		return &v
	}
	return nil
}

// CSVHeader are the columns of GET /v1/analytics/export.csv, one row per
// conversation (times in RFC 3339 UTC, durations in seconds, empty when
// they do not apply).
var CSVHeader = []string{
	"conversation_id", "created_at", "channel", "contact", "visitor", "agents", "team", "tags", "custom_attributes",
	"status", "handed_off", "deflected", "first_response_s", "avg_response_s", "resolution_s", "handle_s", "sla_breached",
	"messages", "csat", "csat_comment", "intent", "demo",
}

// AgentName maps an agent id to a display name (the id when unknown).
type AgentName func(id string) string

// WriteCSV writes the header and one row per conversation. A cell a
// spreadsheet would run as a formula (starting with = + - @, tab or CR) is
// prefixed with a quote (OWASP CSV injection).
func WriteCSV(w io.Writer, stats []store.ConvStats, name AgentName) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("analytics: csv: %w", err)
	}
	secs := func(ms int64) string {
		if ms < 0 {
			return ""
		}
		return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
	}
	for _, c := range stats {
		agents := make([]string, len(c.Agents))
		for i, a := range c.Agents {
			agents[i] = a
			if name != nil {
				agents[i] = name(a)
			}
		}
		status := "open"
		if !c.ClosedAt.IsZero() {
			status = "closed"
		}
		csat := ""
		if c.CSAT > 0 {
			csat = strconv.Itoa(c.CSAT)
		}
		row := []string{c.ID, c.CreatedAt.UTC().Format(time.RFC3339), c.Channel, c.Contact, c.Visitor, strings.Join(agents, ";"),
			c.Team, strings.Join(c.Tags, ";"), c.Attrs, status, strconv.FormatBool(c.HandedOff), strconv.FormatBool(c.Deflected),
			secs(c.FirstResponseMS), secs(c.AvgResponseMS), secs(c.ResolutionMS), secs(c.HandleMS), strconv.FormatBool(c.SLABreached),
			strconv.Itoa(c.Messages), csat, c.CSATComment, c.Intent, strconv.FormatBool(c.Demo)}
		for i, v := range row {
			row[i] = SafeCell(v)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("analytics: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("analytics: csv: %w", err)
	}
	return nil
}

// SafeCell defuses a cell that a spreadsheet would evaluate.
func SafeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Matches reports whether a conversation is behind a chart point of
// metric: the conversations the metric counts (the drill-down).
func Matches(c store.ConvStats, metric string) bool {
	switch metric {
	case "deflected", "deflection_rate":
		return c.Deflected
	case "handed_off", "handoff_rate", "agent_hours", "avg_response_s":
		return c.HandedOff
	case "frt_p50_s", "frt_p90_s", "frt_count":
		return c.FirstResponseMS >= 0
	case "resolution_p50_s", "closed":
		return !c.ClosedAt.IsZero()
	case "csat_avg", "csat_count":
		return c.CSAT > 0
	case "sla_breaches":
		return c.SLABreached
	case "sla_met":
		return c.HandedOff && !c.SLABreached
	}
	return true
}

// SQLMetrics are the metrics whose series the database aggregates per
// bucket (store.SeriesStore): they need the conversations' facts only, not
// the browser answers or the orders. BucketValue turns a bucket into the
// metric with Summarize's definitions.
var SQLMetrics = map[string]bool{
	"conversations": true, "handed_off": true, "closed": true, "handoff_rate": true, "sla_breaches": true, "sla_met": true,
	"frt_p50_s": true, "frt_p90_s": true, "frt_count": true, "avg_response_s": true, "resolution_p50_s": true,
	"csat_avg": true, "csat_count": true, "agent_hours": true,
}

// BucketValue is metric (one of SQLMetrics) of bucket b, nil when undefined.
func BucketValue(metric string, b store.BucketAgg) *float64 {
	f := func(v int) *float64 { x := float64(v); return &x }
	sec := func(ms int64) *float64 {
		if ms < 0 {
			return nil
		}
		x := float64(ms) / 1000
		return &x
	}
	switch metric {
	case "conversations":
		return f(b.Conversations)
	case "handed_off":
		return f(b.HandedOff)
	case "closed":
		return f(b.Closed)
	case "handoff_rate":
		return ratio(b.HandedOff, b.Conversations)
	case "sla_breaches":
		return f(b.SLABreaches)
	case "sla_met":
		return ratio(b.HandedOff-b.SLABreaches, b.HandedOff)
	case "frt_p50_s":
		return sec(b.FRTP50MS)
	case "frt_p90_s":
		return sec(b.FRTP90MS)
	case "frt_count":
		return f(b.FRTCount)
	case "avg_response_s":
		if b.AvgRespCount == 0 {
			return nil
		}
		return ptr(round(float64(b.AvgRespSumMS)/1000/float64(b.AvgRespCount), 3))
	case "resolution_p50_s":
		return sec(b.ResolutionP50MS)
	case "csat_avg":
		if b.CSATCount == 0 {
			return nil
		}
		return ptr(round(float64(b.CSATSum)/float64(b.CSATCount), 3))
	case "csat_count":
		return f(b.CSATCount)
	case "agent_hours":
		return ptr(round(float64(b.HandleMS)/float64(time.Hour.Milliseconds()), 3))
	}
	return nil
}

// SQLBounds returns the bucket starts of Buckets clipped to from (the
// first bucket starts at from, as in Series).
func SQLBounds(from, to time.Time, iv Interval, loc *time.Location) (starts, clipped []time.Time, err error) {
	starts, err = Buckets(from, to, iv, loc)
	if err != nil {
		return nil, nil, err
	}
	clipped = make([]time.Time, len(starts))
	for i, s := range starts {
		if s.Before(from) {
			s = from
		}
		clipped[i] = s
	}
	return starts, clipped, nil
}
