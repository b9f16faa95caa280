// Package proactive decides Kefu's proactive notices: messages a tenant's
// rules send to a shopper before the shopper asks.
//
// A Rule has one trigger:
//
//   - event: a merchant event of EventType arrives (POST /v1/events, e.g.
//     order.delayed) → a message to the shopper the event names, in the
//     shopper's latest conversation, on its channel.
//   - idle: the widget reports the shopper idle on a page for at least
//     IdleS seconds (optionally only pages whose URL contains URLContains,
//     or that show a product: RequireSKU) → an offer in the widget's
//     conversation.
//   - campaign: at At, a message to every shopper of the tenant active in
//     the AudienceDays before (optionally of one region). With Promotion
//     set the text is the region's promotion: the edge's geo-campaign
//     plugin fills it in (and withholds the notice where no promotion
//     runs), so the offer is decided where the shopper is.
//
// Every notice passes, in this order: the held-out control group
// (InControl: a deterministic ControlPct share of shoppers per rule gets
// nothing and is recorded as control, the baseline of the report), the
// frequency caps (the rule's Cap per CapWindow, and the tenant's cap across
// all rules; both arms count, so the caps treat them alike) and the quiet
// hours (a notice due inside them waits until they end; an idle offer is
// dropped instead, being useless later).
//
// The package is pure: central (proactive.go) stores rules and notices,
// counts for the caps and delivers through the ordinary outbound path.
package proactive

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-io/kefu/chat"
)

// Triggers of a Rule.
const (
	TriggerEvent    = "event"
	TriggerIdle     = "idle"
	TriggerCampaign = "campaign"
)

// Arms and states of a notice.
const (
	// ArmSent: the notice went to the shopper (or waits, State pending).
	ArmSent = "sent"
	// ArmControl: the shopper is in the rule's control group; nothing sent.
	ArmControl = "control"
	// ArmSuppressed: a cap, quiet hours or a missing channel stopped it.
	ArmSuppressed = "suppressed"
)

// Reasons a notice was suppressed.
const (
	ReasonCap       = "cap"
	ReasonTenantCap = "tenant_cap"
	ReasonQuiet     = "quiet_hours"
	ReasonNoChannel = "no_channel"
	ReasonWithheld  = "withheld"
)

// Limits of a Rule.
const (
	MaxControlPct = 50
	MaxText       = 1000
	MaxIdle       = 3600
)

// Rule is one proactive rule of a tenant (the JSON of
// /v1/proactive/rules).
type Rule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Trigger is event, idle or campaign.
	Trigger string `json:"trigger"`
	// EventType is the merchant event that fires an event rule.
	EventType string `json:"event_type,omitempty"`
	// IdleS, URLContains and RequireSKU select the pages of an idle rule.
	IdleS       int    `json:"idle_s,omitempty"`
	URLContains string `json:"url_contains,omitempty"`
	RequireSKU  bool   `json:"require_sku,omitempty"`
	// At is when a campaign runs; AudienceDays how far back its shoppers
	// were active; Region limits it to one region ("" = all).
	At           time.Time `json:"at,omitzero"`
	AudienceDays int       `json:"audience_days,omitempty"`
	Region       string    `json:"region,omitempty"`
	// Promotion: the edge's geo-campaign plugin supplies the text.
	Promotion bool `json:"promotion,omitempty"`
	// Text is the message by language ("en", "zh"…); {order_id} and {sku}
	// are replaced. A promotion's text is what shows where the edge has
	// no campaign text (the plugin withholds it then).
	Text map[string]string `json:"text"`
	// ControlPct is the held-out share of shoppers, 0–50 (default 10 when
	// the field is absent).
	ControlPct *int `json:"control_pct,omitempty"`
	// Cap notices of this rule per shopper per CapWindow (defaults 1 per 24h).
	Cap       int      `json:"cap,omitempty"`
	CapWindow Duration `json:"cap_window,omitzero"`
	// QuietHours overrides the tenant's proactive.quiet_hours ("-" = none).
	QuietHours string `json:"quiet_hours,omitempty"`
	Enabled    bool   `json:"enabled"`
}

// Duration is a time.Duration that reads and writes "24h", "90m".
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "24h" (or a number of seconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n float64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("want a duration like \"24h\": %w", err)
		}
		*d = Duration(time.Duration(n * float64(time.Second)))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration like \"24h\": %w", err)
	}
	*d = Duration(v)
	return nil
}

// ErrRule wraps every refusal of Check.
var ErrRule = errors.New("proactive: bad rule")

var (
	ruleID    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	eventType = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
)

// Control returns the rule's control share (default 10%).
func (r *Rule) Control() int {
	if r.ControlPct == nil {
		return 10
	}
	return *r.ControlPct
}

// CapN and CapFor return the rule's frequency cap (default 1 per 24h).
func (r *Rule) CapN() int {
	if r.Cap <= 0 {
		return 1
	}
	return r.Cap
}

// CapFor is the cap's window.
func (r *Rule) CapFor() time.Duration {
	if r.CapWindow <= 0 {
		return 24 * time.Hour
	}
	return time.Duration(r.CapWindow)
}

// Check validates a rule.
func Check(r *Rule) error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: %s", ErrRule, fmt.Sprintf(f, a...)) }
	if !ruleID.MatchString(r.ID) {
		return bad("id %q: 1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit", r.ID)
	}
	if len(r.Name) > 200 {
		return bad("name over 200 bytes")
	}
	switch r.Trigger {
	case TriggerEvent:
		if !eventType.MatchString(r.EventType) {
			return bad("event rule needs event_type like order.delayed, got %q", r.EventType)
		}
	case TriggerIdle:
		if r.IdleS < 5 || r.IdleS > MaxIdle {
			return bad("idle rule needs idle_s from 5 to %d", MaxIdle)
		}
		if len(r.URLContains) > 200 {
			return bad("url_contains over 200 bytes")
		}
	case TriggerCampaign:
		if r.At.IsZero() {
			return bad("campaign needs at (RFC 3339)")
		}
		if r.AudienceDays < 1 || r.AudienceDays > 365 {
			return bad("campaign needs audience_days from 1 to 365")
		}
	default:
		return bad("trigger must be event, idle or campaign, got %q", r.Trigger)
	}
	if r.Promotion && r.Trigger != TriggerCampaign {
		return bad("promotion is for campaigns")
	}
	if len(r.Region) > 32 {
		return bad("region over 32 bytes")
	}
	if len(r.Text) == 0 {
		return bad("text needs at least one language")
	}
	for lang, t := range r.Text {
		if lang == "" || len(lang) > 16 {
			return bad("text language %q", lang)
		}
		if strings.TrimSpace(t) == "" || len(t) > MaxText {
			return bad("text %q: 1-%d bytes", lang, MaxText)
		}
	}
	if c := r.Control(); c < 0 || c > MaxControlPct {
		return bad("control_pct must be 0-%d", MaxControlPct)
	}
	if r.Cap < 0 || r.Cap > 100 {
		return bad("cap must be 0-100")
	}
	if r.CapWindow < 0 || time.Duration(r.CapWindow) > 90*24*time.Hour {
		return bad("cap_window must be at most 90 days")
	}
	if r.QuietHours != "" && r.QuietHours != "-" {
		if _, err := ParseQuiet(r.QuietHours); err != nil {
			return fmt.Errorf("%w: quiet_hours: %w", ErrRule, err)
		}
	}
	return nil
}

// InControl reports whether shopper is in the control group of rule: the
// first 8 bytes of SHA-256(rule, shopper) modulo 100 below pct. The split
// is the same on every replica and every run, independent of order.
func InControl(rule, shopper string, pct int) bool {
	if pct <= 0 {
		return false
	}
	sum := sha256.Sum256([]byte(rule + "\x00" + shopper))
	return binary.BigEndian.Uint64(sum[:8])%100 < uint64(pct)
}

// NoticeID is the id of the notice of rule for shopper caused by ref (an
// event id, a page visit, a campaign run): the same cause gives the same
// id, so a retried event sends nothing twice.
func NoticeID(tenant, rule, ref, shopper string) string {
	sum := sha256.Sum256([]byte(tenant + "\x00" + rule + "\x00" + ref + "\x00" + shopper))
	return "pn" + strings.ToLower(strconv.FormatUint(binary.BigEndian.Uint64(sum[:8]), 36)) +
		strings.ToLower(strconv.FormatUint(binary.BigEndian.Uint64(sum[8:16]), 36))
}

// MessageID is the id of the message that carries notice id; it starts
// with "pn-" so an edge recognises a notice's acknowledgement (opened).
func MessageID(notice string) string { return MessagePrefix + strings.TrimPrefix(notice, "pn") }

// MessagePrefix starts the id of every notice message.
const MessagePrefix = chat.NoticeMessagePrefix

// Render picks the text for lang (its base language, else "en", else the
// first by name) and fills {order_id} and {sku}.
func Render(text map[string]string, lang string, vars map[string]string) string {
	lang = strings.ToLower(lang)
	t, ok := text[lang]
	if !ok {
		if i := strings.IndexAny(lang, "-_"); i > 0 {
			t, ok = text[lang[:i]]
		}
	}
	if !ok {
		t, ok = text["en"]
	}
	if !ok {
		first := ""
		for k := range text {
			if first == "" || k < first {
				first = k
			}
		}
		t = text[first]
	}
	for k, v := range vars {
		t = strings.ReplaceAll(t, "{"+k+"}", v)
	}
	return t
}

// Quiet is a daily quiet period in a zone, e.g. 22:00–08:00.
type Quiet struct {
	Loc        *time.Location
	From, Till int // minutes after midnight; From > Till spans midnight
}

// ErrQuiet refuses a malformed quiet-hours specification.
var ErrQuiet = errors.New("proactive: malformed quiet hours")

// ParseQuiet parses "22:00-08:00" with an optional " @Asia/Shanghai"
// (UTC by default). "" and "-" mean none (nil).
func ParseQuiet(spec string) (*Quiet, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "-" {
		return nil, nil
	}
	q := &Quiet{Loc: time.UTC}
	if body, zone, ok := strings.Cut(spec, "@"); ok {
		loc, err := time.LoadLocation(strings.TrimSpace(zone))
		if err != nil {
			return nil, fmt.Errorf("%w: zone %q: %v", ErrQuiet, zone, err)
		}
		q.Loc, spec = loc, strings.TrimSpace(body)
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return nil, fmt.Errorf("%w: %q: want HH:MM-HH:MM", ErrQuiet, spec)
	}
	var err error
	if q.From, err = clock(a); err != nil {
		return nil, err
	}
	if q.Till, err = clock(b); err != nil {
		return nil, err
	}
	if q.From == q.Till {
		return nil, fmt.Errorf("%w: %q: an empty period", ErrQuiet, spec)
	}
	return q, nil
}

func clock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return 0, fmt.Errorf("%w: %q: want HH:MM", ErrQuiet, s)
	}
	return hh*60 + mm, nil
}

// In reports whether t falls in the quiet period.
func (q *Quiet) In(t time.Time) bool {
	if q == nil {
		return false
	}
	l := t.In(q.Loc)
	m := l.Hour()*60 + l.Minute()
	if q.From < q.Till {
		return m >= q.From && m < q.Till
	}
	return m >= q.From || m < q.Till
}

// Next returns t when it is outside the quiet period, else the period's end.
func (q *Quiet) Next(t time.Time) time.Time {
	if !q.In(t) {
		return t
	}
	l := t.In(q.Loc)
	end := time.Date(l.Year(), l.Month(), l.Day(), q.Till/60, q.Till%60, 0, 0, q.Loc)
	if !end.After(l) {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// TenantCap is the tenant's cap across rules (proactive.cap "3/24h").
type TenantCap struct {
	N      int
	Window time.Duration
}

// ParseCap parses "N/DURATION" ("3/24h"); "" or "0" means none.
func ParseCap(spec string) (TenantCap, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "0" {
		return TenantCap{}, nil
	}
	n, w, ok := strings.Cut(spec, "/")
	v, err := strconv.Atoi(n)
	if !ok || err != nil || v < 0 || v > 1000 {
		return TenantCap{}, fmt.Errorf("want N/DURATION like 3/24h, got %q", spec)
	}
	d, err := time.ParseDuration(w)
	if err != nil || d < time.Minute || d > 90*24*time.Hour {
		return TenantCap{}, fmt.Errorf("want N/DURATION like 3/24h (1m to 90 days), got %q", spec)
	}
	return TenantCap{N: v, Window: d}, nil
}
