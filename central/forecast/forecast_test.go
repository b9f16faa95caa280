package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.4f, want %.4f ± %g", what, got, want, tol)
	}
}

// TestErlangCWorkedExamples checks the published worked examples.
func TestErlangCWorkedExamples(t *testing.T) {
	// Call Centre Helper, "Erlang C formula – made simple": 100 calls in 30
	// minutes, AHT 180 s → 10 erlangs. With 11 agents the chance of waiting
	// is 68.21%, 39% are answered within 20 s, ASA 122.8 s; 14 agents give
	// 88.84% within 20 s (13 give 79.6%, short of 80%); with 30% shrinkage
	// 20 agents must be scheduled.
	aht := 180 * time.Second
	near(t, "Pw(11, 10)", ErlangC(11, 10), 0.6821, 0.00005)
	near(t, "SL(11)", ServiceLevel(11, 10, aht, 20*time.Second), 0.3896, 0.00005)
	near(t, "ASA(11)", ASA(11, 10, aht).Seconds(), 122.8, 0.05)
	near(t, "SL(13)", ServiceLevel(13, 10, aht, 20*time.Second), 0.7956, 0.00005)
	s, err := Staff(200, aht, Target{Level: 0.8, Within: 20 * time.Second, Shrinkage: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if s.Agents != 14 || s.Scheduled != 20 || math.Abs(s.SL-0.8884) > 0.00005 || math.Abs(s.Erlangs-10) > 1e-9 {
		t.Fatalf("staffing %+v", s)
	}
	// Mathematica's ErlangC documentation: 30 calls/hour, 5-minute service,
	// the fewest employees for a 90% chance of no delay is 6
	// (ErlangC[5, 2.5] = 0.1304, ErlangC[6, 2.5] = 0.0474).
	near(t, "C(5, 2.5)", ErlangC(5, 2.5), 0.1304, 0.00005)
	near(t, "C(6, 2.5)", ErlangC(6, 2.5), 0.0474, 0.00005)
	// Saturated and empty queues.
	if ErlangC(10, 10) != 1 || ServiceLevel(5, 10, aht, time.Second) != 0 || ErlangC(3, 0) != 0 {
		t.Error("edge cases")
	}
	// Large centres stay finite (no factorial overflow).
	if c := ErlangC(500, 480); c <= 0 || c >= 1 || math.IsNaN(c) {
		t.Errorf("C(500, 480) = %v", c)
	}
	if z, err := Staff(0, aht, Target{Level: 0.8, Within: 20 * time.Second}); err != nil || z.Agents != 0 {
		t.Errorf("no traffic: %+v %v", z, err)
	}
	for _, bad := range []Target{{Level: 1}, {Level: 0}, {Level: 0.8, Shrinkage: 0.95}, {Level: 0.8, Within: -1}} {
		if _, err := Staff(10, aht, bad); !errors.Is(err, ErrInput) {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, err := Staff(math.NaN(), aht, Target{Level: 0.8}); !errors.Is(err, ErrInput) {
		t.Error("NaN accepted")
	}
}

// synthetic is an hourly series with a daily curve, a weekly pattern, a
// promotion effect on calendar days and Poisson noise.
func synthetic(start time.Time, hours int, cal Calendar, promo float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]float64, hours)
	for i := range out {
		t := start.Add(time.Duration(i) * time.Hour)
		rate := 20 * (0.2 + math.Max(0, math.Sin(math.Pi*float64(t.Hour()-7)/15))) // day hours
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			rate *= 0.6
		}
		if cal.Kind(t, false) != "" {
			rate *= promo
		}
		out[i] = float64(poisson(r, rate))
	}
	return out
}

func poisson(r *rand.Rand, lambda float64) int {
	// Knuth for small λ, normal approximation above.
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// TestModelLearnsPromotionEffect: with two past promotion days at 3× the
// model predicts a future promotion day near 3× its ordinary level, and
// beats the seasonal-naive baseline on a held-out week that holds one.
func TestModelLearnsPromotionEffect(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // Monday
	cal := Calendar{"2026-01-21": "promotion", "2026-02-04": "promotion", "2026-02-25": "promotion"}
	series := synthetic(start, 9*7*24, cal, 3, 7)
	m, err := Fit(series[:7*7*24], start, cal, false) // 7 weeks: ends 2026-02-23
	if err != nil {
		t.Fatal(err)
	}
	near(t, "promotion effect", m.Effects["promotion"], 3, 0.3)
	near(t, "level", m.Level, 1, 0.1)
	pred := m.Predict(start.Add(7*7*24*time.Hour), 7*24)
	var promoDay, plainDay float64
	for h := range 24 {
		plainDay += pred[24+h] // Tue 02-24
		promoDay += pred[48+h] // Wed 02-25
	}
	near(t, "promotion day / ordinary weekday", promoDay/plainDay, 3, 0.4)

	res, err := Backtest(series, start, cal, false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Weeks) != 2 || res.Model.WAPE >= res.Naive.WAPE || res.Model.DailyMAPE >= res.Naive.DailyMAPE {
		t.Fatalf("backtest: model %+v naive %+v", res.Model, res.Naive)
	}
	t.Logf("backtest on synthetic data: model %+v, seasonal naive %+v", res.Model, res.Naive)
}

func TestFitRefusesShortHistory(t *testing.T) {
	if _, err := Fit(make([]float64, 100), time.Now(), nil, true); !errors.Is(err, ErrHistory) {
		t.Fatal(err)
	}
	if _, err := Backtest(make([]float64, 200), time.Now(), nil, true, 2); !errors.Is(err, ErrHistory) {
		t.Fatal(err)
	}
}

func TestSeasonalNaive(t *testing.T) {
	h := make([]float64, 168)
	for i := range h {
		h[i] = float64(i)
	}
	p := SeasonalNaive(h, 200)
	if p[0] != 0 || p[167] != 167 || p[168] != 0 || p[199] != 31 {
		t.Fatalf("%v %v %v %v", p[0], p[167], p[168], p[199])
	}
}

func TestCalendar(t *testing.T) {
	c, err := ParseCalendar("2026-10-01 holiday; 2026-11-11 double11")
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind(time.Date(2026, 10, 1, 13, 0, 0, 0, time.UTC), true) != "holiday" ||
		c.Kind(time.Date(2026, 11, 11, 1, 0, 0, 0, time.UTC), true) != "double11" ||
		c.Kind(time.Date(2027, 6, 18, 1, 0, 0, 0, time.UTC), true) != "promotion" ||
		c.Kind(time.Date(2027, 6, 18, 1, 0, 0, 0, time.UTC), false) != "" {
		t.Fatal("kinds")
	}
	for _, bad := range []string{"2026-13-01 x", "tomorrow promo", "2026-01-01"} {
		if _, err := ParseCalendar(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseCalendar(f *testing.F) {
	f.Add("2026-10-01 holiday; 2026-11-11 promotion")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCalendar(s)
		if err == nil {
			for d := range c {
				if _, err := time.Parse("2006-01-02", d); err != nil {
					t.Fatalf("kept bad date %q", d)
				}
			}
		}
	})
}

func TestParseSchedule(t *testing.T) {
	s, err := ParseSchedule("Mon-Fri 09:00-18:00 3; Fri 17:00-20:00 2; Sun 10:00-12:00 1")
	if err != nil {
		t.Fatal(err)
	}
	mon9 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if s.At(mon9) != 3 || s.At(mon9.Add(-time.Hour)) != 0 || s.At(mon9.Add(4*24*time.Hour+8*time.Hour)) != 5 || s.At(mon9.Add(6*24*time.Hour+time.Hour)) != 1 {
		t.Fatalf("schedule %v", s)
	}
	for _, bad := range []string{"Mon 09:00-18:00", "Mon 09:30-18:00 2", "Mon 18:00-09:00 1", "Xyz 09:00-10:00 1", "Mon 09:00-10:00 -1"} {
		if _, err := ParseSchedule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
