package central

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/qa"
	"github.com/kefu-io/kefu/central/scope"
	"github.com/kefu-io/kefu/central/settings"
	"github.com/kefu-io/kefu/central/store"
	"github.com/kefu-io/kefu/chat"
)

// Smart QA (质检) routes; package central/qa defines the rubric.
//
//	GET  /v1/qa/conversations?from=&to=[&agent=&max_score=&limit=]  scored conversations, evidence quoted
//	                                                                 (off_policy items carry "policy": the knowledge's side)
//	GET  /v1/qa/agents?from=&to=                                     per-agent QA dashboard
//	GET  /v1/qa/queue?from=&to=[&n=20]                               sample for human reviewers
//	POST /v1/qa/conversations/:id/review                             a reviewer's verdict
//	GET  /v1/qa/agreement                                            automatic vs human
//
// Closed conversations an agent wrote in are scored when a QA route first
// asks for their period, and again when they changed since or the
// knowledge policy their agents' promises were checked against changed
// (scoreQA), so scores always reflect the rubric, the conversation and
// the knowledge as they are.

// SettingQAForbidden lists the tenant's forbidden phrases.
const SettingQAForbidden = "qa.forbidden"

// ScopeQAReview lets a reviewer record verdicts.
var ScopeQAReview = scope.Register("qa:review", "record QA reviews of conversations", store.RoleAdmin)

func init() {
	settings.Register(settings.Key{Name: SettingQAForbidden, Doc: "comma-separated phrases agents must not use (QA); empty: the built-in list",
		Default: "", Validate: settings.MaxLen(4000)})
}

func (s *Service) registerQA(auth fiber.Router) {
	auth.Get("/qa/conversations", s.qaConversations)
	auth.Get("/qa/agents", s.qaAgents)
	auth.Get("/qa/queue", s.qaQueue)
	auth.Post("/qa/conversations/:id/review", s.qaReview)
	auth.Get("/qa/agreement", s.qaAgreement)
}

func (s *Service) rubric(ctx context.Context, tenant string) qa.Rubric {
	r := qa.Rubric{SLA: s.sla(ctx, tenant)}
	if v := s.setting(ctx, tenant, SettingQAForbidden); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				r.Forbidden = append(r.Forbidden, p)
			}
		}
	}
	if s.cfg.Anger != nil {
		r.Anger = s.cfg.Anger.Score
	}
	if s.kbs != nil && s.kbs.hub.Stats(tenant).Documents > 0 {
		r.Policy = qa.KnowledgePolicy(ctx, s.kbs.hub, tenant, s.log)
	}
	return r
}

// policyStale reports whether a score computed against the knowledge
// policy stored (store.QAScore.PolicyRev) is out of date under the
// tenant's policy now (cur, "" when it has no knowledge): a score with
// no policy quantity in its agents' replies ("*") holds under any
// knowledge, and only needs the off_policy item when the tenant had none.
func policyStale(stored, cur string) bool {
	if stored == "*" {
		return cur == ""
	}
	return stored != cur
}

// statesPolicy reports whether an agent reply in msgs states a policy
// quantity (knowledge.ExtractClaims): only such a conversation's
// off_policy item can change with the knowledge.
func statesPolicy(msgs []chat.Message) bool {
	for _, m := range msgs {
		if m.Role == chat.RoleAgent && len(knowledge.ExtractClaims(m.Text)) > 0 {
			return true
		}
	}
	return false
}

// scoreQA scores the closed, agent-handled conversations of the range
// that have no score, changed after theirs, or were scored against a
// knowledge policy that has changed since (knowledge.Hub.PolicyRevision:
// a changed return window, fee or delivery time re-scores the
// conversations whose agents stated one, the next time their period is
// read; other knowledge edits re-score nothing).
func (s *Service) scoreQA(ctx context.Context, tenant string, q rangeQuery) error {
	if err := s.refreshStats(ctx, tenant); err != nil {
		return err
	}
	stats, err := s.st.ConvStats(ctx, store.StatsQuery{Tenant: tenant, From: q.from, To: q.to, Agent: q.agent})
	if err != nil {
		return err
	}
	have, err := s.st.QAScores(ctx, store.StatsQuery{Tenant: tenant, From: q.from, To: q.to, Agent: q.agent}, 1_000_000)
	if err != nil {
		return err
	}
	scored := make(map[string]store.QAScore, len(have))
	for _, h := range have {
		scored[h.ConversationID] = h
	}
	rub := s.rubric(ctx, tenant)
	rev := ""
	if rub.Policy != nil {
		rev = s.kbs.hub.PolicyRevision(tenant)
	}
	var batch []store.QAScore
	for _, st := range stats {
		if st.ClosedAt.IsZero() || st.AgentMsgs == 0 {
			continue
		}
		if h, ok := scored[st.ID]; ok && !h.ScoredAt.Before(st.ClosedAt) && !policyStale(h.PolicyRev, rev) {
			continue
		}
		msgs, err := s.st.Messages(ctx, tenant, st.ID, "", 500)
		if err != nil {
			return err
		}
		res := qa.Score(rub, msgs, st.HandoffAt, true)
		scoredRev := rev
		if rev != "" && !statesPolicy(msgs) {
			scoredRev = "*" // holds under any knowledge
		}
		items, _ := json.Marshal(res.Items)
		agent := ""
		if len(st.Agents) > 0 {
			agent = st.Agents[0]
		}
		batch = append(batch, store.QAScore{Tenant: tenant, ConversationID: st.ID, Agent: agent, Score: res.Score, Pass: res.Pass,
			Items: string(items), CreatedAt: st.CreatedAt, ScoredAt: time.Now(), Demo: st.Demo, PolicyRev: scoredRev})
		if len(batch) == 500 {
			if err := s.st.PutQAScores(ctx, batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return s.st.PutQAScores(ctx, batch...)
}

// QAView is one scored conversation.
type QAView struct {
	ConversationID string    `json:"conversation_id"`
	Agent          string    `json:"agent,omitempty"`
	AgentName      string    `json:"agent_name,omitempty"`
	Score          float64   `json:"score"`
	Pass           bool      `json:"pass"`
	Items          []qa.Item `json:"items"`
	CreatedAt      time.Time `json:"created_at"`
	Demo           bool      `json:"demo,omitempty"`
}

func (s *Service) agentNamer(ctx context.Context, tenant string) func(string) string {
	names := map[string]string{}
	return func(id string) string {
		if id == "" {
			return ""
		}
		if n, ok := names[id]; ok {
			return n
		}
		n := id
		if a, err := s.st.Agent(ctx, tenant, id); err == nil && a.Name != "" {
			n = a.Name
		}
		names[id] = n
		return n
	}
}

func qaView(q store.QAScore, name func(string) string) QAView {
	v := QAView{ConversationID: q.ConversationID, Agent: q.Agent, AgentName: name(q.Agent), Score: q.Score, Pass: q.Pass, CreatedAt: q.CreatedAt, Demo: q.Demo}
	_ = json.Unmarshal([]byte(q.Items), &v.Items)
	return v
}

func (s *Service) qaScores(c *fiber.Ctx) (rangeQuery, []store.QAScore, bool, error) {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return q, nil, false, apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	tenant := who(c).agent.Tenant
	ctx := c.UserContext()
	if err := s.scoreQA(ctx, tenant, q); err != nil {
		return q, nil, false, storeError(c, err)
	}
	list, err := s.st.QAScores(ctx, store.StatsQuery{Tenant: tenant, From: q.from, To: q.to, Agent: q.agent}, 1_000_000)
	if err != nil {
		return q, nil, false, storeError(c, err)
	}
	return q, list, true, nil
}

func (s *Service) qaConversations(c *fiber.Ctx) error {
	_, list, ok, err := s.qaScores(c)
	if !ok {
		return err
	}
	maxScore := c.QueryFloat("max_score", 100)
	limit := min(max(c.QueryInt("limit", 200), 1), 1000)
	name := s.agentNamer(c.UserContext(), who(c).agent.Tenant)
	out := []QAView{}
	for _, q := range list {
		if q.Score > maxScore {
			continue
		}
		if out = append(out, qaView(q, name)); len(out) == limit {
			break
		}
	}
	return c.JSON(out)
}

// QAAgentView is one agent's line of the QA dashboard.
type QAAgentView struct {
	Agent         string             `json:"agent"`
	Name          string             `json:"name"`
	Conversations int                `json:"conversations"`
	AvgScore      float64            `json:"avg_score"`
	PassRate      float64            `json:"pass_rate"`
	Items         map[string]float64 `json:"items"`
}

func (s *Service) qaAgents(c *fiber.Ctx) error {
	_, list, ok, err := s.qaScores(c)
	if !ok {
		return err
	}
	name := s.agentNamer(c.UserContext(), who(c).agent.Tenant)
	type acc struct {
		n, pass    int
		sum        float64
		items, cnt map[string]float64
	}
	by := map[string]*acc{}
	for _, q := range list {
		a := by[q.Agent]
		if a == nil {
			a = &acc{items: map[string]float64{}, cnt: map[string]float64{}}
			by[q.Agent] = a
		}
		a.n++
		a.sum += q.Score
		if q.Pass {
			a.pass++
		}
		var items []qa.Item
		_ = json.Unmarshal([]byte(q.Items), &items)
		for _, it := range items {
			if it.Applies {
				a.items[it.Name] += it.Score
				a.cnt[it.Name]++
			}
		}
	}
	out := []QAAgentView{}
	for id, a := range by {
		v := QAAgentView{Agent: id, Name: name(id), Conversations: a.n, AvgScore: roundTo(a.sum/float64(a.n), 2),
			PassRate: roundTo(float64(a.pass)/float64(a.n), 3), Items: map[string]float64{}}
		for k, sum := range a.items {
			v.Items[k] = roundTo(sum/a.cnt[k], 3)
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AvgScore < out[j].AvgScore })
	return c.JSON(out)
}

// qaQueue samples unreviewed conversations for reviewers: half the
// lowest-scored (where mistakes are), half at random (so the agreement is
// measured on the whole range, not only the bad tail).
func (s *Service) qaQueue(c *fiber.Ctx) error {
	q, err := parseRange(c, time.Now())
	if err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	n := min(max(c.QueryInt("n", 20), 1), 200)
	tenant := who(c).agent.Tenant
	ctx := c.UserContext()
	if err := s.scoreQA(ctx, tenant, q); err != nil {
		return storeError(c, err)
	}
	pool, err := s.st.QAUnreviewed(ctx, tenant, q.from, q.to, 5000)
	if err != nil {
		return storeError(c, err)
	}
	sort.Slice(pool, func(i, j int) bool { return pool[i].Score < pool[j].Score })
	var pick []store.QAScore
	low := min(n/2, len(pool))
	pick = append(pick, pool[:low]...)
	rest := pool[low:]
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 15))
	r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	pick = append(pick, rest[:min(n-low, len(rest))]...)
	name := s.agentNamer(ctx, tenant)
	out := make([]QAView, len(pick))
	for i, p := range pick {
		out[i] = qaView(p, name)
	}
	return c.JSON(out)
}

// ReviewRequest is a reviewer's verdict: score 0–100, pass (default:
// score ≥ qa.PassScore), per-item scores (0, 0.5 or 1) and a comment.
type ReviewRequest struct {
	Score   *float64           `json:"score"`
	Pass    *bool              `json:"pass,omitempty"`
	Items   map[string]float64 `json:"items,omitempty"`
	Comment string             `json:"comment,omitempty"`
}

func (s *Service) qaReview(c *fiber.Ctx) error {
	conv, ok, err := s.conversation(c)
	if !ok {
		return err
	}
	var req ReviewRequest
	if err := decodeBody(c, &req); err != nil {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, err.Error())
	}
	if req.Score == nil || *req.Score < 0 || *req.Score > 100 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "score 0–100 is required")
	}
	for k, v := range req.Items {
		if !isItem(k) || (v != 0 && v != 0.5 && v != 1) {
			return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "items: known rubric items ("+strings.Join(qa.Items, ", ")+") scored 0, 0.5 or 1")
		}
	}
	if len(req.Comment) > 2000 {
		return apiError(c, fiber.StatusBadRequest, CodeBadRequest, "comment over 2000 bytes")
	}
	ctx := c.UserContext()
	if _, err := s.st.QAScore(ctx, conv.Tenant, conv.ID); err != nil {
		return apiError(c, fiber.StatusConflict, "not_scored", "the conversation has no QA score (only closed conversations an agent handled are scored)")
	}
	pass := *req.Score >= qa.PassScore
	if req.Pass != nil {
		pass = *req.Pass
	}
	items, _ := json.Marshal(req.Items)
	if req.Items == nil {
		items = []byte("{}")
	}
	r := store.QAReview{Tenant: conv.Tenant, ConversationID: conv.ID, Reviewer: who(c).agent.ID, Score: *req.Score, Pass: pass,
		Items: string(items), Comment: req.Comment, At: time.Now()}
	if err := s.st.PutQAReview(ctx, r); err != nil {
		return storeError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"conversation_id": conv.ID, "score": r.Score, "pass": r.Pass})
}

func isItem(k string) bool {
	for _, it := range qa.Items {
		if it == k {
			return true
		}
	}
	return false
}

func (s *Service) qaAgreement(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenant := who(c).agent.Tenant
	reviews, err := s.st.QAReviews(ctx, tenant, 100000)
	if err != nil {
		return storeError(c, err)
	}
	pairs := make([]qa.Pair, 0, len(reviews))
	for _, r := range reviews {
		sc, err := s.st.QAScore(ctx, tenant, r.ConversationID)
		if err != nil {
			continue
		}
		var auto qa.Result
		auto.Score, auto.Pass = sc.Score, sc.Pass
		_ = json.Unmarshal([]byte(sc.Items), &auto.Items)
		p := qa.Pair{Auto: auto, HumanScore: r.Score, HumanPass: r.Pass}
		_ = json.Unmarshal([]byte(r.Items), &p.HumanItems)
		pairs = append(pairs, p)
	}
	return c.JSON(qa.Agree(pairs))
}
