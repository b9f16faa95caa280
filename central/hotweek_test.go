package central

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

func TestParseWeek(t *testing.T) {
	now := time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC) // a Thursday
	for _, c := range []struct {
		in, name, start string
		bad             bool
	}{
		{"", "2026-W49", "2026-11-30", false},
		{"2026-W49", "2026-W49", "2026-11-30", false},
		{"2026w01", "2026-W01", "2025-12-29", false}, // week 1 starts in the year before
		{"2020-W53", "2020-W53", "2020-12-28", false},
		{"2021-W53", "", "", true}, // 2021 has 52 weeks
		{"2026-W00", "", "", true},
		{"2026-49", "", "", true},
		{"week 49", "", "", true},
	} {
		t.Run(c.in, func(t *testing.T) {
			name, start, err := parseWeek(c.in, now)
			if c.bad {
				if err == nil {
					t.Fatalf("%q accepted as %s", c.in, name)
				}
				return
			}
			if err != nil || name != c.name || start.Format(time.DateOnly) != c.start || start.Weekday() != time.Monday {
				t.Fatalf("%q → %s %s %v, want %s %s", c.in, name, start, err, c.name, c.start)
			}
		})
	}
}

func TestMaskedExample(t *testing.T) {
	for _, in := range []string{"write me at anna.k@example.com please", "call +44 20 7946 0958 about it"} {
		got := maskedExample(in)
		if strings.Contains(got, "anna.k@example.com") || strings.Contains(got, "7946 0958") {
			t.Errorf("maskedExample(%q) = %q", in, got)
		}
	}
	if got := maskedExample(strings.Repeat("长", 500)); len([]rune(got)) != maxExampleRunes+1 {
		t.Errorf("not cut: %d runes", len([]rune(got)))
	}
}

// TestHotWeekOverREST: the weekly report over the seeded history (the
// current week against the same span of the previous one, and a whole
// past week), with a kind of question never asked before flagged new and
// its examples masked.
func TestHotWeekOverREST(t *testing.T) {
	e, s, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	now := time.Now()
	opts := demoOpts(now)
	opts.Days = 15
	if _, _, err := s.SeedDemo(bg, opts); err != nil {
		t.Fatal(err)
	}
	novel := []string{"velvet llama plush colours", "velvet llama plush colours list", "velvet llama plush colours? anna@mail.io"}
	var ids []string
	for i, q := range novel {
		en := envelope("demo", fmt.Sprintf("vd%d", i), fmt.Sprintf("cd%d", i), chat.NewID(), q, "en")
		ids = append(ids, en.Message.ID)
		e.publish(en)
	}
	poll.Until(t, 20*time.Second, func() error {
		for _, id := range ids {
			if _, err := s.Store().Message(bg, "demo", id); err != nil {
				return err
			}
		}
		return nil
	})
	var r HotWeekReply
	poll.Until(t, 20*time.Second, func() error {
		r = HotWeekReply{}
		if code := api.do("GET", "/v1/knowledge/hot-topics?limit=200", tok, nil, &r); code != 200 {
			return fmt.Errorf("status %d", code)
		}
		for _, tp := range r.Topics {
			if tp.Count == 3 && strings.Contains(strings.Join(tp.Terms, " "), "llama") {
				return nil
			}
		}
		return fmt.Errorf("no llama topic yet in %d topics: %+v", len(r.Topics), r.Topics)
	})
	name, monday := weekOf(now)
	if r.Week != name || !r.From.Equal(monday) || !r.Partial || !r.PreviousFrom.Equal(monday.AddDate(0, 0, -7)) ||
		r.PreviousTo.Sub(r.PreviousFrom) != r.To.Sub(r.From) || r.Sampled == 0 {
		t.Fatalf("report %+v", r)
	}
	if r.Previous == 0 {
		t.Errorf("nothing sampled in the previous week: %+v", r)
	}
	news := 0
	for _, tp := range r.Topics {
		if tp.Trend != float64(int(float64(tp.Count-tp.Previous)/float64(max(tp.Previous, 1))*1000))/1000 {
			t.Errorf("trend of %+v", tp)
		}
		if tp.New {
			news++
		}
		for _, ex := range tp.Examples {
			if strings.Contains(ex, "anna@mail.io") {
				t.Errorf("unmasked example %q", ex)
			}
		}
		if strings.Contains(strings.Join(tp.Terms, " "), "llama") && (!tp.New || tp.Previous != 0) {
			t.Errorf("the llama topic is not flagged new: %+v", tp)
		}
	}
	if news != r.New || news == 0 {
		t.Errorf("new %d, counted %d", r.New, news)
	}
	// A whole past week: not partial, a full week before it.
	past, _ := weekOf(now.AddDate(0, 0, -7))
	var full HotWeekReply
	if code := api.do("GET", "/v1/knowledge/hot-topics?week="+past, tok, nil, &full); code != 200 || full.Partial || full.Week != past ||
		full.To.Sub(full.From) != 7*24*time.Hour || full.Sampled == 0 || len(full.Topics) == 0 {
		t.Fatalf("past week: %d %+v", code, full)
	}
	next, _ := weekOf(now.AddDate(0, 0, 7))
	for _, bad := range []string{"?week=" + next, "?week=nonsense"} {
		var ae apiErr
		if code := api.do("GET", "/v1/knowledge/hot-topics"+bad, tok, nil, &ae); code != 400 {
			t.Errorf("%s: %d %+v", bad, code, ae)
		}
	}
}
