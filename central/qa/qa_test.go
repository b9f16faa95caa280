package qa

import (
	_ "embed"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kefu-io/kefu/chat"
)

//go:embed testdata/reviewed.json
var reviewedJSON []byte

type reviewed struct {
	ID         string             `json:"id"`
	Closed     bool               `json:"closed"`
	HumanPass  bool               `json:"human_pass"`
	HumanScore float64            `json:"human_score"`
	HumanItems map[string]float64 `json:"human_items"`
	Messages   [][]any            `json:"messages"`
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func (r reviewed) msgs() []chat.Message {
	out := make([]chat.Message, len(r.Messages))
	for i, m := range r.Messages {
		out[i] = chat.Message{ID: r.ID + "-" + string(rune('a'+i)), Role: chat.Role(m[0].(string)), At: t0.Add(time.Duration(m[1].(float64)) * time.Second),
			Text: m[2].(string), Anger: m[3].(float64)}
	}
	return out
}

func loadReviewed(t *testing.T) []reviewed {
	var f struct {
		Conversations []reviewed `json:"conversations"`
	}
	if err := json.Unmarshal(reviewedJSON, &f); err != nil {
		t.Fatal(err)
	}
	return f.Conversations
}

func item(r Result, name string) Item {
	for _, it := range r.Items {
		if it.Name == name {
			return it
		}
	}
	return Item{}
}

// TestRubricKnownAnswers scores hand-made conversations item by item.
func TestRubricKnownAnswers(t *testing.T) {
	byID := map[string]reviewed{}
	for _, r := range loadReviewed(t) {
		byID[r.ID] = r
	}
	rub := Rubric{SLA: time.Minute}
	score := func(id string) Result {
		r := byID[id]
		return Score(rub, r.msgs(), t0.Add(10*time.Second), r.Closed)
	}
	tests := []struct {
		id, item string
		score    float64
		applies  bool
		evidence string
	}{
		{"good-en", Greeting, 1, true, "Hi, this is Ann"},
		{"good-en", Closing, 1, true, "anything else"},
		{"good-en", FirstResponse, 1, true, "15s"},
		{"good-en", Empathy, 0, false, ""},
		{"slow-but-fine", FirstResponse, 0.5, true, "1m30s"},
		{"very-slow", FirstResponse, 0, true, "9m50s"},
		{"rude", Forbidden, 0, true, "not my problem"},
		{"rude", Empathy, 0, true, "Unbelievable"},
		{"rude-zh", Forbidden, 0, true, "你自己看"},
		{"asks-card", PIIRequest, 0, true, "card number"},
		{"asks-code-zh", PIIRequest, 0, true, "验证码"},
		{"empathy-good", Empathy, 1, true, "sorry"},
		{"promise", Promise, 0.5, true, "guarantee"},
		{"left-open", Resolution, 0, true, "not closed"},
		{"closed-unanswered", Resolution, 0.5, true, "unanswered"},
		{"no-greeting", Greeting, 0, true, "My orders"},
		{"short-ok", Greeting, 1, true, "您好"},
		{"short-ok", Closing, 1, true, "祝您"},
	}
	for _, tc := range tests {
		it := item(score(tc.id), tc.item)
		if it.Score != tc.score || it.Applies != tc.applies || !strings.Contains(strings.ToLower(it.Evidence), strings.ToLower(tc.evidence)) {
			t.Errorf("%s/%s = %+v, want score %v applies %v evidence ~%q", tc.id, tc.item, it, tc.score, tc.applies, tc.evidence)
		}
	}
	if r := score("good-en"); !r.Pass || r.Score != 100 {
		t.Errorf("good-en %+v", r)
	}
	if r := score("rude"); r.Pass {
		t.Errorf("rude passes: %+v", r)
	}
	if r := Score(rub, []chat.Message{{Role: chat.RoleShopper, Text: "hi"}}, time.Time{}, true); r.Score != 0 || r.Pass {
		t.Errorf("no agent message: %+v", r)
	}
	// Model items with a stand-in anger function.
	rub.Anger = func(s string) float64 {
		if strings.Contains(s, "not my problem") {
			return 0.8
		}
		return 0
	}
	r := score("rude")
	if it := item(r, Tone); it.Source != "model" || math.Abs(it.Score-0.6) > 1e-9 || !strings.Contains(it.Evidence, "not my problem") {
		t.Errorf("tone %+v", it)
	}
	if it := item(r, Deescalation); !it.Applies || it.Score != 0 {
		t.Errorf("de-escalation %+v", it)
	}
	if it := item(score("empathy-good"), Deescalation); math.Abs(it.Score-(1-0.1/0.85)) > 0.01 {
		t.Errorf("de-escalation %+v", it)
	}
}

// TestAgreementWithReviewer measures the automatic score against the
// hand-reviewed conversations in testdata (one reviewer: the rubric's
// author, so an optimistic bound).
func TestAgreementWithReviewer(t *testing.T) {
	var pairs []Pair
	for _, r := range loadReviewed(t) {
		auto := Score(Rubric{SLA: time.Minute}, r.msgs(), t0.Add(10*time.Second), r.Closed)
		pairs = append(pairs, Pair{Auto: auto, HumanScore: r.HumanScore, HumanPass: r.HumanPass, HumanItems: r.HumanItems})
		if auto.Pass != r.HumanPass {
			t.Logf("disagree on %s: auto %.1f, reviewer %.0f", r.ID, auto.Score, r.HumanScore)
		}
	}
	a := Agree(pairs)
	t.Logf("QA agreement on %d reviewed conversations: pass/fail %.2f, kappa %.2f, score MAE %.1f, items %+v", a.N, a.PassAgreement, a.Kappa, a.ScoreMAE, a.Items)
	if a.N != 18 || a.PassAgreement < 0.75 || a.Kappa < 0.5 {
		t.Fatalf("agreement fell: %+v", a)
	}
}

func TestKappaKnownAnswer(t *testing.T) {
	// 10 pairs: both pass 4, both fail 3, auto pass/human fail 2, auto fail/human pass 1.
	// po = 0.7; pe = 0.6×0.5 + 0.4×0.5 = 0.5; κ = 0.4.
	var pairs []Pair
	add := func(n int, auto, human bool) {
		for range n {
			pairs = append(pairs, Pair{Auto: Result{Pass: auto}, HumanPass: human})
		}
	}
	add(4, true, true)
	add(3, false, false)
	add(2, true, false)
	add(1, false, true)
	a := Agree(pairs)
	if a.PassAgreement != 0.7 || a.Kappa != 0.4 {
		t.Fatalf("%+v", a)
	}
	if Agree(nil).N != 0 {
		t.Fatal("empty")
	}
}
