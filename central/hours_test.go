package central

import (
	"errors"
	"testing"
	"time"
)

func TestHours(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	h, err := ParseHours("mon-fri 09:00-18:00; sat 10:00-14:00", "Europe/Berlin", "2026-12-25")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		when string
		open bool
		next string
	}{
		{"2026-12-07 08:59", false, "2026-12-07 09:00"}, // Monday before opening
		{"2026-12-07 09:00", true, "2026-12-07 09:00"},
		{"2026-12-07 17:59", true, "2026-12-07 17:59"},
		{"2026-12-07 18:00", false, "2026-12-08 09:00"},
		{"2026-12-12 13:00", true, "2026-12-12 13:00"},  // Saturday
		{"2026-12-12 14:30", false, "2026-12-14 09:00"}, // Saturday after closing: Monday
		{"2026-12-13 12:00", false, "2026-12-14 09:00"}, // Sunday
		{"2026-12-25 10:00", false, "2026-12-26 10:00"}, // a holiday (Friday): Saturday
	}
	for _, tt := range tests {
		now := at(tt.when)
		if got := h.Open(now); got != tt.open {
			t.Errorf("Open(%s) = %v", tt.when, got)
		}
		if got := h.NextOpen(now); !got.Equal(at(tt.next)) {
			t.Errorf("NextOpen(%s) = %s, want %s", tt.when, got.In(berlin).Format("2006-01-02 15:04"), tt.next)
		}
	}
	if !(Hours{}).Open(time.Now()) {
		t.Error("zero Hours closed")
	}
	always, _ := ParseHours("", "", "2026-12-25")
	if always.Open(at("2026-12-25 12:00")) || !always.Open(at("2026-12-24 03:00")) {
		t.Error("always-open hours with a holiday")
	}
	for _, bad := range []struct{ week, tz, hol string }{
		{"mon 09:00", "", ""}, {"funday 09:00-10:00", "", ""}, {"mon 18:00-09:00", "", ""}, {"mon 09:00-25:00", "", ""},
		{"", "Mars/Olympus", ""}, {"", "", "25.12.2026"}, {"mon-fri 9-18", "", ""},
	} {
		if _, err := ParseHours(bad.week, bad.tz, bad.hol); !errors.Is(err, ErrHours) {
			t.Errorf("ParseHours(%q, %q, %q) = %v", bad.week, bad.tz, bad.hol, err)
		}
	}
	team, err := ParseTeamHours("Asia/Shanghai|mon-sun 09:00-21:00|")
	if err != nil || team.Open(time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)) || !team.Open(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("team hours %v", err)
	}
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"mon-fri 09:00-18:00; sat 10:00-14:00", "sun,sat 00:00-24:00", "", ";;", "mon 9:0-9:1"} {
		f.Add(s, "Europe/Berlin", "2026-12-25")
	}
	f.Fuzz(func(t *testing.T, week, tz, hol string) {
		h, err := ParseHours(week, tz, hol)
		if err != nil {
			return
		}
		now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
		if n := h.NextOpen(now); !n.IsZero() && !h.Open(n) {
			t.Fatalf("NextOpen %s is not open", n)
		}
	})
}
