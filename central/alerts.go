package central

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/kefu-io/kefu/central/alert"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/plugins/pii"
)

// Staff alerts (package central/alert speaks the adapters' formats).
//
// A shopper message raises an alert when the edge's sensitive-word plugin
// labelled it (label "alert" = the matched word) or when its anger score
// reaches the tenant's alert.anger_threshold. Central records the alert
// with one pending delivery per configured adapter in the store's outbox
// (store.AlertStore) and wakes the sender at once; deliveries are retried
// with exponential backoff (1 s, 2 s, 4 s… at most 5 min, with jitter) up
// to alertMaxAttempts, and a conversation alerts at most once per
// alert.cooldown. Each alert is also a conversation.alert event on the
// console WebSocket and is listed by GET /v1/alerts with its deliveries
// and their latency (the shopper message's birth → the adapter's HTTP
// request returning).
//
// Tenant settings: alert.wecom_robot_url, alert.dingtalk_robot_url +
// alert.dingtalk_secret, alert.sms_url (+ alert.sms_to), alert.email,
// alert.anger_threshold (default 0.85), alert.cooldown (default 10m),
// alert.console_url (the console's address for links; default a relative
// /console/ link).

// Setting keys of staff alerts.
const (
	SettingAlertWeCom         = "alert.wecom_robot_url"
	SettingAlertDingTalk      = "alert.dingtalk_robot_url"
	SettingAlertDingSecret    = "alert.dingtalk_secret"
	SettingAlertSMS           = "alert.sms_url"
	SettingAlertSMSTo         = "alert.sms_to"
	SettingAlertEmail         = "alert.email"
	SettingAlertAnger         = "alert.anger_threshold"
	SettingAlertCooldown      = "alert.cooldown"
	SettingAlertConsoleURL    = "alert.console_url"
	defaultAlertAnger         = 0.85
	defaultAlertCooldown      = 10 * time.Minute
	alertMaxAttempts          = 10
	alertLease                = 30 * time.Second
	alertSendTimeout          = 5 * time.Second
	labelAlert                = "alert"
	alertMaxBackoff           = 5 * time.Minute
	alertMaskedTextMaxRunes   = 300
	alertPollEvery            = time.Second
	alertClaimBatch           = 32
	alertConsoleDefaultLink   = "/console/#c="
	alertEventReasonSeparator = ":"
)

// alertTargets returns the adapters configured for tenant.
func (s *Service) alertTargets(ctx context.Context, tenant string) []alert.Target {
	var out []alert.Target
	if u := s.setting(ctx, tenant, SettingAlertWeCom); u != "" {
		out = append(out, alert.Target{Adapter: alert.WeCom, URL: u})
	}
	if u := s.setting(ctx, tenant, SettingAlertDingTalk); u != "" {
		out = append(out, alert.Target{Adapter: alert.DingTalk, URL: u, Secret: s.setting(ctx, tenant, SettingAlertDingSecret)})
	}
	if u := s.setting(ctx, tenant, SettingAlertSMS); u != "" {
		out = append(out, alert.Target{Adapter: alert.SMS, URL: u, To: s.setting(ctx, tenant, SettingAlertSMSTo)})
	}
	if to := s.setting(ctx, tenant, SettingAlertEmail); to != "" {
		out = append(out, alert.Target{Adapter: alert.Email, To: to})
	}
	return out
}

// maskedExcerpt masks personal data (plugins/pii) and cuts the text.
func maskedExcerpt(text string) string {
	t := pii.Redact(text, pii.Options{}).Text
	if r := []rune(t); len(r) > alertMaskedTextMaxRunes {
		t = string(r[:alertMaskedTextMaxRunes]) + "…"
	}
	return t
}

// maybeAlert raises a staff alert for a newly stored shopper message when
// it carries the sensitive-word label or its anger crosses the threshold.
func (s *Service) maybeAlert(ctx context.Context, env chat.Envelope, conv store.Conversation, msg chat.Message) {
	var kind string
	var words []string
	if w := env.Label(labelAlert); w != "" {
		kind = alert.KindSensitive
		for _, x := range strings.Split(w, ",") {
			if x = strings.TrimSpace(x); x != "" {
				words = append(words, x)
			}
		}
	} else {
		threshold := defaultAlertAnger
		if v, err := strconv.ParseFloat(s.setting(ctx, conv.Tenant, SettingAlertAnger), 64); err == nil && v > 0 && v <= 1 {
			threshold = v
		}
		if msg.Anger < threshold {
			return
		}
		kind = alert.KindAnger
	}
	cooldown := defaultAlertCooldown
	if d, err := time.ParseDuration(s.setting(ctx, conv.Tenant, SettingAlertCooldown)); err == nil && d >= 0 {
		cooldown = d
	}
	base := s.setting(ctx, conv.Tenant, SettingAlertConsoleURL)
	if base == "" {
		base = alertConsoleDefaultLink
	}
	targets := s.alertTargets(ctx, conv.Tenant)
	adapters := make([]string, len(targets))
	for i, t := range targets {
		adapters[i] = t.Adapter
	}
	rec := store.AlertRecord{Tenant: conv.Tenant, ID: derivedID("a", conv.Tenant, msg.ID), ConversationID: conv.ID, MessageID: msg.ID,
		Kind: kind, Words: words, Anger: msg.Anger, Text: maskedExcerpt(msg.Text), Link: base + conv.ID, MessageAt: msg.At, CreatedAt: time.Now()}
	got, created, err := s.st.RaiseAlert(ctx, rec, adapters, cooldown)
	if err != nil {
		s.log.Warn("alert: not recorded", "tenant", conv.Tenant, "conversation", conv.ID, "err", err)
		return
	}
	if !created {
		return
	}
	s.wakeAlerts()
	reason := kind + alertEventReasonSeparator + strings.Join(words, ",")
	if kind == alert.KindAnger {
		reason = kind + alertEventReasonSeparator + strconv.FormatFloat(msg.Anger, 'f', 2, 64)
	}
	s.emitStaff(chat.Event{Type: chat.EventAlert, Tenant: got.Tenant, ConversationID: got.ConversationID, Visitor: conv.Visitor, Reason: reason})
}

func (s *Service) wakeAlerts() {
	select {
	case s.alertWake <- struct{}{}:
	default:
	}
}

// alertLoop sends due deliveries until the Service closes.
func (s *Service) alertLoop() {
	defer s.bg.Done()
	tick := time.NewTicker(alertPollEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-s.alertWake:
		case <-tick.C:
		}
		for s.sendDue() {
		}
	}
}

// sendDue sends one batch of due deliveries, in parallel; it reports
// whether the batch was full (more may be due).
func (s *Service) sendDue() bool {
	ctx, cancel := context.WithTimeout(context.Background(), alertLease)
	defer cancel()
	ds, err := s.st.ClaimDeliveries(ctx, time.Now(), alertLease, alertClaimBatch)
	if err != nil {
		s.log.Warn("alert: claim", "err", err)
		return false
	}
	done := make(chan struct{}, len(ds))
	for _, d := range ds {
		go func() {
			defer func() { done <- struct{}{} }()
			s.deliver(ctx, d)
		}()
	}
	for range ds {
		<-done
	}
	return len(ds) == alertClaimBatch
}

func (s *Service) deliver(ctx context.Context, d store.AlertDelivery) {
	a := d.Alert
	var target *alert.Target
	for _, t := range s.alertTargets(ctx, d.Tenant) {
		if t.Adapter == d.Adapter {
			target = &t
			break
		}
	}
	d.Attempts++
	var err error
	if target == nil {
		err = errors.New("alert: adapter no longer configured")
	} else {
		sctx, cancel := context.WithTimeout(ctx, alertSendTimeout)
		err = s.alerts.Send(sctx, *target, alert.Alert{Tenant: a.Tenant, ConversationID: a.ConversationID, Kind: a.Kind, Words: a.Words,
			Anger: a.Anger, Text: a.Text, Link: a.Link, At: a.MessageAt})
		cancel()
	}
	now := time.Now()
	switch {
	case err == nil:
		d.Status, d.SentAt, d.LastError = store.DeliverySent, now, ""
		if !a.MessageAt.IsZero() {
			d.LatencyMS = now.Sub(a.MessageAt).Milliseconds()
			s.m.alertLatency.Observe(now.Sub(a.MessageAt).Seconds())
		}
		s.m.alertDeliveries.WithLabelValues(d.Adapter, "sent").Inc()
	case errors.Is(err, alert.ErrRetry) && d.Attempts < alertMaxAttempts:
		d.Status, d.LastError, d.NextAt = store.DeliveryPending, err.Error(), now.Add(backoff(d.Attempts))
		s.m.alertDeliveries.WithLabelValues(d.Adapter, "retry").Inc()
	default:
		d.Status, d.LastError = store.DeliveryFailed, err.Error()
		s.m.alertDeliveries.WithLabelValues(d.Adapter, "failed").Inc()
		s.log.Warn("alert: delivery failed", "tenant", d.Tenant, "alert", d.AlertID, "adapter", d.Adapter, "err", err)
	}
	fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.st.FinishDelivery(fctx, d); err != nil {
		s.log.Warn("alert: record delivery", "alert", d.AlertID, "err", err)
	}
}

// backoff is the wait before attempt n+1: 2^(n-1) s with ±20% jitter, at
// most alertMaxBackoff.
func backoff(n int) time.Duration {
	d := time.Second << min(n-1, 16)
	d = min(d, alertMaxBackoff)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// AlertView is an alert as GET /v1/alerts shows it.
type AlertView struct {
	ID             string         `json:"id"`
	ConversationID string         `json:"conversation_id"`
	Kind           string         `json:"kind"`
	Words          []string       `json:"words,omitempty"`
	Anger          float64        `json:"anger,omitempty"`
	Text           string         `json:"text"`
	Link           string         `json:"link"`
	MessageAt      time.Time      `json:"message_at"`
	CreatedAt      time.Time      `json:"created_at"`
	Deliveries     []DeliveryView `json:"deliveries"`
}

// DeliveryView is one adapter's delivery of an alert.
type DeliveryView struct {
	Adapter   string     `json:"adapter"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	LatencyMS int64      `json:"latency_ms,omitempty"`
}

func (s *Service) listAlerts(c *fiber.Ctx) error {
	list, err := s.st.Alerts(c.UserContext(), who(c).agent.Tenant, min(max(c.QueryInt("limit", 100), 1), 500))
	if err != nil {
		return storeError(c, err)
	}
	out := make([]AlertView, len(list))
	for i, a := range list {
		v := AlertView{ID: a.ID, ConversationID: a.ConversationID, Kind: a.Kind, Words: a.Words, Anger: a.Anger, Text: a.Text, Link: a.Link,
			MessageAt: a.MessageAt, CreatedAt: a.CreatedAt, Deliveries: []DeliveryView{}}
		for _, d := range a.Deliveries {
			dv := DeliveryView{Adapter: d.Adapter, Status: d.Status, Attempts: d.Attempts, LastError: d.LastError, LatencyMS: d.LatencyMS}
			if !d.SentAt.IsZero() {
				t := d.SentAt
				dv.SentAt = &t
			}
			v.Deliveries = append(v.Deliveries, dv)
		}
		out[i] = v
	}
	return c.JSON(out)
}

// emitStaff publishes an event to every replica's consoles on the staff
// subject, which edges do not receive (an alert must not reach the shopper).
func (s *Service) emitStaff(ev chat.Event) {
	ev.V = chat.ProtocolVersion
	if ev.At.IsZero() {
		ev.At = time.Now().UTC()
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return
	}
	if err := s.nc.Publish(chat.StaffSubject(ev.Tenant), data); err != nil {
		s.log.Warn("staff event: publish", "type", ev.Type, "err", err)
	}
}

// onStaffEvent forwards a staff event to the tenant's consoles.
func (s *Service) onStaffEvent(m *nats.Msg) {
	var ev chat.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Tenant == "" || chat.StaffSubject(ev.Tenant) != m.Subject {
		return
	}
	s.hub.broadcast(ev.Tenant, m.Data)
}
