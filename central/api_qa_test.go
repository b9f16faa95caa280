package central

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/assets/kb"
	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/central/qa"
	"github.com/kefu-io/kefu/chat"
	"github.com/kefu-io/kefu/internal/poll"
)

// TestQAOverREST scores the demo history's closed conversations, shows
// the per-agent dashboard, samples a reviewer queue, records verdicts and
// reports the agreement.
func TestQAOverREST(t *testing.T) {
	_, s, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	end := time.Now()
	res, seeded, err := s.SeedDemo(bg, demo.Options{Tenant: "demo", Days: 5, End: end, PerDay: 30, Seed: 5})
	if err != nil || !seeded || res.Conversations == 0 {
		t.Fatalf("seed: %+v %v %v", res, seeded, err)
	}
	if _, again, _ := s.SeedDemo(bg, demo.Options{Tenant: "demo", Days: 5}); again {
		t.Fatal("seeded twice")
	}
	qs := rangeQS(end.Add(-6*24*time.Hour), end.Add(time.Minute))
	var list []QAView
	if code := api.do("GET", "/v1/qa/conversations?"+qs, tok, nil, &list); code != 200 || len(list) == 0 {
		t.Fatalf("qa list: %d %d", code, len(list))
	}
	for _, v := range list {
		if len(v.Items) < 8 || v.AgentName == "" || !v.Demo {
			t.Fatalf("qa view %+v", v)
		}
		for _, it := range v.Items {
			if it.Applies && it.Score < 1 && it.Evidence == "" && it.Name != qa.Resolution {
				t.Fatalf("item without evidence: %+v in %s", it, v.ConversationID)
			}
		}
	}
	var low []QAView
	api.do("GET", "/v1/qa/conversations?"+qs+"&max_score=69", tok, nil, &low)
	for _, v := range low {
		if v.Score > 69 || v.Pass {
			t.Fatalf("max_score filter: %+v", v)
		}
	}
	var agents []QAAgentView
	if code := api.do("GET", "/v1/qa/agents?"+qs, tok, nil, &agents); code != 200 || len(agents) == 0 || agents[0].Conversations == 0 {
		t.Fatalf("agents: %d %+v", code, agents)
	}
	var queue []QAView
	if code := api.do("GET", "/v1/qa/queue?"+qs+"&n=6", tok, nil, &queue); code != 200 || len(queue) != 6 {
		t.Fatalf("queue: %d %d", code, len(queue))
	}
	// A reviewer agrees with the first four and disagrees with the rest.
	for i, v := range queue {
		score, pass := v.Score, v.Pass
		if i >= 4 {
			score, pass = 100-v.Score, !v.Pass
		}
		if code := api.do("POST", "/v1/qa/conversations/"+v.ConversationID+"/review", tok,
			map[string]any{"score": score, "pass": pass, "items": map[string]float64{"greeting": 1}, "comment": "checked"}, nil); code != 201 {
			t.Fatalf("review: %d", code)
		}
	}
	var again []QAView
	api.do("GET", "/v1/qa/queue?"+qs+"&n=200", tok, nil, &again)
	for _, v := range again {
		for _, r := range queue {
			if v.ConversationID == r.ConversationID {
				t.Fatalf("reviewed conversation %s offered again", v.ConversationID)
			}
		}
	}
	var ag qa.Agreement
	if code := api.do("GET", "/v1/qa/agreement", tok, nil, &ag); code != 200 || ag.N != 6 || fmt.Sprintf("%.3f", ag.PassAgreement) != "0.667" {
		t.Fatalf("agreement: %d %+v", code, ag)
	}
	for _, bad := range []any{map[string]any{}, map[string]any{"score": 101}, map[string]any{"score": 50, "items": map[string]float64{"charm": 1}},
		map[string]any{"score": 50, "items": map[string]float64{"greeting": 0.7}}} {
		var e apiErr
		if code := api.do("POST", "/v1/qa/conversations/"+queue[0].ConversationID+"/review", tok, bad, &e); code != 400 {
			t.Errorf("%v: %d %+v", bad, code, e)
		}
	}
	// Demo removal takes the scores along.
	if _, err := s.Store().DeleteDemo(bg, "demo"); err != nil {
		t.Fatal(err)
	}
	api.do("GET", "/v1/qa/conversations?"+qs, tok, nil, &list)
	if len(list) != 0 {
		t.Fatalf("%d scores left after demo removal", len(list))
	}
}

func demoOpts(end time.Time) demo.Options {
	return demo.Options{Tenant: "demo", Days: 5, End: end, PerDay: 30, Seed: 5}
}

// TestQAOffPolicyOverREST: with two documents of the demo knowledge pack
// ingested, an agent who promises free shipping to Lanzarote (the
// Canary Islands page says $14.90) gets an off_policy finding in
// GET /v1/qa/conversations quoting both the reply and the passage; an
// agent who states the policy does not.
func TestQAOffPolicyOverREST(t *testing.T) {
	_, s, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	ingestDemoDocs(t, s, "shipping/ship-canary-islands.md", "returns/returns-policy.md")
	start := time.Now().Add(-time.Hour)
	bad := agentConversation(t, s, "v-promise", "How much is shipping to Lanzarote?", "Hello! Shipping is free for you. Anything else?", start)
	good := agentConversation(t, s, "v-policy", "How much is shipping to Lanzarote?",
		"Hello! Shipping to the Canary Islands costs $14.90 for order 100234. Anything else?", start)
	var list []QAView
	if code := api.do("GET", "/v1/qa/conversations?"+rangeQS(start.Add(-time.Minute), time.Now().Add(time.Minute)), tok, nil, &list); code != 200 || len(list) != 2 {
		t.Fatalf("qa list: %d %+v", code, list)
	}
	for _, v := range list {
		var it qa.Item
		for _, x := range v.Items {
			if x.Name == qa.OffPolicy {
				it = x
			}
		}
		switch v.ConversationID {
		case bad:
			p := it.Policy
			if it.Score != 0 || !it.Applies || p == nil || p.Doc != "ship-canary-islands" || p.Promise != "free" || !strings.Contains(p.Fact, "$14.90") ||
				p.Entity != "Canary Islands" || !strings.Contains(p.Sentence, "Shipping is free") || !strings.Contains(it.Evidence, "$14.90") || v.Pass {
				t.Errorf("promise outside policy: %+v policy %+v (score %v)", it, p, v.Score)
			}
		case good:
			if it.Score != 1 || !it.Applies || it.Policy != nil {
				t.Errorf("reply within policy: %+v", it)
			}
		default:
			t.Errorf("unexpected conversation %+v", v)
		}
	}
}

// ingestDemoDocs ingests documents of the demo knowledge pack (paths
// under assets/kb/demo/docs) into tenant demo and waits until the hub
// has them.
func ingestDemoDocs(t *testing.T, s *Service, paths ...string) {
	t.Helper()
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := fs.ReadFile(kb.Demo(), "docs/"+p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = b
	}
	if _, err := s.IngestFiles(bg, "demo", files, ""); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if n := s.Hub().Stats("demo").Documents; n < len(paths) {
			return fmt.Errorf("knowledge: %d of %d documents loaded", n, len(paths))
		}
		return nil
	})
}

// agentConversation stores a closed conversation of tenant demo: the
// shopper asks at start, is handed off a second later and the demo agent
// replies after 5 s.
func agentConversation(t *testing.T, s *Service, visitor, asks, replies string, start time.Time) string {
	t.Helper()
	st := s.Store()
	agent, err := st.AgentByEmail(bg, "demo", demoEmail)
	if err != nil {
		t.Fatal(err)
	}
	c := mustSave(t, st, "demo", visitor, asks, start)
	if _, _, err := st.Handoff(bg, "demo", c.ID, 1, "asked", start.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Claim(bg, "demo", c.ID, agent.ID, start.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.SaveReply(bg, "demo", chat.Message{ID: chat.NewID(), ConversationID: c.ID, Role: chat.RoleAgent,
		Text: replies, Author: agent.Name, At: start.Add(5 * time.Second)}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CloseConversation(bg, "demo", c.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestQARescoredWhenPolicyChanges: scores rest on the knowledge as it was;
// when a policy document changes, the conversations whose agents stated
// a policy quantity are re-scored the next time their period is read —
// a 60-day return promise is off policy under a 30-day policy and within
// it under a 90-day one, a 20-day promise the other way round under a
// 14-day one — while a conversation that states no policy, and every
// score after an edit that changes no policy, is left as scored.
func TestQARescoredWhenPolicyChanges(t *testing.T) {
	_, s, api, _ := analyticsService(t)
	tok := api.login("demo", demoEmail, demoPassword)
	policy := func(days int) {
		t.Helper()
		before := s.Hub().PolicyRevision("demo")
		text := fmt.Sprintf("# Returns\n\nYou can return items within %d days of delivery.\n", days)
		if _, err := s.IngestFiles(bg, "demo", map[string][]byte{"returns.md": []byte(text)}, ""); err != nil {
			t.Fatal(err)
		}
		poll.Until(t, 10*time.Second, func() error {
			if rev := s.Hub().PolicyRevision("demo"); rev == "" || rev == before {
				return fmt.Errorf("knowledge: policy revision still %q", rev)
			}
			return nil
		})
	}
	policy(30)
	start := time.Now().Add(-time.Hour)
	long := agentConversation(t, s, "v-60", "Can I still return the jacket?", "Hello! Yes, you can return it within 60 days. Anything else?", start)
	short := agentConversation(t, s, "v-20", "Can I still return the shoes?", "Hello! Sure, returns are accepted within 20 days. Anything else?", start)
	none := agentConversation(t, s, "v-none", "Where is my parcel?", "Hello! It left our warehouse yesterday. Anything else?", start)
	qs := rangeQS(start.Add(-time.Minute), time.Now().Add(time.Minute))
	offPolicy := func(step string, want map[string]float64) map[string]time.Time {
		t.Helper()
		var list []QAView
		if code := api.do("GET", "/v1/qa/conversations?"+qs, tok, nil, &list); code != 200 || len(list) != 3 {
			t.Fatalf("%s: qa list: %d %+v", step, code, list)
		}
		for _, v := range list {
			for _, it := range v.Items {
				if it.Name == qa.OffPolicy && it.Score != want[v.ConversationID] {
					t.Errorf("%s: %s off_policy %v, want %v (%+v)", step, v.ConversationID, it.Score, want[v.ConversationID], it.Policy)
				}
			}
		}
		at := map[string]time.Time{}
		for _, id := range []string{long, short, none} {
			sc, err := s.Store().QAScore(bg, "demo", id)
			if err != nil {
				t.Fatal(err)
			}
			at[id] = sc.ScoredAt
		}
		return at
	}
	first := offPolicy("30 days", map[string]float64{long: 0, short: 1, none: 1})
	policy(90)
	second := offPolicy("90 days", map[string]float64{long: 1, short: 1, none: 1})
	if !second[long].After(first[long]) || !second[short].After(first[short]) || !second[none].Equal(first[none]) {
		t.Errorf("re-scored after the policy change: %v → %v", first, second)
	}
	policy(14)
	third := offPolicy("14 days", map[string]float64{long: 0, short: 0, none: 1})
	// A document that states no policy leaves the revision and the scores as they are.
	rev := s.Hub().PolicyRevision("demo")
	if _, err := s.IngestFiles(bg, "demo", map[string][]byte{"gift-wrap.md": []byte("# Gift wrapping\n\nWe wrap gifts in recycled paper and add a handwritten card.\n")}, ""); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, func() error {
		if n := s.Hub().Stats("demo").Documents; n < 2 {
			return fmt.Errorf("knowledge: %d of 2 documents loaded", n)
		}
		return nil
	})
	if got := s.Hub().PolicyRevision("demo"); got != rev {
		t.Fatalf("policy revision changed by a document without policy: %q → %q", rev, got)
	}
	fourth := offPolicy("unrelated document", map[string]float64{long: 0, short: 0, none: 1})
	for id, at := range third {
		if !fourth[id].Equal(at) {
			t.Errorf("%s re-scored after an edit that changed no policy", id)
		}
	}
}
