// Package forecast predicts a tenant's hourly inbound volume and turns it
// into a staffing recommendation.
//
// # Volume model (Fit, Model.Predict)
//
// Hourly counts of new conversations are modelled multiplicatively:
//
//	volume(t) = level × profile[hour of week(t)] × effect[kind of day(t)]
//
// profile is the exponentially weighted mean (half-life HalfLife weeks) of
// each of the 168 hours of the week over the ordinary days of the history
// (days marked in the Calendar are left out so a promotion does not
// inflate a normal Tuesday); level scales the profile to the last week's
// ordinary volume, shrunk half-way to 1 so one odd week does not swing the
// forecast. effect is, for each kind of special day (a holiday, a
// promotion such as 11.11), the median ratio of the day's actual volume to
// the profile's prediction on the past days of that kind; a kind never seen
// in the history has effect 1 (the model says so: Model.Effects).
//
// Backtest holds out each of the last weeks in turn, fits on the history
// before it, predicts its 168 hours and reports the mean absolute
// percentage error (MAPE, over hours with a non-zero actual) and the
// weighted absolute percentage error (WAPE = Σ|error| / Σ actual), next to
// the seasonal-naive baseline (each hour as the same hour a week earlier).
//
// # Staffing (Erlang C)
//
// ErlangC is the probability that a contact waits in an M/M/N queue with
// offered traffic A erlangs (A = arrivals per hour × handle time in hours);
// ServiceLevel is 1 − C·e^(−(N−A)·T/AHT), the share answered within T; ASA
// = C·AHT/(N−A). Staff returns the least N reaching a target service level
// (e.g. 80% within 20 s), then divides by (1 − shrinkage) for breaks,
// training and absence. They are checked against the published worked
// example of Call Centre Helper ("Erlang C formula – made simple": 100
// calls per 30 minutes, AHT 180 s, 80/20 → 14 agents, 20 with 30%
// shrinkage) in erlang_test.go.
package forecast

import (
	"errors"
	"math"
	"time"
)

// ErrInput refuses impossible staffing inputs.
var ErrInput = errors.New("forecast: invalid input")

// ErlangC returns the probability that a contact has to wait with n agents
// and a erlangs of offered traffic (1 when n ≤ a: the queue never clears).
// It uses the Erlang B recursion, stable for hundreds of agents.
func ErlangC(n int, a float64) float64 {
	if a <= 0 {
		return 0
	}
	if float64(n) <= a {
		return 1
	}
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return float64(n) * b / (float64(n) - a*(1-b))
}

// ServiceLevel is the share of contacts answered within target with n
// agents, a erlangs and average handle time aht.
func ServiceLevel(n int, a float64, aht, target time.Duration) float64 {
	if a <= 0 {
		return 1
	}
	if float64(n) <= a {
		return 0
	}
	return 1 - ErlangC(n, a)*math.Exp(-(float64(n)-a)*target.Seconds()/aht.Seconds())
}

// ASA is the average speed of answer with n agents (+Inf when n ≤ a).
func ASA(n int, a float64, aht time.Duration) time.Duration {
	if a <= 0 {
		return 0
	}
	if float64(n) <= a {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ErlangC(n, a) * aht.Seconds() / (float64(n) - a) * float64(time.Second))
}

// Target is a service-level goal: Level of contacts answered within Within.
type Target struct {
	Level  float64       `json:"level"`
	Within time.Duration `json:"within"`
	// Shrinkage is the share of paid time agents are not available (0–0.9).
	Shrinkage float64 `json:"shrinkage"`
}

// Staffing is the recommendation for one interval.
type Staffing struct {
	// Erlangs is the offered traffic.
	Erlangs float64 `json:"erlangs"`
	// Agents is the least number of agents on the queue that meets the
	// target; Scheduled divides it by (1 − shrinkage), rounded up.
	Agents    int     `json:"agents"`
	Scheduled int     `json:"scheduled"`
	SL        float64 `json:"service_level"`
	// PWait is the probability of waiting, ASA the average speed of answer (s).
	PWait     float64 `json:"p_wait"`
	ASA       float64 `json:"asa_s"`
	Occupancy float64 `json:"occupancy"`
}

// Staff returns the staffing that meets t for contacts arriving at
// perHour with average handle time aht.
func Staff(perHour float64, aht time.Duration, t Target) (Staffing, error) {
	if perHour < 0 || math.IsNaN(perHour) || math.IsInf(perHour, 0) || aht <= 0 || t.Level <= 0 || t.Level >= 1 || t.Within < 0 ||
		t.Shrinkage < 0 || t.Shrinkage > 0.9 {
		return Staffing{}, ErrInput
	}
	a := perHour * aht.Hours()
	if a == 0 {
		return Staffing{}, nil
	}
	if a > 10000 {
		return Staffing{}, ErrInput
	}
	n := int(math.Floor(a)) + 1
	for ServiceLevel(n, a, aht, t.Within) < t.Level {
		n++
	}
	s := Staffing{Erlangs: a, Agents: n, SL: ServiceLevel(n, a, aht, t.Within), PWait: ErlangC(n, a),
		ASA: ASA(n, a, aht).Seconds(), Occupancy: a / float64(n)}
	s.Scheduled = int(math.Ceil(float64(n)/(1-t.Shrinkage) - 1e-9))
	return s, nil
}
