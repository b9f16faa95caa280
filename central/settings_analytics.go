package central

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"time"

	"github.com/kefu-io/kefu/central/admin"
	"github.com/kefu-io/kefu/central/analytics"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
)

// Scopes of the analytics, events, QA and alert routes.
var (
	ScopeEvents        = scope.Register(ScopeEventsWrite, "post merchant business events (orders placed, delayed…) to POST /v1/events", store.RoleAdmin)
	ScopeAnalyticsRead = scope.Register("analytics:read", "read reports: summary, time series, CSV export, forecast, topics, QA scores", store.RoleAgent)
	ScopeAlertsRead    = scope.Register("alerts:read", "list staff alerts and their deliveries", store.RoleAgent)
)

func floatRange(lo, hi float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < lo || f > hi || f != f {
			return fmt.Errorf("want a number from %g to %g", lo, hi)
		}
		return nil
	}
}

func optional(f func(string) error) func(string) error {
	return func(v string) error {
		if v == "" {
			return nil
		}
		return f(v)
	}
}

func emailAddr(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return errors.New("want one e-mail address like ops@shop.example")
	}
	return nil
}

func hoursSpec(v string) error {
	_, err := analytics.ParseHours(v)
	return err
}

func init() {
	for _, k := range []settings.Key{
		{Name: SettingCostAgentHour, Doc: "cost of one agent hour, in the tenant's currency (cost_per_conversation)", Default: "0", Validate: floatRange(0, 1e6)},
		{Name: SettingCostInfraMonth, Doc: "monthly cost of running the service (cost_per_conversation)", Default: "0", Validate: floatRange(0, 1e9)},
		{Name: SettingConversionWindow, Doc: "how long after a conversation starts an order counts as its conversion", Default: "72h",
			Validate: settings.Duration(time.Minute, 90*24*time.Hour)},
		{Name: SettingBusinessHours, Doc: `measure response times within business hours only, e.g. "Mon-Fri 09:00-18:00 @Asia/Shanghai" (empty: around the clock)`,
			Default: "", Validate: optional(hoursSpec)},
		{Name: SettingAlertWeCom, Doc: "WeCom (企业微信) group robot webhook URL for staff alerts", Default: "", Validate: optional(settings.HTTPSURL)},
		{Name: SettingAlertDingTalk, Doc: "DingTalk (钉钉) custom robot webhook URL for staff alerts", Default: "", Validate: optional(settings.HTTPSURL)},
		{Name: SettingAlertDingSecret, Doc: "DingTalk robot signing secret (SEC…); requests are signed when set", Default: "", Validate: settings.MaxLen(200)},
		{Name: SettingAlertSMS, Doc: `HTTP SMS gateway URL for staff alerts (POST {"to","text",…})`, Default: "", Validate: optional(settings.HTTPSURL)},
		{Name: SettingAlertSMSTo, Doc: "phone number the SMS gateway sends alerts to", Default: "", Validate: settings.MaxLen(64)},
		{Name: SettingAlertEmail, Doc: "e-mail address staff alerts are sent to (through central's SMTP relay)", Default: "", Validate: optional(emailAddr)},
		{Name: SettingAlertAnger, Doc: "anger score (0–1) of a shopper message that raises a staff alert", Default: "0.85", Validate: floatRange(0.01, 1)},
		{Name: SettingAlertCooldown, Doc: "a conversation raises at most one staff alert per this period", Default: "10m",
			Validate: settings.Duration(0, 24*time.Hour)},
		{Name: SettingAlertConsoleURL, Doc: "console address alert links start with (the conversation id is appended), e.g. https://kefu.example/console/#c=",
			Default: "", Validate: optional(settings.HTTPSURL)},
	} {
		settings.Register(k)
	}
}

// storeSettings reads tenant settings from the store (issue 9's
// registry): the value set, or the registered default.
type storeSettings struct{ st store.Store }

func (s storeSettings) Setting(ctx context.Context, tenant, key string) (string, error) {
	set, err := s.st.TenantSettings(ctx, tenant)
	if err != nil {
		return "", err
	}
	return settings.Value(set, key), nil
}

// storeKeys verifies API keys against the store's hashed keys.
type storeKeys struct{ st store.Store }

// errKey refuses an API key without telling why (unknown, revoked or
// lacking the scope look the same).
var errKey = errors.New("central: invalid API key or scope missing")

func (k storeKeys) VerifyKey(ctx context.Context, key, sc string) (string, error) {
	got, err := k.st.APIKeyByHash(ctx, admin.HashKey(key))
	if err != nil || !got.RevokedAt.IsZero() || !slices.Contains(got.Scopes, sc) {
		return "", errKey
	}
	return got.Tenant, nil
}
