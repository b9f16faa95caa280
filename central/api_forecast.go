package central

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/forecast"
	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
)

// GET /v1/analytics/forecast?days=7[&level=0.8&within=20s&shrinkage=0.3]
//
// Fits package forecast's model to the tenant's last ForecastHistory of
// hourly new conversations, predicts the next days×24 hours (from the
// next whole hour, UTC) and recommends, per hour, the agents Erlang C needs
// for the handed-off share of that volume at the measured average handle
// time, next to the agents scheduled (tenant setting forecast.schedule).
// The answer includes a backtest of the model on the tenant's own history
// (the last two weeks held out in turn) against the seasonal-naive
// baseline.

// Forecast settings.
const (
	SettingForecastCalendar = "forecast.calendar"
	SettingForecastSchedule = "forecast.schedule"
	SettingForecastPromos   = "forecast.default_promotions"
	// ForecastHistory is how much history the model is fitted on.
	ForecastHistory = 12 * 7 * 24 * time.Hour
	// defaultAHT is the handle time assumed before any agent handled a conversation.
	defaultAHT = 5 * time.Minute
)

func init() {
	settings.Register(settings.Key{Name: SettingForecastCalendar, Doc: `special days for the volume forecast, e.g. "2026-10-01 holiday; 2026-11-11 promotion"`,
		Default: "", Validate: func(v string) error { _, err := forecast.ParseCalendar(v); return err }})
	settings.Register(settings.Key{Name: SettingForecastSchedule, Doc: `agents on shift per hour (UTC), e.g. "Mon-Fri 09:00-18:00 3; Sat 10:00-16:00 1"`,
		Default: "", Validate: func(v string) error { _, err := forecast.ParseSchedule(v); return err }})
	settings.Register(settings.Key{Name: SettingForecastPromos, Doc: "mark 6.18, 11.11 and 12.12 as promotion days in the forecast",
		Default: "true", Validate: settings.Bool})
}

// ForecastHour is one predicted hour.
type ForecastHour struct {
	T time.Time `json:"t"`
	// Volume is the expected number of new conversations; Handoffs the
	// part expected to reach agents.
	Volume   float64 `json:"volume"`
	Handoffs float64 `json:"handoffs"`
	// Kind is the special day's kind ("" for an ordinary day).
	Kind      string            `json:"kind,omitempty"`
	Staffing  forecast.Staffing `json:"staffing"`
	Scheduled int               `json:"scheduled"`
	// Gap is Staffing.Scheduled − Scheduled (positive: understaffed).
	Gap int `json:"gap"`
}

// ForecastReply answers GET /v1/analytics/forecast.
type ForecastReply struct {
	From         time.Time                `json:"from"`
	Days         int                      `json:"days"`
	HistoryHours int                      `json:"history_hours"`
	HandoffRate  float64                  `json:"handoff_rate"`
	AHTSeconds   float64                  `json:"aht_s"`
	Target       forecast.Target          `json:"target"`
	Effects      map[string]float64       `json:"effects"`
	Level        float64                  `json:"level"`
	Hours        []ForecastHour           `json:"hours"`
	Backtest     *forecast.BacktestResult `json:"backtest,omitempty"`
}

func (s *Service) analyticsForecast(c *fiber.Ctx) error {
	days := c.QueryInt("days", 7)
	if days < 1 || days > 28 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "days must be 1 to 28")
	}
	target := forecast.Target{Level: 0.8, Within: 20 * time.Second}
	if v := c.Query("level"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f >= 1 {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "level must be between 0 and 1 (0.8 = 80%)")
		}
		target.Level = f
	}
	if v := c.Query("within"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Hour {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "within must be a duration up to 1h (20s)")
		}
		target.Within = d
	}
	if v := c.Query("shrinkage"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 0.9 {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "shrinkage must be 0 to 0.9")
		}
		target.Shrinkage = f
	}
	ctx := c.UserContext()
	tenant := who(c).agent.Tenant
	if err := s.refreshStats(ctx, tenant); err != nil {
		return storeError(c, err)
	}
	now := time.Now().UTC()
	from := now.Truncate(time.Hour).Add(time.Hour)
	histStart := now.Truncate(24 * time.Hour).Add(-ForecastHistory)
	hist, err := s.st.HourlyCounts(ctx, tenant, histStart, now.Truncate(time.Hour))
	if err != nil {
		return storeError(c, err)
	}
	// Drop the leading empty hours (a tenant younger than the window).
	first := 0
	for first < len(hist) && hist[first] == 0 {
		first++
	}
	first -= first % 24
	hist, histStart = hist[first:], histStart.Add(time.Duration(first)*time.Hour)
	cal, _ := forecast.ParseCalendar(s.setting(ctx, tenant, SettingForecastCalendar))
	promos := s.setting(ctx, tenant, SettingForecastPromos) != "false"
	model, err := forecast.Fit(hist, histStart, cal, promos)
	if err != nil {
		return apiError(c, fiber.StatusConflict, "not_enough_history", "the forecast needs at least one week of conversations")
	}
	// Handoff rate and handle time over the last four weeks.
	recent, err := s.st.ConvStats(ctx, store.StatsQuery{Tenant: tenant, From: now.Add(-28 * 24 * time.Hour), To: now})
	if err != nil {
		return storeError(c, err)
	}
	var handed, handleN int
	var handle int64
	for _, st := range recent {
		if st.HandedOff {
			handed++
		}
		if st.HandleMS > 0 {
			handle += st.HandleMS
			handleN++
		}
	}
	rate := 0.0
	if len(recent) > 0 {
		rate = float64(handed) / float64(len(recent))
	}
	aht := defaultAHT
	if handleN > 0 {
		aht = time.Duration(handle/int64(handleN)) * time.Millisecond
	}
	sched, _ := forecast.ParseSchedule(s.setting(ctx, tenant, SettingForecastSchedule))
	pred := model.Predict(from, days*24)
	out := ForecastReply{From: from, Days: days, HistoryHours: len(hist), HandoffRate: rate, AHTSeconds: aht.Seconds(), Target: target,
		Effects: model.Effects, Level: model.Level, Hours: make([]ForecastHour, len(pred))}
	for i, v := range pred {
		t := from.Add(time.Duration(i) * time.Hour)
		st, err := forecast.Staff(v*rate, aht, target)
		if err != nil {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
		}
		h := ForecastHour{T: t, Volume: roundTo(v, 2), Handoffs: roundTo(v*rate, 2), Kind: cal.Kind(t, promos), Staffing: st, Scheduled: sched.At(t)}
		h.Gap = st.Scheduled - h.Scheduled
		out.Hours[i] = h
	}
	if bt, err := forecast.Backtest(hist, histStart, cal, promos, 2); err == nil {
		out.Backtest = &bt
	}
	return c.JSON(out)
}

func roundTo(v float64, digits int) float64 {
	p := 1.0
	for range digits {
		p *= 10
	}
	return float64(int64(v*p+0.5)) / p
}
