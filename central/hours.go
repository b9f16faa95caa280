package central

import (
	"errors"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // business hours name IANA zones; the binary must not depend on the host's zoneinfo
)

// Hours are business hours: weekly opening spans in a time zone, minus
// holidays. The zero value is always open.
//
// The tenant settings hours.week, hours.tz and hours.holidays (and a
// team's Hours, "TZ|WEEK|HOLIDAYS", when set) are parsed by ParseHours:
//
//	hours.week      "mon-fri 09:00-18:00; sat 10:00-14:00"   (empty: always open)
//	hours.tz        "Europe/Berlin"                           (default UTC)
//	hours.holidays  "2026-12-25,2026-12-26"                   (dates in that zone)
//
// A span may end at 24:00; several spans of one day are separate entries
// ("mon 09:00-12:00; mon 13:00-18:00"). Outside the hours the queue tells
// the shopper reason after_hours with the time it opens again, callback
// requests become tickets due at that time, and the console shows them
// first to the morning shift.
type Hours struct {
	loc      *time.Location
	spans    [7][]span // by time.Weekday
	holidays map[string]bool
	always   bool
}

type span struct{ from, to int } // minutes of the day, [from, to)

// ErrHours is a malformed business-hours setting.
var ErrHours = errors.New("central: bad business hours")

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseHours parses the three settings (see Hours).
func ParseHours(week, tz, holidays string) (Hours, error) {
	h := Hours{loc: time.UTC, holidays: map[string]bool{}}
	if tz = strings.TrimSpace(tz); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return Hours{}, fmt.Errorf("%w: time zone %q: %v", ErrHours, tz, err)
		}
		h.loc = loc
	}
	for _, d := range strings.Split(holidays, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return Hours{}, fmt.Errorf("%w: holiday %q is not YYYY-MM-DD", ErrHours, d)
		}
		h.holidays[d] = true
	}
	week = strings.TrimSpace(week)
	if week == "" {
		h.always = true
		return h, nil
	}
	for _, part := range strings.Split(week, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		days, times, ok := strings.Cut(part, " ")
		if !ok {
			return Hours{}, fmt.Errorf("%w: %q: want DAYS HH:MM-HH:MM", ErrHours, part)
		}
		ds, err := parseDays(strings.ToLower(days))
		if err != nil {
			return Hours{}, err
		}
		sp, err := parseSpan(strings.TrimSpace(times))
		if err != nil {
			return Hours{}, err
		}
		for _, d := range ds {
			h.spans[d] = append(h.spans[d], sp)
		}
	}
	return h, nil
}

func parseDays(s string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, item := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(item, "-")
		from, ok1 := weekdays[a]
		to, ok2 := weekdays[b]
		if !isRange {
			to, ok2 = from, ok1
		}
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: days %q: use mon tue wed thu fri sat sun, ranges like mon-fri", ErrHours, item)
		}
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				break
			}
		}
	}
	return out, nil
}

func parseSpan(s string) (span, error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return span{}, fmt.Errorf("%w: %q: want HH:MM-HH:MM", ErrHours, s)
	}
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if err1 != nil || err2 != nil || to <= from {
		return span{}, fmt.Errorf("%w: %q: want HH:MM-HH:MM with the end after the start", ErrHours, s)
	}
	return span{from, to}, nil
}

func parseClock(s string) (int, error) {
	var hh, mm int
	if n, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &hh, &mm); err != nil || n != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm > 0 {
		return 0, fmt.Errorf("%w: clock %q", ErrHours, s)
	}
	return hh*60 + mm, nil
}

// Open reports whether t is within the hours.
func (h Hours) Open(t time.Time) bool {
	if h.loc == nil {
		return true
	}
	t = t.In(h.loc)
	if h.holidays[t.Format(time.DateOnly)] {
		return false
	}
	if h.always {
		return true
	}
	m := t.Hour()*60 + t.Minute()
	for _, sp := range h.spans[t.Weekday()] {
		if m >= sp.from && m < sp.to {
			return true
		}
	}
	return false
}

// NextOpen returns t when open, else the next time the hours open (within
// 366 days; zero when they never do).
func (h Hours) NextOpen(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	t = t.In(h.loc)
	for day := 0; day <= 366; day++ {
		d := time.Date(t.Year(), t.Month(), t.Day()+day, 0, 0, 0, 0, h.loc)
		if h.holidays[d.Format(time.DateOnly)] {
			continue
		}
		if h.always {
			return d
		}
		best := -1
		for _, sp := range h.spans[d.Weekday()] {
			start := d.Add(time.Duration(sp.from) * time.Minute)
			if !start.After(t) && day == 0 {
				continue
			}
			if best < 0 || sp.from < best {
				best = sp.from
			}
		}
		if best >= 0 {
			return d.Add(time.Duration(best) * time.Minute)
		}
	}
	return time.Time{}
}
