package knowledge_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/kefu-io/kefu/central/knowledge"
	"github.com/kefu-io/kefu/central/knowledge/knowledgetest"
)

// TestOffPolicyReviewerAgreement measures the off_policy check (Contradictions
// against the demo knowledge pack) against hand-reviewed verdicts on agent
// replies it was not tuned on (testdata/offpolicy_reviewed.json) and reports
// accuracy, Cohen's κ and the disagreements. The numbers are reported, not
// asserted; the reviewer wrote the checker, so they are an optimistic bound.
func TestOffPolicyReviewerAgreement(t *testing.T) {
	b, err := os.ReadFile("testdata/offpolicy_reviewed.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Items []struct {
			Reply     string `json:"reply"`
			OffPolicy bool   `json:"off_policy"`
			Why       string `json:"why"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	h := knowledge.NewHub(knowledge.HubOptions{})
	defer h.Close()
	ctx := context.Background()
	if err := h.Load(ctx, "demo", knowledgetest.DemoDocs(t), nil); err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn, tn int
	for _, it := range set.Items {
		cs, err := h.Contradictions(ctx, "demo", it.Reply, "")
		if err != nil {
			t.Fatal(err)
		}
		found := len(cs) > 0
		switch {
		case found && it.OffPolicy:
			tp++
		case found:
			fp++
			t.Logf("flagged, reviewer says within policy: %q (%s): %+v", it.Reply, it.Why, cs[0].Policy)
		case it.OffPolicy:
			fn++
			t.Logf("missed, reviewer says off policy: %q (%s)", it.Reply, it.Why)
		default:
			tn++
		}
	}
	n := float64(len(set.Items))
	if tp+fn == 0 || tn+fp == 0 {
		t.Fatalf("the reviewed set needs both verdicts: %d off policy, %d within", tp+fn, tn+fp)
	}
	po := float64(tp+tn) / n
	pe := (float64(tp+fp)*float64(tp+fn) + float64(tn+fn)*float64(tn+fp)) / (n * n)
	kappa := (po - pe) / (1 - pe)
	t.Logf("off_policy vs reviewer on %d replies: agreement %.0f%%, Cohen's κ %.2f; flagged %d of %d off-policy replies (recall %.0f%%), %d false alarms of %d within policy",
		len(set.Items), 100*po, kappa, tp, tp+fn, 100*float64(tp)/float64(tp+fn), fp, tn+fp)
}
