package central

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/plugins/pii"
)

// The weekly hot-topic report: GET /v1/knowledge/hot-topics?week=YYYY-Www
//
// It is the hot topics of GET /v1/analytics/topics (topics.go: the opening
// questions clustered by intent and, for the others, with the knowledge
// gaps' term clustering) over one ISO week (Monday 00:00 UTC to the next
// Monday) against the week before, with each cluster's topics of the
// tenant's topic tree. The current week is compared over the same elapsed
// span of the previous one (Monday to the same weekday and hour), so a
// trend is not the artefact of a half week. Examples are masked again
// (plugins/pii) before they leave: the stored texts passed the region's
// pipeline already, this is a second net.

// HotWeekReply answers GET /v1/knowledge/hot-topics.
type HotWeekReply struct {
	// Week is the ISO week, "2026-W49".
	Week         string    `json:"week"`
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	PreviousFrom time.Time `json:"previous_from"`
	PreviousTo   time.Time `json:"previous_to"`
	// Partial is true for the current week (To is now).
	Partial  bool    `json:"partial"`
	Sampled  int     `json:"sampled"`
	Previous int     `json:"previous_sampled"`
	Topics   []Topic `json:"topics"`
	// New counts the topics flagged new.
	New int `json:"new"`
}

// maxExampleRunes bounds a report example.
const maxExampleRunes = 200

// maskedExample masks personal data and cuts the text.
func maskedExample(text string) string {
	t := pii.Redact(text, pii.Options{}).Text
	if r := []rune(t); len(r) > maxExampleRunes {
		t = string(r[:maxExampleRunes]) + "…"
	}
	return t
}

// isoWeekStart returns the Monday 00:00 UTC of ISO week w of year y.
func isoWeekStart(y, w int) time.Time {
	// January 4th is always in week 1.
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	wd := (int(jan4.Weekday()) + 6) % 7 // Monday = 0
	return jan4.AddDate(0, 0, -wd+7*(w-1))
}

// weekOf returns the ISO week name and its Monday of t.
func weekOf(t time.Time) (string, time.Time) {
	t = t.UTC()
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w), isoWeekStart(y, w)
}

// parseWeek reads "2026-W49" (also "2026-w49", "2026W49"); "" is the week of now.
func parseWeek(s string, now time.Time) (string, time.Time, error) {
	if s == "" {
		name, start := weekOf(now)
		return name, start, nil
	}
	up := strings.ToUpper(strings.TrimSpace(s))
	ys, ws, ok := strings.Cut(strings.Replace(up, "-W", "W", 1), "W")
	y, err1 := strconv.Atoi(ys)
	w, err2 := strconv.Atoi(ws)
	if !ok || err1 != nil || err2 != nil || len(ys) != 4 || w < 1 || w > 53 {
		return "", time.Time{}, fmt.Errorf("week %q: want an ISO week such as 2026-W49", s)
	}
	start := isoWeekStart(y, w)
	if gy, gw := start.ISOWeek(); gy != y || gw != w {
		return "", time.Time{}, fmt.Errorf("week %q: %d has no week %d", s, y, w)
	}
	return fmt.Sprintf("%04d-W%02d", y, w), start, nil
}

// HotWeek builds tenant's hot-topic report of the ISO week starting at start.
func (s *Service) HotWeek(ctx context.Context, tenant, name string, start, now time.Time) (HotWeekReply, error) {
	end := start.AddDate(0, 0, 7)
	r := HotWeekReply{Week: name, From: start, To: end, PreviousFrom: start.AddDate(0, 0, -7), PreviousTo: start}
	if now.Before(end) {
		r.To, r.Partial = now.UTC(), true
		r.PreviousTo = r.PreviousFrom.Add(r.To.Sub(r.From))
	}
	if !r.To.After(r.From) {
		return HotWeekReply{}, fmt.Errorf("week %s: %w", name, errFutureWeek)
	}
	if err := s.refreshStats(ctx, tenant); err != nil {
		return HotWeekReply{}, err
	}
	cur, err := s.st.OpeningQuestions(ctx, tenant, r.From, r.To, topicSample)
	if err != nil {
		return HotWeekReply{}, err
	}
	prev, err := s.st.OpeningQuestions(ctx, tenant, r.PreviousFrom, r.PreviousTo, topicSample)
	if err != nil {
		return HotWeekReply{}, err
	}
	r.Sampled, r.Previous = len(cur), len(prev)
	r.Topics = s.labelTopics(ctx, tenant, clusterTopics(cur, prev))
	for i := range r.Topics {
		t := &r.Topics[i]
		for j := range t.Examples {
			t.Examples[j] = maskedExample(t.Examples[j])
		}
		if t.New {
			r.New++
		}
	}
	return r, nil
}

var errFutureWeek = errors.New("central: the week has not started")

func (s *Service) knowledgeHotWeek(c *fiber.Ctx) error {
	now := time.Now()
	name, start, err := parseWeek(c.Query("week"), now)
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	r, err := s.HotWeek(c.UserContext(), tenantOf(c), name, start, now)
	if err != nil {
		if errors.Is(err, errFutureWeek) {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
		}
		return storeError(c, err)
	}
	if limit := min(max(c.QueryInt("limit", 30), 1), 200); len(r.Topics) > limit {
		r.Topics = r.Topics[:limit]
	}
	return c.JSON(r)
}
