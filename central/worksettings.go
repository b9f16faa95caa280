package central

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/kefu-io/kefu/central/settings"
)

// workSetting is a tenant setting the workspace reads: its name, doc,
// default and validator (registered in the tenant-settings registry of
// `kefu admin tenant set`).
type workSetting struct {
	name, doc, def string
	validate       func(string) error
	public         bool
}

func oneOf(vals ...string) func(string) error {
	return func(v string) error {
		for _, x := range vals {
			if v == x {
				return nil
			}
		}
		return fmt.Errorf("want one of %q", vals)
	}
}

func durationSetting(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive duration like 5m or 1h30m")
	}
	return nil
}

func intSetting(lo, hi int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want a whole number from %d to %d", lo, hi)
		}
		return nil
	}
}

func urlSetting(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("want an http(s) URL")
	}
	return nil
}

// Tenant settings of the workspace and the queue.
const (
	SettingTranslateProvider = "translate.provider"
	SettingTranslateURL      = "translate.url"
	SettingTranslateKey      = "translate.key"
	SettingHoursWeek         = "hours.week"
	SettingHoursTZ           = "hours.tz"
	SettingHoursHolidays     = "hours.holidays"
	SettingAssign            = "queue.assign"
	SettingCapacity          = "queue.capacity"
	SettingAutoAway          = "queue.auto_away"
	SettingSLAFirstVIP       = "sla.first_response_vip"
	SettingSLAResolution     = "sla.resolution"
)

var workSettings = []workSetting{
	{SettingTranslateProvider, "machine translation between shoppers and agents: libretranslate, deepl, or empty for none", "", oneOf("", "libretranslate", "deepl"), false},
	{SettingTranslateURL, "base URL of the translation API (LibreTranslate: https://libretranslate.example; DeepL: https://api-free.deepl.com)", "", urlSetting, false},
	{SettingTranslateKey, "API key of the translation provider (secret)", "", nil, false},
	{SettingHoursWeek, `weekly business hours, e.g. "mon-fri 09:00-18:00; sat 10:00-14:00"; empty = always open`, "", func(v string) error { _, err := ParseHours(v, "", ""); return err }, true},
	{SettingHoursTZ, "IANA time zone of the business hours", "UTC", func(v string) error { _, err := ParseHours("", v, ""); return err }, true},
	{SettingHoursHolidays, "closed dates, YYYY-MM-DD separated by commas", "", func(v string) error { _, err := ParseHours("", "", v); return err }, true},
	{SettingAssign, "assignment: pull (agents take next), least_busy or round_robin (pushed to an online agent with room)", "pull", oneOf("pull", "least_busy", "round_robin"), false},
	{SettingCapacity, "default number of conversations an agent holds at once", "3", intSetting(1, 50), false},
	{SettingAutoAway, "an online agent without activity for this long counts as away", "5m", durationSetting, false},
	{SettingSLAFirstVIP, "first-response target of a VIP conversation", "2m", durationSetting, false},
	{SettingSLAResolution, "resolution target from handoff to close", "1h", durationSetting, false},
}

// init registers the workspace's keys in the tenant-settings registry
// (`kefu admin tenant set --tenant T KEY=VALUE`, PUT /v1/admin/settings).
// The first-response target is issue 9's queue.sla.
func init() {
	for _, w := range workSettings {
		settings.Register(settings.Key{Name: w.name, Doc: w.doc, Default: w.def, Validate: w.validate, Public: w.public})
	}
}

// settingsReader is the store's tenant settings (store.AdminStore of the
// admin API); the workspace reads its keys through it when present.
type settingsReader interface {
	TenantSettings(ctx context.Context, tenant string) (map[string]string, error)
}

// tenantSettings returns the keys tenant set (nil when none or unreadable).
func (s *Service) tenantSettings(ctx context.Context, tenant string) map[string]string {
	var set map[string]string
	if s.cfg.WorkSettings != nil {
		set, _ = s.cfg.WorkSettings(ctx, tenant)
	} else if r, ok := s.st.(settingsReader); ok {
		set, _ = r.TenantSettings(ctx, tenant)
	}
	return set
}

// settingValue returns key's value in set, or its default.
func settingValue(set map[string]string, key string) string {
	if v, ok := set[key]; ok {
		return v
	}
	for _, w := range workSettings {
		if w.name == key {
			return w.def
		}
	}
	return ""
}

// settingDuration returns key's duration in set, or its default's.
func settingDuration(set map[string]string, key string) time.Duration {
	if d, err := time.ParseDuration(settingValue(set, key)); err == nil && d > 0 {
		return d
	}
	d, _ := time.ParseDuration(settingValue(nil, key))
	return d
}

// hours returns a tenant's business hours (always open when unset or malformed).
func (s *Service) hours(tenant string, set map[string]string) Hours {
	h, err := ParseHours(settingValue(set, SettingHoursWeek), settingValue(set, SettingHoursTZ), settingValue(set, SettingHoursHolidays))
	if err != nil {
		s.log.Warn("business hours: setting refused, treated as always open", "tenant", tenant, "err", err)
		return Hours{}
	}
	return h
}
