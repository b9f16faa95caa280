package anger_test

import (
	"testing"

	"github.com/kefu-io/kefu/models/anger"
	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/textmodel"
)

func shippedScorer(tb testing.TB) *anger.Scorer {
	tb.Helper()
	sent, err := textmodel.Load(artifacts.Sentiment())
	if err != nil {
		tb.Fatal(err)
	}
	am, err := textmodel.Load(artifacts.Anger())
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := anger.NewScorer(sent, am, anger.ShippedWithModel)
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

// The shipped scorer puts plain questions under anger.Threshold and
// furious messages over it (the measured numbers are in models/RESULTS.md).
func TestShippedScorer(t *testing.T) {
	sc := shippedScorer(t)
	for _, tt := range []struct {
		text  string
		angry bool
	}{
		{"Where is my order?", false},
		{"请问什么时候发货", false},
		{"Not a complaint, just asking when the refund arrives", false},
		{"Wie lange dauert die Rückerstattung?", false},
		{"This is a scam, I'm calling my lawyer and filing a chargeback!!!", true},
		{"垃圾店铺,再不退钱我就去12315投诉", true},
		{"Betrüger! Ich zeige euch an", true},
		{"사기꾼들, 소비자원에 신고할게요", true},
	} {
		if s := sc.Score(tt.text); (s >= anger.Threshold) != tt.angry {
			t.Errorf("Score(%q) = %.3f, want angry=%v (threshold %.2f)", tt.text, s, tt.angry, anger.Threshold)
		}
	}
}

// BenchmarkShippedScorer is the whole per-message cost central pays: the
// sentiment model, the anger text model and the cues.
func BenchmarkShippedScorer(b *testing.B) {
	sc := shippedScorer(b)
	texts := []string{
		"你们这什么破服务，垃圾！我要投诉！！ WORST service ever",
		"Where is my order KD20240611-0042? It's been a week",
		"Das ist eine Frechheit, ich will sofort mein Geld zurück!!!",
	}
	i := 0
	for b.Loop() {
		sc.Score(texts[i%len(texts)])
		i++
	}
}
