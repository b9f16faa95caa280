package anger

import (
	"math"
	"testing"
)

func TestScoreRangeAndMonotonic(t *testing.T) {
	texts := []string{"", "hello", "WHERE IS MY ORDER!!!", "垃圾客服，投诉！！！", "😡😡😡"}
	for _, s := range texts {
		prev := -1.0
		for _, neg := range []float32{0, 0.25, 0.5, 0.75, 1} {
			v := Score(s, neg)
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Fatalf("Score(%q, %v) = %v out of [0,1]", s, neg, v)
			}
			if v < prev {
				t.Fatalf("Score(%q) not monotonic in negative: %v after %v", s, v, prev)
			}
			prev = v
		}
	}
	if v := Score("x", float32(math.NaN())); math.IsNaN(v) {
		t.Fatal("NaN negative must not give NaN")
	}
	if Score("x", 5) > 1 || Score("x", -5) < 0 {
		t.Fatal("out-of-range negative not clamped")
	}
}

func TestAngryVersusCalm(t *testing.T) {
	calm := []struct {
		text string
		neg  float32
	}{
		{"Hi, where is my order?", 0.4},
		{"请问什么时候发货", 0.3},
		{"Danke, alles gut!", 0.05},
		{"ありがとうございます", 0.05},
	}
	angry := []struct {
		text string
		neg  float32
	}{
		{"This is the WORST service ever!!! Refund NOW or I report you", 0.9},
		{"你们这什么破服务，垃圾！我要投诉！！", 0.9},
		{"Das ist eine Frechheit! Immer noch nicht geliefert, Betrug!", 0.85},
		{"C'est une arnaque, remboursez-moi !!!", 0.85},
		{"¡Esto es una estafa! Todavía no llega, qué vergüenza", 0.85},
		{"ふざけるな！まだ届かない、詐欺だ", 0.85},
		{"Это обман! Верните деньги, до сих пор не пришло!!!", 0.85},
		{"씨발 아직도 안 와요 사기 아니야?", 0.85},
		{"Che truffa! Vergogna!!!", 0.85},
		{"Que golpe! Ainda não chegou, péssimo!!!", 0.85},
		{"هذا احتيال! أسوأ خدمة", 0.85},
	}
	for _, c := range calm {
		if v := Score(c.text, c.neg); v >= 0.5 {
			t.Errorf("calm %q scored %.2f", c.text, v)
		}
	}
	for _, a := range angry {
		if v := Score(a.text, a.neg); v < 0.5 {
			t.Errorf("angry %q scored %.2f (cues %+v)", a.text, v, Find(a.text))
		}
	}
	// cues alone raise the score at the same sentiment
	if Score("refund now!!! scam!!! 😡", 0.5) <= Score("refund please", 0.5) {
		t.Error("intensity cues do not raise the score")
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		text string
		want Cues
	}{
		{"hello", Cues{}},
		{"NO WAY!!", Cues{Exclamations: 2, ShoutWords: 1}},
		{"sooooo slow", Cues{Repeats: 1}},
		{"？？？", Cues{Repeats: 1}},
		{"🤬", Cues{AngryEmoji: 1}},
		{"what the fuck", Cues{Profanity: 1}},
		{"i want to complain", Cues{Complaint: 1}},
		{"class act", Cues{}}, // no lexicon match inside words
		{"我要投诉", Cues{Complaint: 1}},
		{"I'm calling my lawyer", Cues{Threat: 1}},
		{"refund today or I go to my bank", Cues{Threat: 1}},
		{"can I pay with my bank card?", Cues{}}, // "my bank" alone is no threat
		{"thanks for your courtesy", Cues{}},     // "court " only as a word
		{"no robot please, a person", Cues{}},    // es "robo " does not match "robot"
		{"再不退款我就去12315", Cues{Complaint: 1}},     // 12315, the consumer hotline
		{"变态", Cues{}},
		{"変な色", Cues{}},
		{"сколько стоит доставка", Cues{}},
		{"Сколько можно ждать!", Cues{Exclamations: 1, Complaint: 1}},
		{"弁護士に相談します", Cues{Threat: 1}},
		{"변호사한테 연락할게요", Cues{Threat: 1}},
	}
	for _, tt := range tests {
		if got := Find(tt.text); got != tt.want {
			t.Errorf("Find(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

// Every lexicon entry must be able to match: lower case, and nothing that
// normalize turns into a space except single spaces between words.
func TestLexiconEntriesMatchThemselves(t *testing.T) {
	for list, words := range [numLists][]string{profanity, complaint, threat, delay, reassure} {
		for _, w := range words {
			if n := count(normalize(w)); n[list] == 0 {
				t.Errorf("lexicon %d entry %q does not match its own text", list, w)
			}
		}
	}
}

func TestCountsEachEntryOnce(t *testing.T) {
	// "merda" is listed for pt and it; "scam" occurs twice.
	if n := count(normalize("merda, scam scam")); n[listProfanity] != 1 || n[listThreat] != 1 {
		t.Fatalf("counts %v, want one profanity and one threat", n)
	}
}

func BenchmarkScore(b *testing.B) {
	for b.Loop() {
		Score("你们这什么破服务，垃圾！我要投诉！！ WORST service ever", 0.9)
	}
}

type fixed struct {
	labels []string
	probs  []float32
}

func (f fixed) Labels() []string { return f.labels }
func (f fixed) Probs(dst []float32, _ string) []float32 {
	return append(dst[:0], f.probs...)
}

func TestScorer(t *testing.T) {
	sent := fixed{[]string{"negative", "positive"}, []float32{0.9, 0.1}}
	calmModel := fixed{[]string{"angry", "calm"}, []float32{0.05, 0.95}}
	angryModel := fixed{[]string{"angry", "calm"}, []float32{0.95, 0.05}}
	var w Weights
	w.Bias = -3
	w.W[0] = 1           // negative probability
	w.W[NumInputs-1] = 5 // anger model probability
	a, err := NewScorer(sent, angryModel, w)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := NewScorer(sent, calmModel, w)
	if sa, sc := a.Score("hm"), c.Score("hm"); sa < 0.5 || sc > 0.5 {
		t.Fatalf("angry model %.2f, calm model %.2f", sa, sc)
	}
	if _, err := NewScorer(calmModel, angryModel, w); err == nil {
		t.Fatal("sentiment without a negative label accepted")
	}
	if _, err := NewScorer(sent, sent, w); err == nil {
		t.Fatal("anger model without an angry label accepted")
	}
}

func FuzzScore(f *testing.F) {
	for _, s := range []string{"", "WORST!!!", "垃圾客服", "\xff\xfe", "😡😡😡"} {
		f.Add(s, float32(0.5))
	}
	f.Fuzz(func(t *testing.T, s string, neg float32) {
		if v := Score(s, neg); v < 0 || v > 1 || math.IsNaN(v) {
			t.Fatalf("Score(%q, %v) = %v", s, neg, v)
		}
	})
}
