package analytics

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// BusinessHours are the hours a tenant's agents work, for response times
// measured "within business hours" (tenant setting analytics.business_hours).
// A nil *BusinessHours means around the clock.
type BusinessHours struct {
	Loc *time.Location
	// Open and Close are minutes after midnight per weekday; a day with
	// Open == Close is closed.
	Open, Close [7]int
}

// ErrHours refuses a malformed business-hours specification.
var ErrHours = errors.New("analytics: malformed business hours")

// ParseHours parses "Mon-Fri 09:00-18:00; Sat 10:00-14:00 @Asia/Shanghai"
// (days Mon…Sun, ranges of days with '-', several clauses separated by ';',
// an optional IANA zone after '@', UTC by default). "" means none (nil).
func ParseHours(spec string) (*BusinessHours, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, nil
	}
	h := &BusinessHours{Loc: time.UTC}
	if body, zone, ok := strings.Cut(spec, "@"); ok {
		loc, err := time.LoadLocation(strings.TrimSpace(zone))
		if err != nil {
			return nil, fmt.Errorf("%w: zone %q: %v", ErrHours, zone, err)
		}
		h.Loc, spec = loc, body
	}
	days := map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	for clause := range strings.SplitSeq(spec, ";") {
		f := strings.Fields(clause)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: %q: want DAYS HH:MM-HH:MM", ErrHours, clause)
		}
		d0, d1, _ := strings.Cut(strings.ToLower(f[0]), "-")
		if d1 == "" {
			d1 = d0
		}
		a, ok1 := days[d0]
		b, ok2 := days[d1]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: days %q", ErrHours, f[0])
		}
		t0, t1, ok := strings.Cut(f[1], "-")
		if !ok {
			return nil, fmt.Errorf("%w: hours %q", ErrHours, f[1])
		}
		open, err1 := clock(t0)
		shut, err2 := clock(t1)
		if err1 != nil || err2 != nil || shut <= open {
			return nil, fmt.Errorf("%w: hours %q", ErrHours, f[1])
		}
		for d := a; ; d = (d + 1) % 7 {
			h.Open[d], h.Close[d] = open, shut
			if d == b {
				break
			}
		}
	}
	return h, nil
}

func clock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok {
		return 0, ErrHours
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, ErrHours
	}
	return h*60 + m, nil
}

// Between is the part of [a, b) inside business hours; for a nil receiver
// it is b − a. It is 0 when b is before a.
func (h *BusinessHours) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if h == nil {
		return b.Sub(a)
	}
	a, b = a.In(h.Loc), b.In(h.Loc)
	var total time.Duration
	day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, h.Loc)
	for !day.After(b) {
		wd := day.Weekday()
		if h.Close[wd] > h.Open[wd] {
			open := day.Add(time.Duration(h.Open[wd]) * time.Minute)
			shut := day.Add(time.Duration(h.Close[wd]) * time.Minute)
			s, e := later(a, open), earlier(b, shut)
			if e.After(s) {
				total += e.Sub(s)
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, h.Loc)
	}
	return total
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
