package forecast

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Model parameters.
const (
	// HalfLife is the age (in weeks) at which a past week counts half.
	HalfLife = 2.0
	// LevelShrink pulls the level correction half-way back to 1.
	LevelShrink = 0.5
	// MinHistory is the least history Fit accepts.
	MinHistory = 7 * 24
)

// ErrHistory refuses a history too short to fit.
var ErrHistory = errors.New("forecast: history shorter than one week")

// Calendar marks special days (UTC dates "2026-11-11") with a kind
// ("promotion", "holiday", "11.11"…). Kinds are free text; days of one kind
// share one effect.
type Calendar map[string]string

// DefaultPromotions are China's e-commerce festival days (618, Double 11,
// Double 12), marked for every year as kind "promotion".
var DefaultPromotions = []string{"06-18", "11-11", "12-12"}

// Kind returns the kind of day t ("" for an ordinary day): an explicit
// entry first, then DefaultPromotions when withDefaults.
func (c Calendar) Kind(t time.Time, withDefaults bool) string {
	d := t.UTC().Format("2006-01-02")
	if k, ok := c[d]; ok {
		return k
	}
	if withDefaults && slices.Contains(DefaultPromotions, d[5:]) {
		return "promotion"
	}
	return ""
}

// ParseCalendar parses "2026-10-01 holiday; 2026-11-11 promotion".
func ParseCalendar(spec string) (Calendar, error) {
	c := Calendar{}
	for part := range strings.SplitSeq(spec, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("forecast: calendar entry %q: want DATE KIND", strings.TrimSpace(part))
		}
		if _, err := time.Parse("2006-01-02", f[0]); err != nil {
			return nil, fmt.Errorf("forecast: calendar date %q: want YYYY-MM-DD", f[0])
		}
		c[f[0]] = f[1]
	}
	return c, nil
}

// Model is a fitted volume model.
type Model struct {
	// Profile is the expected volume of each hour of the week (index
	// weekday×24 + hour, Sunday = 0) at level 1.
	Profile [168]float64 `json:"-"`
	Level   float64      `json:"level"`
	// Effects are the multipliers of special days, by kind.
	Effects  map[string]float64 `json:"effects"`
	cal      Calendar
	defaults bool
}

func how(t time.Time) int { t = t.UTC(); return int(t.Weekday())*24 + t.Hour() }

// Fit fits a model to hourly counts; history[i] is the volume of the hour
// starting at start + i hours (start is truncated to the hour). cal marks
// special days; withDefaults adds DefaultPromotions.
func Fit(history []float64, start time.Time, cal Calendar, withDefaults bool) (Model, error) {
	if len(history) < MinHistory {
		return Model{}, ErrHistory
	}
	start = start.UTC().Truncate(time.Hour)
	m := Model{Effects: map[string]float64{}, cal: cal, defaults: withDefaults}
	end := start.Add(time.Duration(len(history)) * time.Hour)
	var sum, wsum [168]float64
	for i, y := range history {
		t := start.Add(time.Duration(i) * time.Hour)
		if cal.Kind(t, withDefaults) != "" {
			continue
		}
		age := end.Sub(t).Hours() / (24 * 7)
		w := math.Pow(0.5, age/HalfLife)
		h := how(t)
		sum[h] += w * y
		wsum[h] += w
	}
	// An hour of the week never seen on an ordinary day borrows the mean
	// of the same hour on the other days.
	for h := range 168 {
		if wsum[h] > 0 {
			m.Profile[h] = sum[h] / wsum[h]
			continue
		}
		var s, n float64
		for d := range 7 {
			if k := d*24 + h%24; wsum[k] > 0 {
				s += sum[k] / wsum[k]
				n++
			}
		}
		if n > 0 {
			m.Profile[h] = s / n
		}
	}
	// Level: last week's ordinary volume against the profile.
	var act, exp float64
	for i := max(0, len(history)-7*24); i < len(history); i++ {
		t := start.Add(time.Duration(i) * time.Hour)
		if cal.Kind(t, withDefaults) != "" {
			continue
		}
		act += history[i]
		exp += m.Profile[how(t)]
	}
	m.Level = 1
	if exp > 0 && act > 0 {
		m.Level = 1 + LevelShrink*(act/exp-1)
	}
	// Effects: median ratio of actual to profile over each kind's days.
	days := map[string]*[2]float64{} // date → actual, expected
	kinds := map[string]string{}
	for i, y := range history {
		t := start.Add(time.Duration(i) * time.Hour)
		k := cal.Kind(t, withDefaults)
		if k == "" {
			continue
		}
		d := t.Format("2006-01-02")
		if days[d] == nil {
			days[d] = &[2]float64{}
		}
		days[d][0] += y
		days[d][1] += m.Profile[how(t)]
		kinds[d] = k
	}
	ratios := map[string][]float64{}
	for d, v := range days {
		if v[1] > 0 {
			ratios[kinds[d]] = append(ratios[kinds[d]], v[0]/v[1])
		}
	}
	for k, r := range ratios {
		sort.Float64s(r)
		m.Effects[k] = r[len(r)/2]
		if len(r)%2 == 0 {
			m.Effects[k] = (r[len(r)/2-1] + r[len(r)/2]) / 2
		}
	}
	return m, nil
}

// Predict returns the expected volume of hours hours from from (truncated
// to the hour).
func (m Model) Predict(from time.Time, hours int) []float64 {
	from = from.UTC().Truncate(time.Hour)
	out := make([]float64, hours)
	for i := range out {
		t := from.Add(time.Duration(i) * time.Hour)
		v := m.Level * m.Profile[how(t)]
		if k := m.cal.Kind(t, m.defaults); k != "" {
			if e, ok := m.Effects[k]; ok {
				v *= e
			}
		}
		out[i] = v
	}
	return out
}

// SeasonalNaive predicts each hour as the same hour one week earlier;
// history must hold at least a week.
func SeasonalNaive(history []float64, hours int) []float64 {
	out := make([]float64, hours)
	n := len(history)
	for i := range out {
		// Hour n+i is predicted by hour n+i−168, itself predicted when it
		// lies in the future.
		j := n + i - 168
		for j >= n {
			j -= 168
		}
		out[i] = history[j]
	}
	return out
}

// Errors are forecast errors over one held-out period.
type Errors struct {
	// MAPE is the mean of |actual − predicted| / actual over hours with
	// actual > 0; WAPE is Σ|actual − predicted| / Σ actual.
	MAPE float64 `json:"mape"`
	WAPE float64 `json:"wape"`
	// DailyMAPE is MAPE over daily totals.
	DailyMAPE float64 `json:"daily_mape"`
}

// Score compares predicted to actual (hourly, aligned, starting at a day boundary).
func Score(actual, predicted []float64) Errors {
	var ape, n, abs, tot float64
	for i, a := range actual {
		e := math.Abs(a - predicted[i])
		abs += e
		tot += a
		if a > 0 {
			ape += e / a
			n++
		}
	}
	var e Errors
	if n > 0 {
		e.MAPE = ape / n
	}
	if tot > 0 {
		e.WAPE = abs / tot
	}
	var dape, dn float64
	for d := 0; d+24 <= len(actual); d += 24 {
		var a, p float64
		for i := d; i < d+24; i++ {
			a += actual[i]
			p += predicted[i]
		}
		if a > 0 {
			dape += math.Abs(a-p) / a
			dn++
		}
	}
	if dn > 0 {
		e.DailyMAPE = dape / dn
	}
	return e
}

// WeekResult is one held-out week of a backtest.
type WeekResult struct {
	Start time.Time `json:"start"`
	Model Errors    `json:"model"`
	Naive Errors    `json:"seasonal_naive"`
}

// BacktestResult is a backtest over held-out weeks, with the means.
type BacktestResult struct {
	Weeks []WeekResult `json:"weeks"`
	Model Errors       `json:"model"`
	Naive Errors       `json:"seasonal_naive"`
}

// Backtest holds out each of the last weeks weeks of history in turn (at
// least two weeks of history must precede each) and scores the model
// against the seasonal-naive baseline.
func Backtest(history []float64, start time.Time, cal Calendar, withDefaults bool, weeks int) (BacktestResult, error) {
	start = start.UTC().Truncate(time.Hour)
	var r BacktestResult
	const week = 7 * 24
	for k := weeks; k >= 1; k-- {
		cut := len(history) - k*week
		if cut < 2*week {
			continue
		}
		m, err := Fit(history[:cut], start, cal, withDefaults)
		if err != nil {
			return r, err
		}
		actual := history[cut : cut+week]
		w := WeekResult{Start: start.Add(time.Duration(cut) * time.Hour),
			Model: Score(actual, m.Predict(start.Add(time.Duration(cut)*time.Hour), week)),
			Naive: Score(actual, SeasonalNaive(history[:cut], week))}
		r.Weeks = append(r.Weeks, w)
	}
	if len(r.Weeks) == 0 {
		return r, ErrHistory
	}
	for _, w := range r.Weeks {
		r.Model.MAPE += w.Model.MAPE / float64(len(r.Weeks))
		r.Model.WAPE += w.Model.WAPE / float64(len(r.Weeks))
		r.Model.DailyMAPE += w.Model.DailyMAPE / float64(len(r.Weeks))
		r.Naive.MAPE += w.Naive.MAPE / float64(len(r.Weeks))
		r.Naive.WAPE += w.Naive.WAPE / float64(len(r.Weeks))
		r.Naive.DailyMAPE += w.Naive.DailyMAPE / float64(len(r.Weeks))
	}
	return r, nil
}

// Schedule is the number of agents scheduled in each hour of the week
// (index weekday×24 + hour, Sunday = 0, UTC).
type Schedule [168]int

// ParseSchedule parses "Mon-Fri 09:00-18:00 3; Sat 10:00-16:00 1": days,
// hours and the number of agents on shift; clauses add up where they
// overlap. "" is an empty schedule.
func ParseSchedule(spec string) (Schedule, error) {
	var s Schedule
	days := map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	for clause := range strings.SplitSeq(spec, ";") {
		f := strings.Fields(clause)
		if len(f) == 0 {
			continue
		}
		bad := fmt.Errorf("forecast: schedule %q: want DAYS HH:MM-HH:MM AGENTS", strings.TrimSpace(clause))
		if len(f) != 3 {
			return s, bad
		}
		d0, d1, _ := strings.Cut(strings.ToLower(f[0]), "-")
		if d1 == "" {
			d1 = d0
		}
		a, ok1 := days[d0]
		b, ok2 := days[d1]
		t0, t1, ok3 := strings.Cut(f[1], ":00-")
		n, err := strconv.Atoi(f[2])
		if !ok1 || !ok2 || !ok3 || err != nil || n < 0 || n > 10000 {
			return s, bad
		}
		h0, err0 := strconv.Atoi(t0)
		h1, err1 := strconv.Atoi(strings.TrimSuffix(t1, ":00"))
		if err0 != nil || err1 != nil || h0 < 0 || h1 > 24 || h1 <= h0 || !strings.HasSuffix(t1, ":00") {
			return s, bad
		}
		for d := a; ; d = (d + 1) % 7 {
			for h := h0; h < h1; h++ {
				s[d*24+h] += n
			}
			if d == b {
				break
			}
		}
	}
	return s, nil
}

// At returns the agents scheduled in the hour of t.
func (s Schedule) At(t time.Time) int { return s[how(t)] }
