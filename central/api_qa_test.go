package central

import (
	"fmt"
	"testing"
	"time"

	"github.com/kefu-io/kefu/central/demo"
	"github.com/kefu-io/kefu/central/qa"
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
