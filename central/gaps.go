package central

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/store"
)

// Gap is a cluster of similar questions the bot could not answer with
// confidence: unanswered (fallback), clarified, handed over to a person
// (handover), and the widget's local answers below LocalLowScore
// (local_low). A question the widget declined to answer locally reaches
// central like any other and becomes a fallback or clarify miss when
// central cannot answer it either.
type Gap struct {
	ID       string    `json:"id"`
	Count    int       `json:"count"`
	Examples []string  `json:"examples"`
	Lang     string    `json:"lang"`
	Reasons  []string  `json:"reasons"`
	Last     time.Time `json:"last"`
	// Draft is the id of the draft made for the gap, if any.
	Draft string `json:"draft,omitempty"`
	// Label names the gap: the names of its topics in the tenant's topic
	// tree (kbtopics.go), else its most frequent words.
	Label string `json:"label"`
	// Topics are the topics of the tree its questions are about.
	Topics []TopicRef `json:"topics"`
	// texts are the gap's distinct questions (at most maxGapTexts), to
	// find agents' replies to them.
	texts []string
}

// personWords ask for a person rather than about something: a handed-over
// message made only of them ("I want to talk to a human", "转人工") is no
// knowledge gap.
var personWords = map[string]bool{"want": true, "talk": true, "speak": true, "human": true, "person": true, "agent": true,
	"real": true, "someone": true, "somebody": true, "please": true, "need": true, "staff": true, "operator": true,
	"representative": true, "customer": true, "service": true, "support": true, "live": true, "chat": true, "let": true,
	"get": true, "connect": true, "now": true, "hello": true, "hi": true,
	"人工": true, "工客": true, "客服": true, "转人": true, "真人": true, "我要": true, "要人": true, "找人": true, "请转": true, "接人": true}

// handoverQuestion reports whether a handed-over message asks something
// (at least two terms that are not about wanting a person).
func handoverQuestion(text string) bool {
	n := 0
	for t := range knowledge.Terms(text) {
		if !personWords[t] {
			n++
		}
	}
	return n >= 2
}

// maxGapTexts bounds Gap.texts.
const maxGapTexts = 50

// gapSimilarity is the least Jaccard similarity of two questions' terms
// for them to share a gap.
const gapSimilarity = 0.34

// Gaps clusters tenant's misses since then, largest first.
func (s *Service) Gaps(ctx context.Context, tenant string, since time.Time) ([]Gap, error) {
	misses, err := s.st.Misses(ctx, tenant, since, 5000)
	if err != nil {
		return nil, err
	}
	type cluster struct {
		gap   Gap
		terms []map[string]struct{}
	}
	var cs []*cluster
	for _, m := range misses {
		t := knowledge.Terms(m.Text)
		if len(t) == 0 {
			continue
		}
		var best *cluster
		bestSim := 0.0
		for _, c := range cs {
			for _, ct := range c.terms[:min(len(c.terms), 8)] {
				if sim := jaccard(t, ct); sim > bestSim {
					best, bestSim = c, sim
				}
			}
		}
		if best == nil || bestSim < gapSimilarity {
			best = &cluster{gap: Gap{Lang: m.Lang, Last: m.At}}
			cs = append(cs, best)
		}
		best.terms = append(best.terms, t)
		g := &best.gap
		g.Count++
		if len(g.Examples) < 5 && !containsStr(g.Examples, m.Text) {
			g.Examples = append(g.Examples, m.Text)
		}
		if len(g.texts) < maxGapTexts && !containsStr(g.texts, m.Text) {
			g.texts = append(g.texts, m.Text)
		}
		if !containsStr(g.Reasons, m.Reason) {
			g.Reasons = append(g.Reasons, m.Reason)
		}
		if m.At.After(g.Last) {
			g.Last = m.At
		}
	}
	drafts, err := s.st.Drafts(ctx, tenant, "")
	if err != nil {
		return nil, err
	}
	byGap := map[string]string{}
	for _, d := range drafts {
		byGap[d.Gap] = d.ID
	}
	tree, _, err := s.TopicTree(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]Gap, 0, len(cs))
	for _, c := range cs {
		g := c.gap
		g.ID = gapID(g.Examples[len(g.Examples)-1])
		g.Draft = byGap[g.ID]
		g.Topics = topicRefs(tree, labelText(tree, "", g.Examples))
		g.Label = topWords(c.terms, 3)
		if len(g.Topics) > 0 {
			names := make([]string, 0, 2)
			for _, t := range g.Topics[:min(len(g.Topics), 2)] {
				names = append(names, t.Name)
			}
			g.Label = strings.Join(names, " · ")
		}
		out = append(out, g)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, nil
}

// topWords joins the n terms most of the term sets share.
func topWords(sets []map[string]struct{}, n int) string {
	count := map[string]int{}
	for _, s := range sets {
		for t := range s {
			count[t]++
		}
	}
	words := make([]string, 0, len(count))
	for w := range count {
		words = append(words, w)
	}
	sort.Slice(words, func(i, j int) bool {
		if count[words[i]] != count[words[j]] {
			return count[words[i]] > count[words[j]]
		}
		return words[i] < words[j]
	})
	return strings.Join(words[:min(len(words), n)], " ")
}

// gapID names a gap by its earliest example (misses come newest first),
// so the id stays while the gap grows.
func gapID(text string) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(text))))
	return "g" + hex.EncodeToString(h[:6])
}

// commonReply picks the reply agents gave most often (the same words,
// ignoring case and surrounding space); on a tie the newest. Replies come
// newest first.
func commonReply(rs []store.AgentReply) (store.AgentReply, bool) {
	if len(rs) == 0 {
		return store.AgentReply{}, false
	}
	count := map[string]int{}
	best := 0
	for i, r := range rs {
		k := strings.ToLower(strings.TrimSpace(r.Reply))
		count[k]++
		if count[k] > count[strings.ToLower(strings.TrimSpace(rs[best].Reply))] {
			best = i
		}
	}
	return rs[best], true
}

func jaccard(a, b map[string]struct{}) float64 {
	inter := 0
	for t := range a {
		if _, ok := b[t]; ok {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// DraftFor makes a pending FAQ draft: for a gap, its most frequent
// question with the nearest passage's text as the suggested answer (an
// agent's reply to such a question when there is one); otherwise from
// the request's question and answer.
func (s *Service) DraftFor(ctx context.Context, tenant string, req DraftRequest) (store.Draft, error) {
	d := store.Draft{Tenant: tenant, Question: req.Question, Answer: req.Answer, Lang: req.Lang, Status: store.DraftPending, CreatedAt: time.Now()}
	if req.Gap != "" {
		gaps, err := s.Gaps(ctx, tenant, time.Now().Add(-90*24*time.Hour))
		if err != nil {
			return store.Draft{}, err
		}
		var g *Gap
		for i := range gaps {
			if gaps[i].ID == req.Gap {
				g = &gaps[i]
			}
		}
		if g == nil {
			return store.Draft{}, fmt.Errorf("central: gap %q: %w", req.Gap, store.ErrNotFound)
		}
		d.Gap = g.ID
		if d.Question == "" {
			d.Question = g.Examples[len(g.Examples)-1]
		}
		if d.Lang == "" {
			d.Lang = g.Lang
		}
		if d.Answer == "" {
			if d.Answer, d.Sources, err = s.suggestAnswer(ctx, tenant, *g, d.Lang); err != nil {
				return store.Draft{}, err
			}
		}
	}
	if strings.TrimSpace(d.Question) == "" {
		return store.Draft{}, fmt.Errorf("central: draft: %w: a gap or a question is required", store.ErrInvalid)
	}
	if d.Lang == "" {
		d.Lang = knowledge.LangOf(d.Question)
	}
	d.ID = "d" + gapID(d.Question + "\x00" + d.Gap)[1:]
	if err := s.st.PutDraft(ctx, d); err != nil {
		return store.Draft{}, err
	}
	return d, nil
}

// suggestAnswer is a gap's suggested answer and where it comes from: what
// agents answered to these very questions first (it is what the shop
// really says), else the nearest passage; empty when there is neither.
func (s *Service) suggestAnswer(ctx context.Context, tenant string, g Gap, lang string) (answer, sources string, err error) {
	replies, err := s.st.AgentReplies(ctx, tenant, g.texts, 20)
	if err != nil {
		return "", "", err
	}
	if r, ok := commonReply(replies); ok {
		return r.Reply, "agent:" + r.Agent, nil
	}
	if p, src, ok := s.kbs.hub.Nearest(ctx, tenant, strings.Join(g.Examples, " "), lang); ok {
		return p.Text, src.Doc, nil
	}
	return "", "", nil
}

// refreshDraft gives a pending draft that does not come from an agent a
// better answer when one appeared since it was made: an agent answered
// such a question, or a passage now covers it. Pending drafts are never
// edited in place (an edit arrives with the approval), so nobody's words
// are overwritten.
func (s *Service) refreshDraft(ctx context.Context, g Gap, d store.Draft) error {
	if strings.HasPrefix(d.Sources, "agent:") {
		return nil
	}
	answer, sources, err := s.suggestAnswer(ctx, d.Tenant, g, d.Lang)
	if err != nil || answer == "" || (answer == d.Answer && sources == d.Sources) {
		return err
	}
	if d.Answer != "" && !strings.HasPrefix(sources, "agent:") {
		return nil // a passage does not replace another passage
	}
	d.Answer, d.Sources = answer, sources
	return s.st.PutDraft(ctx, d)
}

// ApproveDraft makes a draft live: it becomes a knowledge document (kind
// draft) holding one FAQ pair and its passage, answered by central and
// carried in the browser packs at the next rebuild (seconds).
func (s *Service) ApproveDraft(ctx context.Context, tenant, id, question, answer string) (store.Draft, error) {
	d, err := s.st.Draft(ctx, tenant, id)
	if err != nil {
		return store.Draft{}, err
	}
	if question != "" {
		d.Question = question
	}
	if answer != "" {
		d.Answer = answer
	}
	if strings.TrimSpace(d.Answer) == "" {
		return store.Draft{}, fmt.Errorf("central: approve draft %q: %w: the answer is empty", id, store.ErrInvalid)
	}
	docID := "draft-" + d.ID
	der := knowledge.Derived{Lang: d.Lang,
		Passages: []knowledge.Passage{{ID: d.ID + "p", Heading: d.Question, Text: d.Answer, Lang: d.Lang}},
		FAQ:      []knowledge.FAQPair{{ID: d.ID + "q", Question: d.Question, Answer: d.Answer, Lang: d.Lang, Passage: d.ID + "p"}}}
	p := knowledge.Prepared{Derived: der}
	sum := sha256.Sum256([]byte(d.Question + "\x00" + d.Answer))
	if _, _, err := s.st.PutDocuments(ctx, tenant, []store.KBDocument{{ID: docID, Title: d.Question, Kind: "draft", Source: "draft:" + d.ID,
		SHA: hex.EncodeToString(sum[:]), Body: "Q: " + d.Question + "\nA: " + d.Answer, Derived: p.DerivedJSON()}}); err != nil {
		return store.Draft{}, err
	}
	d.Status, d.DecidedAt = store.DraftApproved, time.Now()
	if err := s.st.PutDraft(ctx, d); err != nil {
		return store.Draft{}, err
	}
	s.knowledgeChanged(tenant)
	return d, nil
}
