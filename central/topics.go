package central

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/chat"
)

// Hot topics: GET /v1/analytics/topics?from=&to=[&limit=]
//
// The opening questions of the period's conversations (at most
// topicSample) and of the period of the same length before it are
// clustered together: a question the intent model labelled joins its
// intent's topic; the others are clustered with the knowledge hub's term
// sets and Jaccard similarity (the clustering of the knowledge gaps,
// gaps.go), so new kinds of questions surface as their own topics. Each topic
// has its count in the period and in the one before, its trend, three
// examples, its most frequent intent and top terms; a topic with at least
// newTopicMin questions now and none before is flagged new.

const (
	topicSample = 2000
	newTopicMin = 3
)

// Topic is one cluster of shopper questions.
type Topic struct {
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Intent   string   `json:"intent,omitempty"`
	Terms    []string `json:"terms"`
	Count    int      `json:"count"`
	Previous int      `json:"previous"`
	// Trend is (count − previous) / max(previous, 1).
	Trend    float64  `json:"trend"`
	New      bool     `json:"new"`
	Examples []string `json:"examples"`
	// Conversations are ids of the period's conversations in the topic (at most 20), for the drill-down.
	Conversations []string `json:"conversations"`
	// Topics are the topics of the tenant's topic tree the cluster is
	// about (kbtopics.go); a cluster without an intent is labelled with them.
	Topics []TopicRef `json:"topics"`
}

// TopicsReply answers GET /v1/analytics/topics.
type TopicsReply struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Sampled  int       `json:"sampled"`
	Previous int       `json:"previous_sampled"`
	Topics   []Topic   `json:"topics"`
}

// vagueIntents say nothing about the topic of a question.
var vagueIntents = map[string]bool{"human": true, "fallback": true, "greeting": true, "thanks": true, "other": true}

type topicAcc struct {
	terms   []map[string]struct{}
	cur     int
	prev    int
	ex      []string
	convs   []string
	intents map[string]int
	words   map[string]int
	first   string
}

// clusterTopics clusters the current and previous questions.
func clusterTopics(cur, prev []chat.Message) []Topic {
	var cs []*topicAcc
	// Identical term sets go to one cluster without comparisons.
	bySig := map[string]*topicAcc{}
	add := func(m chat.Message, now bool) {
		t := knowledge.Terms(m.Text)
		if len(t) == 0 {
			return
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sig := strings.Join(keys, "\x00")
		// A question the intent model labelled joins its intent's topic;
		// the others are clustered by their terms.
		if m.Intent != "" && !vagueIntents[m.Intent] {
			sig = "intent\x00" + m.Intent
		}
		best := bySig[sig]
		if best == nil {
			bestSim := 0.0
			for _, c := range cs {
				for _, ct := range c.terms[:min(len(c.terms), 8)] {
					if sim := jaccard(t, ct); sim > bestSim {
						best, bestSim = c, sim
					}
				}
			}
			if strings.HasPrefix(sig, "intent\x00") || best == nil || bestSim < gapSimilarity {
				best = &topicAcc{intents: map[string]int{}, words: map[string]int{}, first: m.Text}
				cs = append(cs, best)
			}
			best.terms = append(best.terms, t)
			bySig[sig] = best
		}
		for k := range t {
			best.words[k]++
		}
		if !now {
			best.prev++
			return
		}
		best.cur++
		if m.Intent != "" {
			best.intents[m.Intent]++
		}
		if len(best.ex) < 3 && !containsStr(best.ex, m.Text) {
			best.ex = append(best.ex, m.Text)
		}
		if len(best.convs) < 20 {
			best.convs = append(best.convs, m.ConversationID)
		}
	}
	for _, m := range prev {
		add(m, false)
	}
	for _, m := range cur {
		add(m, true)
	}
	out := make([]Topic, 0, len(cs))
	for _, c := range cs {
		if c.cur == 0 {
			continue
		}
		t := Topic{ID: gapID(c.first), Count: c.cur, Previous: c.prev, Examples: c.ex, Conversations: c.convs, Topics: []TopicRef{}}
		t.Trend = float64(c.cur-c.prev) / float64(max(c.prev, 1))
		t.Trend = float64(int(t.Trend*1000)) / 1000
		t.New = c.prev == 0 && c.cur >= newTopicMin
		best := 0
		for in, n := range c.intents {
			if n > best || (n == best && in < t.Intent) {
				t.Intent, best = in, n
			}
		}
		words := make([]string, 0, len(c.words))
		for w := range c.words {
			words = append(words, w)
		}
		sort.Slice(words, func(i, j int) bool {
			if c.words[words[i]] != c.words[words[j]] {
				return c.words[words[i]] > c.words[words[j]]
			}
			return words[i] < words[j]
		})
		t.Terms = words[:min(len(words), 5)]
		t.Label = t.Intent
		if t.Label == "" || t.Label == "human" {
			t.Label = strings.Join(t.Terms[:min(len(t.Terms), 3)], " ")
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (s *Service) topics(ctx context.Context, tenant string, q rangeQuery) (TopicsReply, error) {
	if err := s.refreshStats(ctx, tenant); err != nil {
		return TopicsReply{}, err
	}
	cur, err := s.st.OpeningQuestions(ctx, tenant, q.from, q.to, topicSample)
	if err != nil {
		return TopicsReply{}, err
	}
	prev, err := s.st.OpeningQuestions(ctx, tenant, q.from.Add(-q.to.Sub(q.from)), q.from, topicSample)
	if err != nil {
		return TopicsReply{}, err
	}
	return TopicsReply{From: q.from.UTC(), To: q.to.UTC(), Sampled: len(cur), Previous: len(prev), Topics: s.labelTopics(ctx, tenant, clusterTopics(cur, prev))}, nil
}

func (s *Service) analyticsTopics(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	r, err := s.topics(c.UserContext(), who(c).agent.Tenant, q)
	if err != nil {
		return storeError(c, err)
	}
	if limit := min(max(c.QueryInt("limit", 30), 1), 200); len(r.Topics) > limit {
		r.Topics = r.Topics[:limit]
	}
	return c.JSON(r)
}
